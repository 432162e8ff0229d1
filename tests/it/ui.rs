//! Reading and publishing as people do, on a phone (390 × 844) and at a
//! desk: layout held in headless Chromium (filters behind 筛选, no sideways
//! page scroll, tables scrolling in themselves, tap targets of 24 px), and
//! over HTTP the notices, badges, times, choices and field errors.

use crate::chrome::{Browser, chromium};
use crate::publish::{app_with_users, get_as, put, sign_in};
use crate::support::{TestApp, enc};

/// A record with a wide table, nested headings and footnotes, published
/// by staff so everyone sees it.
const WIDE: &str = "---\ntitle: 隧道衬砌台车改造宽表工法\nkind: method\nstudio: tunnel-zhang\ndate: 2025-04-01\nvisibility: public\nlevel: enterprise\ntags: [衬砌]\n---\n\n## 概述\n\n衬砌台车改造的概述。[^a]\n\n## 工艺流程及操作要点\n\n### 工艺流程\n\n流程。\n\n### 操作要点\n\n要点。[^b]\n\n## 材料与设备\n\n| 序号 | 名称 | 规格型号 | 单位 | 数量 | 用途 | 备注 |\n|---|---|---|---|---|---|---|\n| 1 | 衬砌台车液压系统 | YZ-12000 型 | 台 | 2 | 衬砌混凝土浇筑时支撑模板 | 改造后重复使用 |\n| 2 | 附着式高频振捣器 | ZW-5 型 1.5 kW | 台 | 16 | 拱顶及边墙混凝土振捣 | 分层布置 |\n\n[^a]: 第一条脚注。\n[^b]: 第二条脚注。\n";

fn app_with_wide_record() -> (TestApp, crate::publish::Users) {
    let (app, users) = app_with_users();
    let r = put(&app, &users.staff, "tunnel-zhang/wide-table", WIDE, &[]);
    assert_eq!(r.status, 201, "{}", r.body);
    (app, users)
}

fn phone(binary: &str) -> Browser {
    let mut b = Browser::start(binary);
    b.viewport(390, 844, true);
    b
}

fn no_page_scroll(b: &mut Browser, what: &str) {
    let widths = b.eval("[document.documentElement.scrollWidth, window.innerWidth]");
    let (scroll, inner) = (widths[0].as_f64().unwrap(), widths[1].as_f64().unwrap());
    assert!(
        scroll <= inner,
        "{what}: the page scrolls sideways ({scroll} > {inner})"
    );
}

/// Every visible tap target smaller than 24 × 24 px, as `text (w×h)`.
const SMALL_TARGETS: &str = "Array.from(document.querySelectorAll('a, button, input, select, summary, textarea'))
    .filter(e => { const s = getComputedStyle(e); const r = e.getBoundingClientRect();
                   return s.visibility !== 'hidden' && s.display !== 'none' && r.width > 0 && r.height > 0; })
    .filter(e => { const r = e.getBoundingClientRect(); return r.width < 24 || r.height < 24; })
    .map(e => { const r = e.getBoundingClientRect(); return (e.innerText || e.name || e.tagName).trim().slice(0, 20) + ' (' + r.width.toFixed(1) + '×' + r.height.toFixed(1) + ')'; })";

#[test]
fn phone_search_page_filters_scroll_and_tap_targets() {
    let Some(binary) = chromium() else { return };
    let (app, _) = app_with_wide_record();
    let mut b = phone(binary);
    for path in [
        "/",
        "/search?q=盾构",
        "/search?kind=method&kind=patent",
        "/search?q=zzzz不存在",
    ] {
        b.goto(&format!("{}{}", app.base, path));
        no_page_scroll(&mut b, path);
        // The facets are folded behind 筛选 at the top, and open from it.
        assert_eq!(
            b.eval("!!document.querySelector('details.facets-toggle') && document.querySelector('details.facets-toggle').open"),
            false,
            "{path}: filters folded"
        );
        let summary_top =
            b.eval("document.querySelector('details.facets-toggle > summary').getBoundingClientRect().top");
        let results_top = b.eval("document.querySelector('section.results').getBoundingClientRect().top");
        assert!(
            summary_top.as_f64() < results_top.as_f64(),
            "{path}: 筛选 above the results"
        );
        assert_eq!(
            b.eval("document.querySelector('details.facets-toggle > summary').innerText.startsWith('筛选')"),
            true
        );
        b.eval("document.querySelector('details.facets-toggle > summary').click(); true");
        b.wait_for("document.querySelector('details.facets-toggle').open", "filters open");
        if path != "/search?q=zzzz不存在" {
            assert_eq!(
                b.eval("document.querySelector('.facets a').getBoundingClientRect().height > 0"),
                true,
                "{path}: a facet is reachable"
            );
        }
        // The header menu is folded too, and opens.
        assert_eq!(b.eval("document.querySelector('details.site-menu').open"), false);
        b.eval("document.querySelector('details.site-menu > summary').click(); true");
        b.wait_for("document.querySelector('details.site-menu').open", "menu open");
        let small = b.eval(SMALL_TARGETS);
        assert_eq!(
            small.as_array().map(Vec::len),
            Some(0),
            "{path}: targets under 24 px: {small}"
        );
        no_page_scroll(&mut b, path);
    }
    // What a phone shows is a page 390 px wide (PNG header: width at 16..20).
    let png = b.screenshot();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(u32::from_be_bytes([png[16], png[17], png[18], png[19]]), 390);
    if let Ok(dir) = std::env::var("ZHIHUI_SCREENSHOTS") {
        std::fs::write(format!("{dir}/phone-search.png"), &png).unwrap();
    }
    // Chosen from the filters, a facet applies.
    b.goto(&format!("{}/search", app.base));
    b.eval("document.querySelector('details.facets-toggle > summary').click(); document.querySelector('.facets a[href*=\"kind=patent\"]').click(); true");
    b.wait_for(
        "location.search.includes('kind=patent') && document.readyState === 'complete'",
        "a facet chosen",
    );
    assert_eq!(
        b.eval("document.querySelector('details.facets-toggle > summary').innerText.includes('1')"),
        true
    );
}

