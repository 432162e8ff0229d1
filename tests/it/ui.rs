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
