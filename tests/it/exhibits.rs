//! Exhibits (成果展): the builder over HTTP (who may, reordering, sections,
//! bad ids, stale pages), what the page and the print show to each viewer,
//! the A4 boards as Chromium prints them (one page per board, A4 either
//! way, a QR code that decodes to the record's public address) and the
//! offline copy (the CLI's folder and the staff's ZIP), opened from
//! `file://` with nothing fetched from a server.

use std::path::Path;

use crate::chrome::{Browser, chromium};
use crate::publish::auth;
use crate::support::{self, Response, TestApp, enc};

const PUBLIC_URL: &str = "https://zhihui.example.cn";

struct Tokens {
    member: String,
    publisher: String,
    staff: String,
}

/// The basic fixture with a member, a publisher and staff, served with
/// `args`.
fn app(args: &[&str]) -> (TestApp, Tokens) {
    let dir = support::fixture_copy("basic");
    // The fixture's bundle image is a stand-in; boards and the offline copy
    // are checked for images a browser really shows.
    std::fs::write(
        dir.path().join("content/power-chen/catenary-manual/diagram.png"),
        real_png(),
    )
    .unwrap();
    TestApp::add_user(dir.path(), "member1", "member", None);
    TestApp::add_user(dir.path(), "pub-tunnel", "publisher", Some("tunnel-zhang"));
    TestApp::add_user(dir.path(), "staff1", "staff", None);
    let tokens = Tokens {
        member: TestApp::token(dir.path(), "member1"),
        publisher: TestApp::token(dir.path(), "pub-tunnel"),
        staff: TestApp::token(dir.path(), "staff1"),
    };
    (TestApp::serve_with(dir, args), tokens)
}