#[test]
fn phone_signed_in_header_is_one_line_and_menu_lists_links() {
    let Some(binary) = chromium() else { return };
    let (app, _) = app_with_users();
    let mut b = phone(binary);
    b.goto(&format!("{}/login", app.base));
    b.eval("document.querySelector('input[name=username]').value = 'staff1'; document.querySelector('input[name=password]').value = 'password-123'; document.querySelector('form.stack').submit(); true");
    b.wait_for(
        "location.pathname === '/' && document.readyState === 'complete'",
        "signed in",
    );
    let header = b.eval("document.querySelector('header.top').getBoundingClientRect().height");
    assert!(header.as_f64().unwrap() < 60.0, "folded header is one line: {header}");
    b.eval("document.querySelector('details.site-menu > summary').click(); true");
    b.wait_for("document.querySelector('details.site-menu').open", "menu open");
    let links = b.eval("Array.from(document.querySelectorAll('.site-menu nav a')).map(a => a.getAttribute('href'))");
    for href in ["/publish", "/review", "/studios"] {
        assert!(links.as_array().unwrap().iter().any(|l| l == href), "{href} in {links}");
    }
    let small = b.eval(SMALL_TARGETS);
    assert_eq!(small.as_array().map(Vec::len), Some(0), "targets under 24 px: {small}");
    // The signed-in pages fit the phone too.
    for path in [
        "/publish?kind=patent",
        "/publish?id=tunnel-zhang/segment-repair",
        "/review",
        "/history/tunnel-zhang/segment-repair",
        "/records/tunnel-zhang/segment-repair",
    ] {
        b.goto(&format!("{}{}", app.base, path));
        no_page_scroll(&mut b, path);
    }
    // At a desk the menu is simply open, its summary hidden.
    b.viewport(1366, 900, false);
    b.goto(&format!("{}/", app.base));
    assert_eq!(b.eval("document.querySelector('details.site-menu').open"), true);
    assert_eq!(
        b.eval("getComputedStyle(document.querySelector('details.site-menu > summary')).display"),
        "none"
    );
    assert_eq!(b.eval("document.querySelector('details.facets-toggle').open"), true);
}

#[test]
fn phone_record_page_contents_on_top_and_tables_scroll_inside() {
    let Some(binary) = chromium() else { return };
    let (app, _) = app_with_wide_record();
    let mut b = phone(binary);
    for path in [
        "/records/tunnel-zhang/wide-table",
        "/records/tunnel-zhang/segment-repair",
        "/records/bridge-li/long-method",
    ] {
        b.goto(&format!("{}{}", app.base, path));
        no_page_scroll(&mut b, path);
    }
    b.goto(&format!("{}/records/tunnel-zhang/wide-table", app.base));
    // The contents sit near the top, folded; the sidebar copy is hidden.
    let toc = b.eval("(() => { const d = document.querySelector('details.toc-top'); const r = d.getBoundingClientRect(); return [d.open, r.top, r.height > 0, getComputedStyle(document.querySelector('.toc-side')).display]; })()");
    assert_eq!(toc[0], false, "folded: {toc}");
    assert!(toc[1].as_f64().unwrap() < 844.0, "within the first screen: {toc}");
    assert_eq!(toc[2], true);
    assert_eq!(toc[3], "none");
    b.eval("document.querySelector('details.toc-top > summary').click(); true");
    // Sub-headings nest under their heading (numbered 2.1, 2.2 by CSS counters).
    let nesting = b.eval("[document.querySelectorAll('details.toc-top > ol > li').length, Array.from(document.querySelectorAll('details.toc-top ol ol a')).map(a => a.innerText), document.querySelector('details.toc-top ol ol').parentElement.firstElementChild.innerText]");
    assert_eq!(
        nesting,
        serde_json::json!([3, ["工艺流程", "操作要点"], "工艺流程及操作要点"]),
        "nested contents"
    );
    // The table scrolls sideways within itself, its cells readable.
    let table = b.eval("(() => { const t = document.querySelector('.body table'); const cell = t.querySelector('td:nth-child(6)'); return [t.scrollWidth > t.clientWidth, t.getBoundingClientRect().right <= innerWidth + 0.5, getComputedStyle(t).overflowX, cell.getBoundingClientRect().width]; })()");
    assert_eq!(table[0], true, "table wider than the screen scrolls: {table}");
    assert_eq!(table[1], true, "table inside the page: {table}");
    assert_eq!(table[2], "auto");
    assert!(
        table[3].as_f64().unwrap() >= 80.0,
        "cells keep a readable width: {table}"
    );
    no_page_scroll(&mut b, "wide table");
    if let Ok(dir) = std::env::var("ZHIHUI_SCREENSHOTS") {
        std::fs::write(format!("{dir}/phone-record.png"), b.screenshot()).unwrap();
    }
    // Printed, the page is still a PDF of the record (the menu is no part of it).
    let pdf = b.print_pdf();
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
}

#[test]
fn reading_footnotes_contents_and_headings() {
    let (app, _) = app_with_wide_record();
    let page = app.get("/records/tunnel-zhang/wide-table").body;
    // Footnotes: superscript numbers in the text, a numbered list at the end
    // with a link back to each reference.
    assert!(
        page.contains("<sup class=\"footnote-ref\"><a href=\"#fn-1\" id=\"fnref-1\""),
        "{page}"
    );
    assert!(page.contains("<sup class=\"footnote-ref\"><a href=\"#fn-2\" id=\"fnref-2\""));
    let notes = &page[page.find("<div class=\"footnotes\">").expect("footnote list")..];
    assert!(notes.find("第一条脚注").unwrap() < notes.find("第二条脚注").unwrap());
    assert!(notes.contains("href=\"#fnref-1\" class=\"footnote-back\""), "{notes}");
    // Contents nest sub-headings under their heading.
    assert!(
        page.contains("工艺流程及操作要点</a><ol><li><a href=\"#工艺流程\">工艺流程</a></li><li><a href=\"#操作要点\">操作要点</a></li></ol></li>"),
        "{page}"
    );
    // Every page opens with a skip link to the main content; search pages have an h1.
    for path in [
        "/",
        "/search?q=盾构",
        "/search?kind=method",
        "/records/tunnel-zhang/wide-table",
        "/studios",
    ] {
        let body = app.get(&path.replace("盾构", &enc("盾构"))).body;
        assert!(
            body.contains("<a class=\"skip-link\" href=\"#main\">跳到正文</a>"),
            "{path}"
        );
        assert!(body.contains("<main id=\"main\""), "{path}");
        assert_eq!(body.matches("<h1").count(), 1, "{path}: one h1");
    }
    assert!(
        app.get(&format!("/search?q={}", enc("盾构")))
            .body
            .contains("<h1 class=\"visually-hidden\">搜索：盾构</h1>")
    );
}

#[test]
fn page_past_the_last_says_so() {
    let app = TestApp::start("basic");
    let total = app.search("")["total"].as_u64().unwrap();
    assert!(total > 0);
    for path in [
        "/search?page=99",
        "/search?q=盾构&page=5",
        "/search?kind=method&page=1000&per_page=10",
    ] {
        let body = app.get(&path.replace("盾构", &enc("盾构"))).body;
        assert!(body.contains("这一页已超出结果范围"), "{path}");
        assert!(
            !body.contains("没有找到符合条件的记录"),
            "{path}: no 'nothing found' beside a total"
        );
        assert!(body.contains("转到最后一页（1）"), "{path}");
        assert!(body.contains("page=1") || body.contains("href=\"/search"), "{path}");
    }
    // Truly nothing found still says so; a real page does not.
    let none = app.get(&format!("/search?q={}", enc("完全不存在的词汇甲乙丙"))).body;
    assert!(none.contains("没有找到符合条件的记录") && !none.contains("超出结果范围"));
    let first = app.get("/search?page=1").body;
    assert!(!first.contains("超出结果范围") && !first.contains("没有找到符合条件的记录"));
}

#[test]
fn ignored_parts_of_a_query_are_noticed() {
    let app = TestApp::start("basic");
    let cases = [
        ("((", "括号不能用来分组"),
        ("((盾构))", "括号不能用来分组"),
        ("盾构 AND", "“AND”不必输入"),
        ("盾构 AND 管片", "“AND”不必输入"),
        ("盾构 OR", "“OR”"),
        ("盾构 NOT", "“NOT”"),
        ("盾构*", "“盾构*”"),
    ];
    for (q, expected) in cases {
        let page = app.get(&format!("/search?q={}", enc(q))).body;
        assert!(
            page.contains("class=\"notice\"") && page.contains(expected),
            "{q}: {expected}"
        );
        let api = app.search(&format!("q={}", enc(q)));
        assert!(
            api["notices"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n.as_str().unwrap().contains(expected)),
            "{q}: API notices {api}"
        );
    }
    let plain = app.get(&format!("/search?q={}", enc("盾构 管片"))).body;
    assert!(!plain.contains("class=\"notice\""));
}