fn real_png() -> Vec<u8> {
    let image = image::RgbImage::from_fn(96, 64, |x, y| image::Rgb([(x * 2) as u8, (y * 3) as u8, 120]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    bytes.into_inner()
}

fn put_exhibit(app: &TestApp, token: Option<&str>, id: &str, text: &str, extra: &[(&str, &str)]) -> Response {
    let header = token.map(auth);
    let mut headers = vec![("content-type", "text/markdown")];
    if let Some(h) = &header {
        headers.push(("authorization", h));
    }
    headers.extend_from_slice(extra);
    app.request("PUT", &format!("/api/exhibits/{id}"), &headers, Some(text.as_bytes()))
        .unwrap()
}

/// A builder form posted with a token (tokens need no CSRF field).
fn post_form(app: &TestApp, token: Option<&str>, path: &str, pairs: &[(&str, &str)]) -> Response {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let header = token.map(auth);
    let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
    if let Some(h) = &header {
        headers.push(("authorization", h));
    }
    app.request("POST", path, &headers, Some(body.as_bytes())).unwrap()
}

fn get_as(app: &TestApp, token: Option<&str>, path: &str) -> Response {
    crate::publish::get_as(app, token, path)
}

/// The ids of an exhibit's file, by section, as `title:id,id` joined by spaces.
fn shape(app: &TestApp, id: &str) -> String {
    let text = std::fs::read_to_string(app.content().join(format!("exhibits/{id}.md"))).unwrap();
    let mut out = Vec::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if line == "items:" || line == "items: []" {
            current = Some((String::new(), Vec::new()));
        } else if let Some(title) = trimmed.strip_prefix("- title: ") {
            out.extend(current.take());
            current = Some((title.to_string(), Vec::new()));
        } else if let Some(rest) = trimmed.strip_prefix("- ") {
            let id = rest.strip_prefix("id: ").unwrap_or(rest);
            if let Some((_, items)) = &mut current {
                items.push(id.to_string());
            }
        } else if line == "---" && current.is_some() {
            out.extend(current.take());
        }
    }
    out.into_iter()
        .map(|(t, i)| format!("{t}:{}", i.join(",")))
        .collect::<Vec<_>>()
        .join(" ")
}

fn etag_of(app: &TestApp, token: &str, id: &str) -> String {
    let page = get_as(app, Some(token), &format!("/exhibits/{id}/edit")).body;
    let at = page
        .find("name=\"etag\" value=\"")
        .expect("the builder carries the version")
        + 19;
    page[at..at + 16].to_string()
}

const FIRST: &str = "---\nkind: exhibit\ntitle: 接触网成果展\nvisibility: public\nitems:\n  - tunnel-zhang/segment-repair\n---\n\n介绍。\n";

#[test]
fn the_builder_is_for_staff_and_keeps_order_sections_and_history() {
    let (app, t) = app(&[]);
    // Scripts: staff create (201) and replace (200); nobody else may.
    let created = put_exhibit(&app, Some(&t.staff), "wire", FIRST, &[]);
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.json()["url"], "/exhibits/wire");
    assert_eq!(put_exhibit(&app, Some(&t.staff), "wire", FIRST, &[]).status, 200);
    for (who, token, status) in [
        ("publisher", Some(t.publisher.as_str()), 403),
        ("member", Some(t.member.as_str()), 403),
        ("anonymous", None, 401),
    ] {
        let r = put_exhibit(&app, token, "wire", FIRST, &[]);
        assert_eq!(r.status, status, "{who}: {}", r.body);
        let r = put_exhibit(&app, token, "theirs", FIRST, &[]);
        assert_eq!(r.status, status, "{who} creating");
        assert!(!app.content().join("exhibits/theirs.md").exists(), "{who} wrote a file");
    }
    // Scripts read the file and its version, then write over that version.
    let read = get_as(&app, Some(&t.staff), "/api/exhibits/wire");
    assert_eq!(read.status, 200);
    assert_eq!(read.body, FIRST);
    let tag = read.header("etag").unwrap().to_string();
    let over = put_exhibit(&app, Some(&t.staff), "wire", FIRST, &[("if-match", &tag)]);
    assert_eq!(over.status, 200, "{}", over.body);
    assert_eq!(get_as(&app, Some(&t.publisher), "/api/exhibits/wire").status, 403);
    assert_eq!(get_as(&app, None, "/api/exhibits/wire").status, 401);
    assert_eq!(get_as(&app, Some(&t.staff), "/api/exhibits/nowhere").status, 404);
    // Only creating, or only over the version read.
    let again = put_exhibit(&app, Some(&t.staff), "wire", FIRST, &[("if-none-match", "*")]);
    assert_eq!(again.status, 409);
    let stale = put_exhibit(
        &app,
        Some(&t.staff),
        "wire",
        FIRST,
        &[("if-match", "\"0000000000000000\"")],
    );
    assert_eq!(stale.status, 409);

    // Bad ids answer 422 naming the field, the line and the closest id.
    let typo = FIRST.replace("segment-repair", "segment-repiar");
    let r = put_exhibit(&app, Some(&t.staff), "wire", &typo, &[]);
    assert_eq!(r.status, 422, "{}", r.body);
    let e = &r.json()["errors"][0];
    assert_eq!(e["field"], "items");
    assert_eq!(e["line"], 6);
    assert!(
        e["message"].as_str().unwrap().contains("tunnel-zhang/segment-repair"),
        "{e}"
    );
    let in_section =
        "---\nkind: exhibit\ntitle: 展\nsections:\n  - title: 甲\n    items:\n      - nowhere/at-all\n---\n";
    let r = put_exhibit(&app, Some(&t.staff), "wire", in_section, &[]);
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"][0]["field"], "sections");
    assert_eq!(r.json()["errors"][0]["line"], 7);
    let twice = FIRST.replace("---\n\n介绍", "  - tunnel-zhang/segment-repair\n---\n\n介绍");
    assert_eq!(put_exhibit(&app, Some(&t.staff), "wire", &twice, &[]).status, 422);
    for bad in ["%2E%2E", "a%2Fb", ".hidden", "a%E2%80%8Bb"] {
        let r = put_exhibit(&app, Some(&t.staff), bad, FIRST, &[]);
        assert_eq!(r.status, 422, "{bad}: {}", r.body);
        assert_eq!(r.json()["errors"][0]["field"], "id", "{bad}");
    }
    let r = post_form(&app, Some(&t.staff), "/exhibits", &[("id", "a/b"), ("title", "展")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("成果展编号无效"), "{}", r.body);
    assert!(!app.content().join("wire.md").exists());
    assert_eq!(shape(&app, "wire"), ":tunnel-zhang/segment-repair");

    // The builder's buttons: plain forms.
    let edit = "/exhibits/wire/edit";
    let step = |pairs: &[(&str, &str)]| {
        let mut all = vec![("etag", etag_of(&app, &t.staff, "wire"))];
        all.extend(pairs.iter().map(|(k, v)| (*k, v.to_string())));
        let pairs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
        post_form(&app, Some(&t.staff), edit, &pairs)
    };
    let r = step(&[
        ("op", "add"),
        ("record", "power-chen/catenary-manual"),
        ("title", "接触网"),
        ("caption", "吊弦快速更换"),
    ]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some(edit));
    step(&[
        ("op", "add"),
        ("record", "power-chen/open-problem"),
        ("title", "接触网"),
    ]);
    step(&[("op", "add"), ("record", "bridge-li/anchor-patent"), ("title", "")]);
    assert_eq!(
        shape(&app, "wire"),
        ":tunnel-zhang/segment-repair,bridge-li/anchor-patent 接触网:power-chen/catenary-manual,power-chen/open-problem"
    );
    // Up within a section, then down across its edge into the next one.
    step(&[("op", "up"), ("section", "1"), ("item", "1")]);
    assert_eq!(
        shape(&app, "wire"),
        ":tunnel-zhang/segment-repair,bridge-li/anchor-patent 接触网:power-chen/open-problem,power-chen/catenary-manual"
    );
    step(&[("op", "down"), ("section", "0"), ("item", "1")]);
    assert_eq!(
        shape(&app, "wire"),
        ":tunnel-zhang/segment-repair 接触网:bridge-li/anchor-patent,power-chen/open-problem,power-chen/catenary-manual"
    );
    step(&[("op", "add_section"), ("title", "桥梁")]);
    step(&[("op", "move_to"), ("section", "1"), ("item", "0"), ("target", "2")]);
    step(&[("op", "section_up"), ("section", "2")]);
    step(&[("op", "rename_section"), ("section", "2"), ("title", "四电")]);
    step(&[("op", "remove"), ("section", "0"), ("item", "0")]);
    assert_eq!(
        shape(&app, "wire"),
        "桥梁:bridge-li/anchor-patent 四电:power-chen/open-problem,power-chen/catenary-manual"
    );
    let r = step(&[
        ("op", "caption"),
        ("section", "1"),
        ("item", "1"),
        ("caption", "新说明"),
        ("image", "diagram.png"),
    ]);
    assert_eq!(r.status, 303);
    let file = std::fs::read_to_string(app.content().join("exhibits/wire.md")).unwrap();
    assert!(
        file.contains("caption: 新说明") && file.contains("image: diagram.png"),
        "{file}"
    );
    assert!(file.contains("介绍。"), "the introduction is kept: {file}");
    step(&[
        ("op", "details"),
        ("title", "接触网与桥梁成果展"),
        ("cover", "2025年"),
        ("visibility", "public"),
        ("body", "新的介绍"),
    ]);
    let page = app.get("/exhibits/wire").body;
    assert!(page.contains("接触网与桥梁成果展") && page.contains("2025年") && page.contains("新说明"));
    assert!(
        page.find("四电").unwrap() > page.find("桥梁</h2>").unwrap(),
        "sections in order"
    );

    // Refused edits change nothing and say why.
    let before = shape(&app, "wire");
    let r = step(&[("op", "add"), ("record", "power-chen/catenary-manul"), ("title", "")]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("power-chen/catenary-manual") || r.body.contains("已在"),
        "{}",
        r.body
    );
    let r = step(&[("op", "add"), ("record", "bridge-li/no-such"), ("title", "")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("找不到记录"), "{}", r.body);
    let r = step(&[("op", "rename_section"), ("section", "0"), ("title", "四电")]);
    assert_eq!(r.status, 422);
    let r = step(&[("op", "remove"), ("section", "9"), ("item", "0")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("刷新"), "{}", r.body);
    let r = post_form(
        &app,
        Some(&t.staff),
        edit,
        &[
            ("etag", "0123456789abcdef"),
            ("op", "remove"),
            ("section", "0"),
            ("item", "0"),
        ],
    );
    assert_eq!(r.status, 409, "a page shown before another change: {}", r.body);
    let r = post_form(
        &app,
        Some(&t.publisher),
        edit,
        &[("op", "remove"), ("section", "0"), ("item", "0")],
    );
    assert_eq!(r.status, 403);
    let r = post_form(
        &app,
        Some(&t.member),
        edit,
        &[("op", "remove"), ("section", "0"), ("item", "0")],
    );
    assert_eq!(r.status, 403);
    assert_eq!(shape(&app, "wire"), before);
    assert_eq!(get_as(&app, Some(&t.publisher), edit).status, 403);
    assert_eq!(get_as(&app, Some(&t.member), edit).status, 403);
    assert_eq!(get_as(&app, None, edit).status, 303, "visitors are sent to sign in");

    // A signed-in form needs its CSRF token.
    let (cookie, csrf) = crate::publish::sign_in(&app, "staff1");
    let body = "op=add_section&title=%E6%97%A0";
    let r = app
        .request(
            "POST",
            edit,
            &[
                ("cookie", &cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Some(body.as_bytes()),
        )
        .unwrap();
    assert_eq!(r.status, 403, "no CSRF token: {}", r.body);
    let with = format!("{body}&csrf={}", enc(&csrf));
    let r = app
        .request(
            "POST",
            edit,
            &[
                ("cookie", &cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Some(with.as_bytes()),
        )
        .unwrap();
    assert_eq!(r.status, 303, "{}", r.body);

    // New exhibits from the list page; history and audit keep every save.
    let r = post_form(
        &app,
        Some(&t.staff),
        "/exhibits",
        &[("id", "new-one"), ("title", "新展")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/exhibits/new-one/edit"));
    assert_eq!(
        post_form(
            &app,
            Some(&t.staff),
            "/exhibits",
            &[("id", "new-one"), ("title", "又一个")]
        )
        .status,
        409
    );
    assert_eq!(
        post_form(&app, Some(&t.publisher), "/exhibits", &[("id", "p"), ("title", "展")]).status,
        403
    );
    assert_eq!(
        get_as(&app, Some(&t.member), "/exhibits/new-one").status,
        200,
        "members see a new exhibit"
    );
    assert_eq!(get_as(&app, None, "/exhibits/new-one").status, 404, "visitors do not");
    let versions = std::fs::read_to_string(app.root.join("data/history/exhibits/wire/versions.jsonl")).unwrap();
    assert!(versions.lines().count() >= 12, "{versions}");
    let builder = get_as(&app, Some(&t.staff), "/exhibits/wire/edit").body;
    assert!(
        builder.contains("最近保存") && builder.contains("staff1"),
        "the builder lists its saves"
    );
    let audit = std::fs::read_to_string(app.root.join("data/audit.log")).unwrap();
    assert!(audit.contains("exhibits/wire") && audit.contains("exhibits/new-one"));
}

#[test]
fn add_to_exhibit_is_offered_to_staff_on_cards_and_record_pages() {
    let (app, t) = app(&[]);
    for path in ["/search?q=%E7%9B%BE%E6%9E%84", "/records/tunnel-zhang/segment-repair"] {
        assert!(
            get_as(&app, Some(&t.staff), path)
                .body
                .contains("/add-to-exhibit?record="),
            "{path}"
        );
        for token in [None, Some(t.member.as_str()), Some(t.publisher.as_str())] {
            assert!(!get_as(&app, token, path).body.contains("加入成果展"), "{path}");
        }
    }
    let ask = get_as(
        &app,
        Some(&t.staff),
        "/add-to-exhibit?record=tunnel-zhang%2Fgrouting-qc",
    );
    assert_eq!(ask.status, 200);
    assert!(ask.body.contains("value=\"show\"") && ask.body.contains("提高同步注浆饱满度QC成果"));
    assert_eq!(
        get_as(
            &app,
            Some(&t.publisher),
            "/add-to-exhibit?record=tunnel-zhang%2Fgrouting-qc"
        )
        .status,
        403
    );
    assert_eq!(
        get_as(&app, Some(&t.staff), "/add-to-exhibit?record=nowhere%2Fx").status,
        404
    );
    let r = post_form(
        &app,
        Some(&t.staff),
        "/add-to-exhibit",
        &[
            ("record", "tunnel-zhang/grouting-qc"),
            ("exhibit", "show"),
            ("section", "隧道"),
            ("caption", "注浆"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/exhibits/show/edit"));
    // The old file's items and captions stay; the new one is in its section.
    let file = std::fs::read_to_string(app.content().join("exhibits/show.md")).unwrap();
    assert!(
        file.contains("caption: 优秀专利") && file.contains("- title: 隧道"),
        "{file}"
    );
    assert!(app.get("/exhibits/show").body.contains("提高同步注浆饱满度QC成果"));
    let r = post_form(
        &app,
        Some(&t.publisher),
        "/add-to-exhibit",
        &[
            ("record", "tunnel-zhang/segment-repair"),
            ("exhibit", "show"),
            ("section", ""),
        ],
    );
    assert_eq!(r.status, 403);
}

#[test]
fn page_and_print_show_only_what_the_viewer_may_see_and_count_the_rest() {
    let (app, t) = app(&[]);
    // `show` (an older file: items as ids or {id, caption}) holds a members record.
    let anonymous = app.get("/exhibits/show");
    assert_eq!(anonymous.status, 200);
    assert!(!anonymous.body.contains("联盟内部盾构掘进参数库") && !anonymous.body.contains("内部展项"));
    assert!(anonymous.body.contains("另有 1 项"), "the gap is said");
    assert!(anonymous.body.contains("优秀专利") && anonymous.body.contains("一种桥梁支座锚栓定位装置"));
    assert!(
        anonymous.body.contains("专利状态") || anonymous.body.contains("专利类型"),
        "the key facts of a patent"
    );
    let english = app.get("/exhibits/show?lang=en").body;
    assert!(
        english.contains("Print A4 boards") && english.contains("1 more item(s)"),
        "{english}"
    );
    assert!(
        english.contains("Patent") && !english.contains("专利类型"),
        "labels from the field table"
    );
    let member = get_as(&app, Some(&t.member), "/exhibits/show").body;
    assert!(member.contains("联盟内部盾构掘进参数库") && !member.contains("另有"));
    assert!(!anonymous.body.contains("/export.zip") && !member.contains("/edit\""));
    assert!(
        get_as(&app, Some(&t.staff), "/exhibits/show")
            .body
            .contains("/exhibits/show/export.zip")
    );

    let print = app.get("/exhibits/show/print");
    assert_eq!(print.status, 200);
    assert_eq!(
        print.body.matches("<section class=\"board ").count(),
        2 + 2,
        "cover, contents, two items"
    );
    assert!(print.body.contains("另有 1 项") && !print.body.contains("联盟内部盾构掘进参数库"));
    assert!(print.body.contains("--public-url"), "says what to set for QR codes");
    assert!(!print.body.contains("<svg"), "no QR code without a public address");
    assert!(!print.body.contains("class=\"top\""), "no navigation on boards");
    let staff_print = get_as(&app, Some(&t.staff), "/exhibits/show/print?orientation=landscape").body;
    assert_eq!(staff_print.matches("<section class=\"board ").count(), 2 + 3);
    assert!(staff_print.contains("exhibit-landscape.css"));
    assert_eq!(app.get("/exhibits/show/print?orientation=sideways").status, 400);
    assert_eq!(app.get("/exhibits/nowhere/print").status, 404);
    // A members exhibit is not there for visitors, in any form.
    let members = FIRST.replace("visibility: public", "visibility: members");
    assert_eq!(put_exhibit(&app, Some(&t.staff), "inner", &members, &[]).status, 201);
    for path in ["/exhibits/inner", "/exhibits/inner/print"] {
        assert_eq!(app.get(path).status, 404, "{path}");
        assert_eq!(get_as(&app, Some(&t.member), path).status, 200, "{path}");
    }
    assert!(!app.get("/exhibits").body.contains("/exhibits/inner"));

    // An exhibit written by hand is shown within a second, and goes with its file.
    let hand = app.content().join("exhibits/by-hand.md");
    std::fs::write(&hand, FIRST.replace("接触网成果展", "手写的成果展")).unwrap();
    let shown = app.wait_for(std::time::Duration::from_secs(5), |a| {
        a.get("/exhibits/by-hand").body.contains("手写的成果展")
    });
    assert!(shown, "a new file is picked up");
    std::fs::write(&hand, FIRST.replace("接触网成果展", "改过的成果展")).unwrap();
    assert!(app.wait_for(std::time::Duration::from_secs(5), |a| {
        a.get("/exhibits/by-hand").body.contains("改过的成果展")
    }));
    std::fs::remove_file(&hand).unwrap();
    assert!(
        app.wait_for(std::time::Duration::from_secs(5), |a| a.get("/exhibits/by-hand").status
            == 404)
    );
}

#[test]
fn check_reports_unknown_ids_hidden_records_and_missing_images_at_their_lines() {
    let dir = support::fixture_copy("basic");
    let text = "---\nkind: exhibit\ntitle: 检查\nvisibility: public\nitems:\n  - tunnel-zhang/segment-repair\nsections:\n  - title: 甲\n    items:\n      - tunnel-zhang/segment-repiar\n      - tunnel-zhang/members-only\n      - {id: power-chen/catenary-manual, image: photo.png}\n      - {id: power-chen/catenary-manual, image: diagram.png}\n      - elsewhere/nothing\n---\n";
    std::fs::write(dir.path().join("content/exhibits/checked.md"), text).unwrap();
    let out = support::run(&["check"], dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().filter(|l| l.contains("exhibits/checked.md")).collect();
    assert!(
        lines.iter().any(|l| l.contains(
            ":10: sections: 警告：找不到记录“tunnel-zhang/segment-repiar”，是否应为“tunnel-zhang/segment-repair”"
        )),
        "{stdout}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains(":11: sections: 警告：") && l.contains("不是公开的")),
        "{stdout}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains(":12: sections: 警告：") && l.contains("photo.png")),
        "{stdout}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains(":14: sections: 警告：找不到记录“elsewhere/nothing”")),
        "{stdout}"
    );
    assert_eq!(lines.len(), 4, "the rest is fine: {stdout}");
    // A members exhibit may hold members records; the older fixture file has no complaint.
    std::fs::write(
        dir.path().join("content/exhibits/checked.md"),
        text.replace("visibility: public", "visibility: members")
            .replace("segment-repiar", "segment-repair")
            .replace("      - elsewhere/nothing\n", "")
            .replace("photo.png", "diagram.png"),
    )
    .unwrap();
    let out = support::run(&["check"], dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("exhibits/checked.md"), "{stdout}");
    assert!(
        stdout.contains("exhibits/show.md:7: items: 警告："),
        "the fixture's public exhibit holds a members record: {stdout}"
    );
}

/// Width and height in points of each page of a PDF.
fn page_sizes(pdf: &[u8]) -> Vec<(f32, f32)> {
    let doc = lopdf::Document::load_mem(pdf).expect("a PDF");
    doc.get_pages()
        .values()
        .map(|&page| {
            let dict = doc.get_dictionary(page).unwrap();
            let media = dict
                .get(b"MediaBox")
                .ok()
                .and_then(|b| b.as_array().ok())
                .or_else(|| {
                    let parent = dict.get(b"Parent").ok()?.as_reference().ok()?;
                    doc.get_dictionary(parent).ok()?.get(b"MediaBox").ok()?.as_array().ok()
                })
                .expect("a media box");
            let n = |i: usize| {
                media[i]
                    .as_float()
                    .or_else(|_| media[i].as_i64().map(|v| v as f32))
                    .unwrap()
            };
            (n(2) - n(0), n(3) - n(1))
        })
        .collect()
}

const PRINTED: &str = "---\nkind: exhibit\ntitle: 打印测试展\nvisibility: public\ncover: 集团工会\nsections:\n  - title: 接触网\n    items:\n      - {id: power-chen/catenary-manual, caption: 吊弦快速更换}\n      - power-chen/open-problem\n  - title: 桥梁与隧道\n    items:\n      - tunnel-zhang/segment-repair\n      - bridge-li/anchor-patent\n      - tunnel-zhang/members-only\n---\n\n介绍。\n";

#[test]
fn chromium_prints_one_a4_page_per_board_with_qr_codes_that_decode() {
    let Some(binary) = chromium() else { return };
    let (app, t) = app(&["--public-url", &format!("{PUBLIC_URL}/")]);
    assert_eq!(put_exhibit(&app, Some(&t.staff), "printed", PRINTED, &[]).status, 201);
    let mut browser = Browser::start(binary);
    // A visitor: 4 public items of 5 (one is for members).
    for (query, portrait) in [("", true), ("?orientation=landscape", false)] {
        browser.goto(&format!("{}/exhibits/printed/print{query}", app.base));
        browser.wait_for("document.fonts.status === 'loaded'", "fonts");
        let sizes = page_sizes(&browser.print_pdf());
        assert_eq!(
            sizes.len(),
            2 + 4,
            "{query}: cover + contents + items, one page each: {sizes:?}"
        );
        let (w, h) = if portrait { (595.0, 842.0) } else { (842.0, 595.0) };
        for (pw, ph) in &sizes {
            assert!(
                (pw - w).abs() < 2.0 && (ph - h).abs() < 2.0,
                "{query}: A4 is {w}×{h} pt, got {pw}×{ph}"
            );
        }
        let broken = browser.eval("[...document.images].filter(i => !i.complete || i.naturalWidth === 0).length");
        assert_eq!(broken, 0, "{query}: a broken image");
        assert!(browser.eval("document.images.length").as_u64().unwrap() >= 1);
    }
    // Many items, one of them with as much text as a record may hold: the
    // contents still take one board and no board runs onto a second page.
    let mut items = String::new();
    for n in 0..14 {
        let id = format!("tunnel-zhang/exhibit-{n:02}");
        let mut text = crate::publish::record("tunnel-zhang", &format!("展项记录{n}"), "展板", "public");
        if n == 0 {
            let awards: String = (0..12)
                .map(|i| format!("  - {{name: 很长的奖项名称第{i}项科技进步奖, level: provincial, year: 2023}}\n"))
                .collect();
            text = text.replacen(
                "visibility: public\n",
                &format!(
                    "visibility: public\nsummary: {}\nawards:\n{awards}",
                    "长摘要".repeat(160)
                ),
                1,
            );
        }
        assert_eq!(crate::publish::put(&app, &t.staff, &id, &text, &[]).status, 201, "{id}");
        items.push_str(&format!("  - {{id: {id}, caption: 说明{n}}}\n"));
    }
    let many = format!("---\nkind: exhibit\ntitle: 大展\nvisibility: public\nitems:\n{items}---\n");
    assert_eq!(put_exhibit(&app, Some(&t.staff), "many", &many, &[]).status, 201);
    for (query, portrait) in [("", true), ("?orientation=landscape", false)] {
        browser.goto(&format!("{}/exhibits/many/print{query}", app.base));
        let sizes = page_sizes(&browser.print_pdf());
        assert_eq!(sizes.len(), 2 + 14, "{query}: {sizes:?}");
        assert!(
            sizes
                .iter()
                .all(|(w, _)| (w - if portrait { 595.0 } else { 842.0 }).abs() < 2.0)
        );
    }

    // A QR code on a board decodes to the record's public address.
    browser.viewport(1000, 1400, false);
    browser.goto(&format!("{}/exhibits/printed/print", app.base));
    browser.eval("document.querySelector('#board-1 .qr').scrollIntoView({block: 'center'})");
    std::thread::sleep(std::time::Duration::from_millis(200));
    let png = browser.screenshot();
    let image = image::load_from_memory(&png).expect("a PNG").to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert!(!grids.is_empty(), "no QR code found on the screen");
    let decoded: Vec<String> = grids
        .iter()
        .filter_map(|g| g.decode().ok().map(|(_, text)| text))
        .collect();
    assert!(
        decoded.contains(&format!("{PUBLIC_URL}/records/power-chen/catenary-manual")),
        "{decoded:?}"
    );
    // Every board's code is the address of its own record.
    let page = app.get("/exhibits/printed/print").body;
    assert_eq!(page.matches("<svg").count(), 4);
    assert!(
        !page.contains("--public-url"),
        "nothing to set when the address is known"
    );
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn the_offline_copy_opens_from_a_folder_with_nothing_fetched_and_only_public_records() {
    let (app, t) = app(&["--public-url", PUBLIC_URL]);
    assert_eq!(put_exhibit(&app, Some(&t.staff), "printed", PRINTED, &[]).status, 201);
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("U盘");
    let run = support::run(
        &[
            "export",
            "exhibit",
            "printed",
            "--out",
            target.to_str().unwrap(),
            "--public-url",
            PUBLIC_URL,
        ],
        &app.root,
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}{}", String::from_utf8_lossy(&run.stderr));
    assert!(stdout.contains("4 项") && stdout.contains("另有 1 项"), "{stdout}");
    let files = files_under(&target);
    let html: Vec<String> = files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert_eq!(html.len(), 1 + 4, "the index and a page per public record");
    for page in &html {
        assert!(
            !page.contains("http://") && !page.contains("https://"),
            "an address to fetch: {page}"
        );
        assert!(!page.contains("联盟内部盾构掘进参数库"), "a members record in the copy");
        assert!(
            !page.contains("src=\"/") && !page.contains("href=\"/"),
            "a link to the server's root"
        );
    }
    let index = std::fs::read_to_string(target.join("index.html")).unwrap();
    assert_eq!(index.matches("<svg").count(), 4, "a QR code per item");
    assert!(index.contains("另有 1 项") && index.contains("桥梁与隧道") && index.contains("吊弦快速更换"));
    let copied = std::fs::read(target.join("files/001/diagram.png")).unwrap();
    assert_eq!(
        copied,
        std::fs::read(app.content().join("power-chen/catenary-manual/diagram.png")).unwrap()
    );
    assert!(target.join("files/001/manual.pdf").is_file());
    assert!(!target.join("files/001/.hidden").exists());
    // An unknown exhibit is refused with the closest id.
    let unknown = support::run(
        &["export", "exhibit", "printd", "--out", target.to_str().unwrap()],
        &app.root,
    );
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("printed"));

    // The ZIP staff download holds the same files.
    let zip_of = |token: Option<&str>| {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let mut request = agent.get(format!("{}/exhibits/printed/export.zip", app.base));
        if let Some(t) = token {
            request = request.header("authorization", auth(t));
        }
        let mut response = request.call().unwrap();
        let status = response.status().as_u16();
        (status, response.body_mut().read_to_vec().unwrap())
    };
    assert_eq!(zip_of(None).0, 401);
    assert_eq!(zip_of(Some(&t.publisher)).0, 403);
    assert_eq!(zip_of(Some(&t.member)).0, 403);
    let (status, bytes) = zip_of(Some(&t.staff));
    assert_eq!(status, 200);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
    let names: Vec<String> = archive.file_names().map(|n| n.unwrap().to_string()).collect();
    for wanted in [
        "printed/index.html",
        "printed/style.css",
        "printed/files/001/diagram.png",
        "printed/records/004.html",
    ] {
        assert!(names.iter().any(|n| n == wanted), "{wanted} in {names:?}");
    }
    assert!(
        !names.iter().any(|n| n.contains("005")),
        "only public records: {names:?}"
    );
    let mut zipped_index = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("printed/index.html").unwrap(), &mut zipped_index).unwrap();
    assert!(zipped_index.contains("打印测试展") && !zipped_index.contains("联盟内部盾构掘进参数库"));

    // Opened from file://, it fetches nothing but its own files and no image is broken.
    let Some(binary) = chromium() else { return };
    let mut browser = Browser::start(binary);
    let url = format!("file://{}", target.join("index.html").display());
    browser.goto(&url);
    let loaded = |browser: &mut Browser| {
        browser.eval(
            "JSON.stringify({remote: performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith('file://')), \
             images: document.images.length, broken: [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src), \
             styled: getComputedStyle(document.querySelector('.exhibit-item')).display})",
        )
    };
    let index_state: serde_json::Value = serde_json::from_str(loaded(&mut browser).as_str().unwrap()).unwrap();
    assert_eq!(index_state["remote"], serde_json::json!([]), "{index_state}");
    assert_eq!(index_state["broken"], serde_json::json!([]), "{index_state}");
    assert!(index_state["images"].as_u64().unwrap() >= 1);
    assert_eq!(index_state["styled"], "flex", "the stylesheet applies");
    browser.eval("document.querySelector('a[href=\"records/001.html\"]').click()");
    browser.wait_for(
        "location.href.endsWith('records/001.html') && document.readyState === 'complete'",
        "a record page",
    );
    let record = browser.eval(
        "JSON.stringify({images: document.images.length, broken: [...document.images].filter(i => !i.complete || i.naturalWidth === 0).length, back: !!document.querySelector('a[href=\"../index.html\"]')})",
    );
    let record: serde_json::Value = serde_json::from_str(record.as_str().unwrap()).unwrap();
    assert_eq!(record["broken"], 0, "{record}");
    assert!(
        record["images"].as_u64().unwrap() >= 1 && record["back"] == true,
        "{record}"
    );
}

#[test]
fn public_urls_must_be_absolute_and_an_export_without_one_has_no_qr_codes() {
    let dir = support::fixture_copy("basic");
    for bad in [
        "zhihui.example.cn",
        "ftp://zhihui.example.cn",
        "https://",
        "https://a b",
    ] {
        let out = support::run(&["serve", "--public-url", bad], dir.path());
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("https://"),
            "{bad}: says what to write"
        );
    }
    let target = dir.path().join("copy");
    let out = support::run(
        &["export", "exhibit", "show", "--out", target.to_str().unwrap()],
        dir.path(),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--public-url"));
    let index = std::fs::read_to_string(target.join("index.html")).unwrap();
    assert!(!index.contains("<svg") && index.contains("未设置公开地址"));
    assert!(index.contains("一种桥梁支座锚栓定位装置") && !index.contains("联盟内部盾构掘进参数库"));
    // Exporting again over the same folder works (files are replaced).
    let again = support::run(
        &["export", "exhibit", "show", "--out", target.to_str().unwrap()],
        dir.path(),
    );
    assert!(again.status.success());
}

#[test]
fn dragging_in_the_builder_submits_the_same_move_as_the_buttons() {
    let Some(binary) = chromium() else { return };
    let (app, t) = app(&[]);
    let text = "---\nkind: exhibit\ntitle: 拖动\nsections:\n  - title: 甲\n    items:\n      - tunnel-zhang/segment-repair\n      - bridge-li/anchor-patent\n      - power-chen/open-problem\n  - title: 乙\n    items:\n      - power-chen/catenary-manual\n---\n";
    assert_eq!(put_exhibit(&app, Some(&t.staff), "drag", text, &[]).status, 201);
    let (cookie, _) = crate::publish::sign_in(&app, "staff1");
    let mut browser = Browser::start(binary);
    browser.goto(&format!("{}/healthz", app.base));
    browser.eval(&format!("document.cookie = {:?}", format!("{cookie}; path=/")));
    let drag = |browser: &mut Browser, from: &str, onto: &str| {
        browser.goto(&format!("{}/exhibits/drag/edit", app.base));
        browser.wait_for(
            "document.querySelector('li[draggable=\"true\"]')",
            "the builder's script",
        );
        browser.eval(&format!(
            "(() => {{ const from = [...document.querySelectorAll('li[data-item]')].find(li => li.textContent.includes({from:?})); \
             const onto = {onto}; const dt = new DataTransfer(); \
             from.dispatchEvent(new DragEvent('dragstart', {{bubbles: true, dataTransfer: dt}})); \
             onto.dispatchEvent(new DragEvent('dragover', {{bubbles: true, cancelable: true, dataTransfer: dt}})); \
             onto.dispatchEvent(new DragEvent('drop', {{bubbles: true, cancelable: true, dataTransfer: dt}})); }})()"
        ));
    };
    let before = shape(&app, "drag");
    drag(
        &mut browser,
        "power-chen/open-problem",
        "[...document.querySelectorAll('li[data-item]')].find(li => li.textContent.includes('tunnel-zhang/segment-repair'))",
    );
    assert!(
        app.wait_for(std::time::Duration::from_secs(5), |a| shape(a, "drag") != before),
        "the drop saved nothing"
    );
    assert_eq!(
        shape(&app, "drag"),
        "甲:power-chen/open-problem,tunnel-zhang/segment-repair,bridge-li/anchor-patent 乙:power-chen/catenary-manual"
    );
    let before = shape(&app, "drag");
    drag(
        &mut browser,
        "bridge-li/anchor-patent",
        "document.querySelector('ol[data-section=\"1\"]')",
    );
    assert!(app.wait_for(std::time::Duration::from_secs(5), |a| shape(a, "drag") != before));
    assert_eq!(
        shape(&app, "drag"),
        "甲:power-chen/open-problem,tunnel-zhang/segment-repair 乙:power-chen/catenary-manual,bridge-li/anchor-patent"
    );
}