#[test]
fn pending_records_carry_a_badge_for_whoever_sees_them() {
    let (app, u) = app_with_users();
    let text = crate::publish::record("tunnel-zhang", "待审核徽章测试成果", "徽章词", "public");
    assert_eq!(put(&app, &u.tunnel, "tunnel-zhang/badge", &text, &[]).status, 201);
    for (who, token) in [("staff", Some(&u.staff)), ("publisher", Some(&u.tunnel))] {
        let page = get_as(&app, token.map(String::as_str), &format!("/search?q={}", enc("徽章词"))).body;
        assert!(page.contains("href=\"/records/tunnel-zhang/badge\""), "{who}");
        assert!(
            page.contains("<span class=\"badge review\">待审核</span>"),
            "{who}: badge"
        );
    }
    // Published records carry none; others never see the pending one.
    let staff_all = get_as(&app, Some(&u.staff), &format!("/search?q={}", enc("盾构"))).body;
    assert!(!staff_all.contains("badge review"));
    for token in [None, Some(u.member.as_str()), Some(u.bridge.as_str())] {
        let page = get_as(&app, token, &format!("/search?q={}", enc("徽章词"))).body;
        assert!(!page.contains("/records/tunnel-zhang/badge") && !page.contains("badge review"));
    }
    // Returned: 已退回.
    let (cookie, csrf) = sign_in(&app, "staff1");
    let form = format!("action=return&comment={}&csrf={csrf}", enc("请补充数据"));
    let r = app
        .request(
            "POST",
            "/review/tunnel-zhang/badge",
            &[
                ("cookie", &cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Some(form.as_bytes()),
        )
        .unwrap();
    assert_eq!(r.status, 303, "{}", r.body);
    let page = get_as(&app, Some(&u.staff), &format!("/search?q={}", enc("徽章词"))).body;
    assert!(page.contains("<span class=\"badge review\">已退回</span>"), "{page}");
}

/// A 1 × 1 PNG that browsers decode.
const PNG_BASE64: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

fn png() -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(PNG_BASE64).unwrap()
}

/// Keeps what the page shows when ZHIHUI_SCREENSHOTS names a folder.
fn save_screenshot(b: &mut Browser, name: &str) {
    if let Ok(dir) = std::env::var("ZHIHUI_SCREENSHOTS") {
        std::fs::write(format!("{dir}/{name}.png"), b.screenshot()).unwrap();
    }
}

/// Whether every image in `selector` has loaded and decoded.
fn images_loaded(b: &mut Browser, selector: &str) -> serde_json::Value {
    b.eval(&format!(
        "Array.from(document.querySelectorAll('{selector} img')).map(i => [i.getAttribute('src'), i.complete && i.naturalWidth > 0])"
    ))
}

#[test]
fn desk_publish_with_a_picture_preview_review_and_approve_with_a_comment() {
    let Some(binary) = chromium() else { return };
    let (app, _) = app_with_users();
    let mut b = Browser::start(binary);
    b.viewport(1366, 900, false);
    crate::chrome::sign_in(&mut b, &app, "pub-tunnel", "/publish?kind=method");
    b.eval(
        "const f = document.querySelector('#record-form');
         f.title.value = '接触网吊弦预配浏览器工法';
         f.slug.value = 'hanger-browser';
         f.date.value = '2025-02-03';
         f.level.value = 'enterprise';
         f.visibility.value = 'public';
         f.award_name_0.value = '中国中铁科技进步奖';
         f.award_level_0.value = 'enterprise';
         f.award_year_0.value = '2024';
         f.body.value = '## 工艺原理\\n\\n吊弦预配的正文。';
         true",
    );
    // Award levels are offered by their Chinese names.
    assert_eq!(
        b.eval(
            "Array.from(document.querySelector('select[name=award_level_0]').options).map(o => o.text).filter(t => t)"
        ),
        serde_json::json!(["国家级", "省部级", "行业级", "企业级"])
    );
    // A picture chosen in the form is kept at once and can be put in the body.
    b.eval(&format!(
        "const bytes = Uint8Array.from(atob('{PNG_BASE64}'), c => c.charCodeAt(0));
         const dt = new DataTransfer();
         dt.items.add(new File([bytes], '吊弦 示意图.png', {{ type: 'image/png' }}));
         const input = document.querySelector('input[name=files]');
         input.files = dt.files;
         input.dispatchEvent(new Event('change'));
         true"
    ));
    b.wait_for(
        "document.querySelector('.draft-files button.insert-file')",
        "the file listed in the form",
    );
    assert_eq!(
        b.eval("document.querySelector('.draft-files code').innerText"),
        "吊弦-示意图.png"
    );
    b.eval("document.querySelector('.draft-files button.insert-file').click(); true");
    assert_eq!(
        b.eval("document.querySelector('#record-form').body.value.includes('![吊弦-示意图.png](%E5%90%8A%E5%BC%A6-%E7%A4%BA%E6%84%8F%E5%9B%BE.png)')"),
        true
    );
    // The live preview shows it before anything is submitted.
    b.wait_for(
        "Array.from(document.querySelectorAll('#preview img')).some(i => i.complete && i.naturalWidth > 0)",
        "the picture in the live preview",
    );
    // So does the server's preview and check.
    b.eval("window.oldPage = true; document.querySelector('button[value=preview]').click(); true");
    b.wait_for(
        "!window.oldPage && document.readyState === 'complete' && document.querySelector('#preview img')",
        "server preview",
    );
    b.wait_for("document.querySelector('#preview img').complete", "image loaded");
    let shown = images_loaded(&mut b, "#preview");
    assert_eq!(shown[0][1], true, "server preview shows the picture: {shown}");
    assert!(shown[0][0].as_str().unwrap().starts_with("/drafts/"), "{shown}");
    assert_eq!(
        b.eval("document.querySelector('.draft-files code').innerText"),
        "吊弦-示意图.png"
    );
    save_screenshot(&mut b, "desk-form");
    // Submitted: a banner says what happens next.
    b.eval("window.oldPage = true; document.querySelector('button[value=submit]').click(); true");
    b.wait_for(
        "location.pathname.endsWith('/records/tunnel-zhang/hanger-browser') && document.readyState === 'complete'",
        "the record page",
    );
    assert!(
        b.eval("document.querySelector('.notice.done').innerText")
            .as_str()
            .unwrap()
            .contains("已提交，等待工会审核")
    );
    assert_eq!(
        images_loaded(&mut b, ".body")[0][1],
        true,
        "the picture on the record page"
    );
    assert!(
        app.content()
            .join("tunnel-zhang/hanger-browser/吊弦-示意图.png")
            .is_file()
    );
    // Staff see the picture on the review page, and approve with a comment.
    b.eval("document.querySelector('form.logout').submit(); true");
    b.wait_for(
        "document.readyState === 'complete' && !document.querySelector('form.logout')",
        "signed out",
    );
    crate::chrome::sign_in(&mut b, &app, "staff1", "/review/tunnel-zhang/hanger-browser");
    b.wait_for(
        "document.querySelector('.body img') && document.querySelector('.body img').complete",
        "review image",
    );
    let review = images_loaded(&mut b, ".body");
    assert_eq!(review[0][1], true, "review page shows the picture: {review}");
    assert_eq!(
        review[0][0],
        "/review-files/tunnel-zhang/hanger-browser/%E5%90%8A%E5%BC%A6-%E7%A4%BA%E6%84%8F%E5%9B%BE.png"
    );
    let table = b.eval("document.querySelector('table.changes').innerText");
    assert!(
        table.as_str().unwrap().contains("奖项") || table.as_str().unwrap().contains("获奖"),
        "{table}"
    );
    assert!(
        table.as_str().unwrap().contains("中国中铁科技进步奖（企业级，2024）"),
        "{table}"
    );
    assert!(
        table.as_str().unwrap().contains("张伟劳模创新工作室"),
        "studio by name: {table}"
    );
    save_screenshot(&mut b, "desk-review");
    b.eval("document.querySelector('.review-actions textarea').value = '图文清楚，同意发布'; document.querySelector('.review-actions button[value=approve]').click(); true");
    b.wait_for(
        "location.pathname === '/review' && document.querySelector('.notice.done')",
        "the approval banner",
    );
    assert!(
        b.eval("document.querySelector('.notice.done').innerText")
            .as_str()
            .unwrap()
            .contains("已通过并发布")
    );
    b.goto(&format!("{}/history/tunnel-zhang/hanger-browser", app.base));
    assert!(
        b.eval("document.querySelector('table.versions').innerText")
            .as_str()
            .unwrap()
            .contains("图文清楚，同意发布")
    );
}

fn form_post(app: &TestApp, cookie: &str, body: &str) -> crate::support::Response {
    app.request(
        "POST",
        "/publish",
        &[
            ("cookie", cookie),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        Some(body.as_bytes()),
    )
    .unwrap()
}

fn urlencoded(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[test]
fn form_offers_chinese_choices_and_says_what_is_wrong() {
    let (app, _) = app_with_users();
    let (cookie, csrf) = sign_in(&app, "pub-tunnel");
    let page = app
        .request("GET", "/publish?kind=patent", &[("cookie", &cookie)], None)
        .unwrap()
        .body;
    for option in [
        "<option value=\"enterprise\">企业级</option>",
        "<option value=\"national\">国家级</option>",
        "<option value=\"utility\">实用新型</option>",
        "<option value=\"granted\">",
    ] {
        assert!(page.contains(option), "{option}");
    }
    assert!(!page.contains("| enterprise |"), "no English codes to type");
    assert!(page.contains("name=\"draft\" value=\""), "a draft for files");
    assert!(page.contains("enctype=\"multipart/form-data\""));
    let base = [
        ("csrf", csrf.as_str()),
        ("kind", "patent"),
        ("title", "一种吊弦预配装置"),
        ("slug", "hanger-device"),
        ("date", "2025-01-01"),
        ("visibility", "public"),
        ("patent_type", "utility"),
        ("body", "## 技术方案\n\n装置说明。"),
    ];
    let wrong = [
        ("applied_project_0", "深圳地铁14号线"),
        ("applied_year_0", "明年"),
        ("award_name_0", "省科技奖"),
        ("award_year_0", "2023"),
        ("related", "tunnel-zhang/segment-repair，tunnel-zhang/no-such-record"),
        ("filing_date", "2022-03-01"),
        ("grant_date", "2021-05-01"),
    ];
    for action in ["preview", "submit"] {
        let mut pairs = base.to_vec();
        pairs.extend_from_slice(&wrong);
        pairs.push(("action", action));
        let r = form_post(&app, &cookie, &urlencoded(&pairs));
        assert_eq!(r.status, 422, "{action}");
        for message in [
            "第 1 项应用推广：年份应为四位数字，如 2023（填写的是“明年”）",
            "第 1 项获奖：请选择获奖级别",
            "找不到记录“tunnel-zhang/no-such-record”",
            "授权日 2021-05-01 早于申请日 2022-03-01",
        ] {
            assert!(r.body.contains(message), "{action}: {message}");
        }
        assert!(
            !r.body.contains("找不到记录“tunnel-zhang/segment-repair”"),
            "an existing record is fine"
        );
        // Each field with an error points to its message and is marked.
        for field in ["grant_date", "related", "applied_in", "awards"] {
            assert!(
                r.body
                    .contains(&format!("aria-invalid=\"true\" aria-describedby=\"err-{field}\"")),
                "{action}: {field}"
            );
            assert!(r.body.contains(&format!("id=\"err-{field}\">")), "{field}");
        }
        assert!(
            !r.body.contains("aria-describedby=\"err-title\""),
            "a good field is not marked"
        );
        // What was typed is kept, and the preview still renders.
        assert!(r.body.contains("value=\"明年\""));
        assert!(r.body.contains("id=\"技术方案\""), "{action}: preview");
        assert!(
            !app.content().join("tunnel-zhang/hanger-device.md").exists(),
            "nothing written"
        );
    }
    // A record another studio's publisher cannot see is not found for them.
    let (bridge, bridge_csrf) = sign_in(&app, "pub-bridge");
    let mut pairs = base.to_vec();
    pairs[0] = ("csrf", bridge_csrf.as_str());
    pairs.extend_from_slice(&[("related", "tunnel-zhang/studio-only"), ("action", "preview")]);
    let r = form_post(&app, &bridge, &urlencoded(&pairs));
    assert!(
        r.body.contains("找不到记录“tunnel-zhang/studio-only”"),
        "hidden is missing"
    );
    // Put right, it is written, awards with their levels.
    let mut pairs = base.to_vec();
    pairs.extend_from_slice(&[
        ("applied_project_0", "深圳地铁14号线"),
        ("applied_year_0", "2024"),
        ("award_name_0", "省科技奖"),
        ("award_level_0", "provincial"),
        ("award_year_0", "2023"),
        ("filing_date", "2021-03-01"),
        ("grant_date", "2021-05-01"),
        ("related", "tunnel-zhang/segment-repair"),
        ("action", "submit"),
    ]);
    let r = form_post(&app, &cookie, &urlencoded(&pairs));
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some("/records/tunnel-zhang/hanger-device?done=submitted")
    );
    let file = std::fs::read_to_string(app.content().join("tunnel-zhang/hanger-device.md")).unwrap();
    assert!(
        file.contains("level: provincial") && file.contains("year: 2024"),
        "{file}"
    );
    let shown = get_as(&app, None, "/login").body;
    assert!(shown.contains("请联系本工作室的负责人，或联盟工会的工作人员"));
    assert!(!shown.contains("zhihui user add"), "no command line for visitors");
}

/// The form without script: files go with it as multipart, are shown in
/// the server's preview, and become the record's attachments on submit.
#[test]
fn form_files_without_script_are_previewed_and_attached() {
    let (app, u) = app_with_users();
    let (cookie, csrf) = sign_in(&app, "pub-tunnel");
    let draft = "0123456789abcdef0123456789abcdef";
    let multipart = |action: &str, file: Option<(&str, &[u8])>| {
        let boundary = "----zhihui-test-boundary";
        let mut body = Vec::new();
        for (k, v) in [
            ("csrf", csrf.as_str()),
            ("draft", draft),
            ("kind", "method"),
            ("title", "管片注浆孔封堵操作法"),
            ("slug", "plug-method"),
            ("date", "2025-05-05"),
            ("visibility", "public"),
            ("level", "enterprise"),
            ("body", "## 做法\n\n![封堵示意](plug.png)\n"),
            ("action", action),
        ] {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
            );
        }
        if let Some((name, bytes)) = file {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let content_type = format!("multipart/form-data; boundary={boundary}");
        app.request(
            "POST",
            "/publish",
            &[("cookie", &cookie), ("content-type", &content_type)],
            Some(&body),
        )
        .unwrap()
    };
    // A file that is not an image or PDF is refused next to the field.
    let refused = multipart("preview", Some(("x.png", b"<svg onload=alert(1)>")));
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("aria-describedby=\"err-files\"") && refused.body.contains("只接受图片"));
    let preview = multipart("preview", Some(("plug.png", &png())));
    assert_eq!(preview.status, 200, "{}", preview.body);
    let src = format!("/drafts/{draft}/tunnel-zhang/plug-method/plug.png");
    assert!(preview.body.contains(&format!("src=\"{src}\"")), "{}", preview.body);
    assert!(preview.body.contains("<code>plug.png</code>"), "listed in the form");
    // Only its owner gets the draft's file.
    let own = app.request("GET", &src, &[("cookie", &cookie)], None).unwrap();
    assert_eq!((own.status, own.header("content-type")), (200, Some("image/png")));
    for token in [None, Some(u.bridge.as_str()), Some(u.staff.as_str())] {
        assert_eq!(get_as(&app, token, &src).status, 404);
    }
    let submitted = multipart("submit", None);
    assert_eq!(submitted.status, 303, "{}", submitted.body);
    assert!(
        app.content().join("tunnel-zhang/plug-method/plug.png").is_file(),
        "attached"
    );
    assert!(app.content().join("tunnel-zhang/plug-method/index.md").is_file());
    let record = app
        .request(
            "GET",
            "/records/tunnel-zhang/plug-method?done=submitted",
            &[("cookie", &cookie)],
            None,
        )
        .unwrap()
        .body;
    assert!(
        record.contains("src=\"/records/tunnel-zhang/plug-method/plug.png\""),
        "{record}"
    );
    assert!(record.contains("已提交，等待工会审核"));
    // The draft is gone; its URL now finds the record's own file.
    let left: Vec<_> = walkdir_files(&app.root.join("data/drafts"));
    assert!(left.is_empty(), "{left:?}");
    let now = app.request("GET", &src, &[("cookie", &cookie)], None).unwrap();
    assert_eq!(now.status, 200);
}

fn walkdir_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walkdir_files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// `YYYY-MM-DD HH:MM` at UTC+8 for seconds since 1970, computed apart
/// from the server's code (days to a civil date, Howard Hinnant's way).
fn beijing(secs: u64) -> String {
    let t = secs as i64 + 8 * 3600;
    let (days, rest) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}", rest / 3600, rest % 3600 / 60)
}

#[test]
fn review_shows_studio_names_chinese_field_changes_body_hunks_and_beijing_time() {
    let (app, u) = app_with_users();
    let id = "tunnel-zhang/hunks";
    let body: String = (1..=30).map(|i| format!("第{i}段施工记录。\n\n")).collect();
    let published = format!(
        "---\ntitle: 管片拼装记录\nkind: method\nstudio: tunnel-zhang\ndate: 2024-01-01\nvisibility: public\nlevel: enterprise\n---\n\n{body}"
    );
    assert_eq!(put(&app, &u.staff, id, &published, &[]).status, 201);
    let changed = published
        .replace("level: enterprise", "level: provincial")
        .replace("visibility: public", "visibility: members\nbenefit: 35")
        .replace("第3段施工记录。", "第3段施工记录（已改）。");
    assert_eq!(put(&app, &u.tunnel, id, &changed, &[]).status, 200);
    let queue = get_as(&app, Some(&u.staff), "/review").body;
    assert!(queue.contains(">张伟劳模创新工作室</a>"), "studio by name");
    assert!(!queue.contains("> tunnel-zhang ·") && !queue.contains("<code>tunnel-zhang/hunks</code>"));
    let page = get_as(&app, Some(&u.staff), &format!("/review/{id}")).body;
    for row in [
        "<th scope=\"row\">工法等级</th><td class=\"old\">企业级</td><td class=\"new\">省部级</td>",
        "<th scope=\"row\">可见范围</th><td class=\"old\">公开</td><td class=\"new\">联盟成员可见</td>",
        "<th scope=\"row\">经济效益</th><td class=\"old\"><span class=\"hint\">—</span></td><td class=\"new\">35 万元</td>",
    ] {
        assert!(page.contains(row), "{row}\n{page}");
    }
    for english in ["level:", "visibility:", "provincial", "review: pending"] {
        assert!(!page.contains(english), "no raw YAML: {english}");
    }
    // The body: one hunk around the changed line, not every line.
    assert_eq!(page.matches("class=\"hunk\"").count(), 1);
    assert!(page.contains("第 4 行起"), "{page}");
    assert!(
        page.contains("class=\"ddel\">− 第3段施工记录。</span>")
            && page.contains("class=\"dadd\">+ 第3段施工记录（已改）。</span>")
    );
    let hunks = &page[page.find("class=\"hunk\"").unwrap()..page.find("<h2>预览</h2>").unwrap()];
    assert!(
        hunks.contains("第2段施工记录") && hunks.contains("第4段施工记录"),
        "context: {hunks}"
    );
    assert!(
        !hunks.contains("第1段施工记录") && !hunks.contains("第20段施工记录"),
        "unchanged lines far away are left out"
    );
    // Times in Beijing time, as the history's lines say.
    let versions = std::fs::read_to_string(app.root.join(format!("data/history/{id}/versions.jsonl"))).unwrap();
    let times: Vec<u64> = versions
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["time"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert!(
        page.contains(&format!("提交于 <time>{}</time>", beijing(times[1]))),
        "{page}"
    );
    let history = get_as(&app, Some(&u.staff), &format!("/history/{id}")).body;
    assert!(history.contains("时间（北京时间）"));
    for t in &times {
        assert!(history.contains(&format!("<time>{}</time>", beijing(*t))), "{history}");
    }
    assert!(!history.contains("UTC"));
    // The history shows a version's changes the same way.
    let v2 = get_as(&app, Some(&u.staff), &format!("/history/{id}?v=2")).body;
    assert!(
        v2.contains("<td class=\"old\">企业级</td><td class=\"new\">省部级</td>"),
        "{v2}"
    );
}

#[test]
fn approval_comment_is_kept_and_shown_to_the_studio_with_banners() {
    let (app, u) = app_with_users();
    let id = "tunnel-zhang/commented";
    let text = crate::publish::record("tunnel-zhang", "带审核意见的成果", "意见测试词", "public");
    assert_eq!(put(&app, &u.tunnel, id, &text, &[]).status, 201);
    let (cookie, csrf) = sign_in(&app, "staff1");
    let form = urlencoded(&[
        ("action", "approve"),
        ("comment", "数据翔实，同意发布"),
        ("csrf", &csrf),
    ]);
    let r = app
        .request(
            "POST",
            &format!("/review/{id}"),
            &[
                ("cookie", &cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Some(form.as_bytes()),
        )
        .unwrap();
    assert_eq!(r.status, 303);
    let next = r.header("location").unwrap().to_string();
    assert_eq!(next, format!("/review?done=approved&id={}", enc(id)));
    let banner = app.request("GET", &next, &[("cookie", &cookie)], None).unwrap().body;
    assert!(
        banner.contains("已通过并发布：<a href=\"/records/tunnel-zhang/commented\">带审核意见的成果</a>"),
        "{banner}"
    );
    // Kept in the history, for the studio, and in the audit log.
    let history = get_as(&app, Some(&u.tunnel), &format!("/history/{id}")).body;
    assert!(
        history.contains("<td class=\"comment\">数据翔实，同意发布</td>"),
        "{history}"
    );
    let audit = std::fs::read_to_string(app.root.join("data/audit.log")).unwrap();
    let last: serde_json::Value = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    assert_eq!(
        (last["action"].as_str(), last["comment"].as_str()),
        (Some("approve"), Some("数据翔实，同意发布"))
    );
    let record = get_as(&app, Some(&u.tunnel), &format!("/records/{id}")).body;
    assert!(
        record.contains("审核通过意见") && record.contains("数据翔实，同意发布"),
        "shown to the publisher"
    );
    for token in [None, Some(u.member.as_str()), Some(u.bridge.as_str())] {
        let page = get_as(&app, token, &format!("/records/{id}")).body;
        assert!(!page.contains("数据翔实"), "not to others");
    }
    // An approval without a comment keeps none; the API takes one too.
    let api = crate::publish::post_as(
        &app,
        &u.staff,
        "/api/records/tunnel-zhang/segment-repair/approve",
        &serde_json::json!({"comment": "x"}),
    );
    assert_eq!(api.status, 404, "nothing waits there");
    // A change to the published record: the studio is told it waits.
    let changed = text.replace("带审核意见的成果", "带审核意见的成果（修订）");
    assert_eq!(put(&app, &u.tunnel, id, &changed, &[]).status, 200);
    let record = get_as(&app, Some(&u.tunnel), &format!("/records/{id}?done=submitted_change")).body;
    assert!(record.contains("修改已提交审核：通过前网站上仍显示已发布的版本"));
    assert!(record.contains("您对这条记录的修改正在审核中") && record.contains("（待审核）"));
    // Returned: the studio sees the comment on the record page.
    let back = crate::publish::post_as(
        &app,
        &u.staff,
        &format!("/api/records/{id}/return"),
        &serde_json::json!({"comment": "请补充效益"}),
    );
    assert_eq!(back.status, 200);
    let record = get_as(&app, Some(&u.tunnel), &format!("/records/{id}")).body;
    assert!(record.contains("（已退回）：审核意见：请补充效益"), "{record}");
    assert!(
        !get_as(&app, None, &format!("/records/{id}"))
            .body
            .contains("请补充效益")
    );
    // Only known banners are said.
    for bogus in ["?done=hacked", "?done=%3Cscript%3E", "?done="] {
        let page = get_as(&app, Some(&u.staff), &format!("/review{bogus}")).body;
        assert!(!page.contains("notice done"), "{bogus}");
    }
    let staff_return = get_as(&app, Some(&u.staff), "/review?done=returned&id=tunnel-zhang/commented").body;
    assert!(staff_return.contains("已退回工作室修改"));
}

#[test]
fn files_waiting_for_review_show_on_the_review_page_to_reviewers_only() {
    let (app, u) = app_with_users();
    let id = "tunnel-zhang/segment-repair";
    let header = crate::publish::auth(&u.tunnel);
    let r = app
        .request(
            "PUT",
            &format!("/api/files/{id}/waiting.png"),
            &[("authorization", &header)],
            Some(&png()),
        )
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.body);
    let (text, _) = {
        let r = get_as(&app, Some(&u.tunnel), &format!("/api/records/{id}"));
        (r.body, ())
    };
    assert!(!text.is_empty());
    let page = get_as(&app, Some(&u.staff), &format!("/review/{id}")).body;
    assert!(page.contains("waiting.png"), "listed");
    let url = format!("/review-files/{id}/waiting.png");
    for (who, token, status) in [
        ("staff", Some(u.staff.as_str()), 200),
        ("studio", Some(u.tunnel.as_str()), 200),
        ("other studio", Some(u.bridge.as_str()), 404),
        ("member", Some(u.member.as_str()), 404),
        ("visitor", None, 404),
    ] {
        assert_eq!(get_as(&app, token, &url).status, status, "{who}");
    }
    // Still not published at the record's own address.
    assert_eq!(
        get_as(&app, Some(&u.tunnel), &format!("/records/{id}/waiting.png")).status,
        404
    );
    // A body that shows it resolves there on the review page.
    let current = std::fs::read_to_string(app.content().join(id).join(".index.pending.md")).unwrap();
    let with_image = current.replacen("\n---\n", "\n---\n\n![等待的图](waiting.png)\n", 1);
    // Written as a publisher change through the API (review fields are set by the server).
    let clean: String = with_image
        .lines()
        .filter(|l| !l.starts_with("review"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(put(&app, &u.tunnel, id, &clean, &[]).status, 200);
    let page = get_as(&app, Some(&u.staff), &format!("/review/{id}")).body;
    assert!(page.contains(&format!("src=\"{url}\"")), "{page}");
}
