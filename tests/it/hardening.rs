//! Rendering limits, render slots, caching headers and blocking work: any
//! accepted body renders quickly, pathological ones are shown as text and
//! reported by `check` and publishing, the preview needs an account, the
//! server keeps answering while bodies render, and nothing that depends on
//! the viewer may be kept by a shared cache.

use std::time::{Duration, Instant};

use crate::support::{TestApp, run};

/// A server over the basic fixture with a member and a staff account.
fn app() -> (TestApp, String, String) {
    let dir = crate::support::fixture_copy("basic");
    TestApp::add_user(dir.path(), "member1", "member", None);
    TestApp::add_user(dir.path(), "staff1", "staff", None);
    let member = TestApp::token(dir.path(), "member1");
    let staff = TestApp::token(dir.path(), "staff1");
    (TestApp::serve(dir), member, staff)
}

fn preview(app: &TestApp, token: Option<&str>, markdown: &str) -> crate::support::Response {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("content-type", "text/markdown")];
    if let Some(a) = &auth {
        headers.push(("authorization", a.as_str()));
    }
    app.request("POST", "/api/preview", &headers, Some(markdown.as_bytes()))
        .expect("preview answered")
}

fn put(app: &TestApp, token: &str, id: &str, text: &str) -> crate::support::Response {
    let auth = format!("Bearer {token}");
    app.request(
        "PUT",
        &format!("/api/records/{id}"),
        &[("authorization", auth.as_str()), ("content-type", "text/markdown")],
        Some(text.as_bytes()),
    )
    .expect("put answered")
}

fn record(body: &str) -> String {
    format!(
        "---\ntitle: 极限正文\nkind: achievement\ncategory: tech\nstudio: tunnel-zhang\ndate: 2025-03-01\nvisibility: public\n---\n\n{body}"
    )
}

/// Bodies that took seconds to minutes to render before the limits, each
/// about 120 KB (the size of the reported attack).
fn pathological() -> Vec<(&'static str, String)> {
    const N: usize = 120_000;
    let rep = |unit: &str| unit.repeat(N / unit.len());
    let mut indented = String::new();
    let mut depth = 0;
    while indented.len() < N / 2 {
        indented.push_str(&" ".repeat(2 * depth));
        indented.push_str("- 层\n");
        depth += 1;
    }
    indented.push_str(&"续\n".repeat(N / 8));
    vec![
        ("quote-list", rep("> - ")),
        ("quotes", rep(">")),
        ("ordered", rep("1. ")),
        ("bullets", rep("- ") + "x"),
        ("mixed", rep("> 1. * ")),
        ("footnote-definitions", rep("[^a]: ")),
        (
            "lazy-lines",
            rep("- ").chars().take(N / 4).collect::<String>() + "x\n" + &"y\n".repeat(N / 3),
        ),
        ("indented-lists", indented),
        ("html-div", rep("<div>")),
        ("html-formatting", rep("<b><i><u><s><em>")),
        ("brackets", rep("[")),
        ("emphasis", rep("*_")),
        ("backticks", rep("`` `")),
        (
            "table",
            format!("{}\n{}\n{}", "|a".repeat(2000), "|-".repeat(2000), "|\n".repeat(N / 4)),
        ),
        ("footnote-references", "[^a]: 注\n\n".to_string() + &rep("[^a]")),
        ("entities", rep("&amp;<")),
    ]
}

#[test]
fn preview_needs_an_account() {
    let (app, member, _) = app();
    let anonymous = preview(&app, None, "**粗体**");
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
    assert!(anonymous.json()["error"].as_str().unwrap().contains("登录"));
    let bad_token = preview(&app, Some("not-a-token"), "**粗体**");
    assert_ne!(bad_token.status, 200, "{}", bad_token.body);
    let signed_in = preview(&app, Some(&member), "**粗体**");
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
    assert!(
        signed_in.json()["html"]
            .as_str()
            .unwrap()
            .contains("<strong>粗体</strong>")
    );
}

#[test]
fn pathological_bodies_preview_quickly_and_keep_their_text() {
    let (app, member, _) = app();
    for (name, body) in pathological() {
        let started = Instant::now();
        let r = preview(&app, Some(&member), &body);
        let took = started.elapsed();
        assert_eq!(r.status, 200, "{name}: {}", &r.body[..r.body.len().min(300)]);
        // Generous for a debug build on a busy machine; the figures are in
        // the report, this only catches a return of the quadratic cases.
        assert!(took < Duration::from_secs(5), "{name} took {took:?}");
        let html = r.json()["html"].as_str().unwrap().to_string();
        assert!(
            html.len() >= body.len() / 4,
            "{name}: the text is still shown ({} bytes)",
            html.len()
        );
        assert!(!html.contains("<script"), "{name}");
    }
}

#[test]
fn healthz_answers_while_four_pathological_previews_run() {
    let (app, member, _) = app();
    let app = std::sync::Arc::new(app);
    let bodies = [
        "> - ".repeat(30_000),
        "<div>".repeat(24_000),
        ">".repeat(120_000),
        "1. ".repeat(40_000),
    ];
    let workers: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let (app, member) = (app.clone(), member.clone());
            std::thread::spawn(move || preview(&app, Some(&member), &body).status)
        })
        .collect();
    std::thread::sleep(Duration::from_millis(50));
    let mut slowest = Duration::ZERO;
    for _ in 0..10 {
        let started = Instant::now();
        let r = app.get("/healthz");
        slowest = slowest.max(started.elapsed());
        assert_eq!(r.status, 200);
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        slowest < Duration::from_secs(1),
        "/healthz took {slowest:?} while previews ran"
    );
    for worker in workers {
        assert_eq!(worker.join().unwrap(), 200);
    }
}

#[test]
fn bodies_past_the_limits_are_refused_with_the_line() {
    let (app, _, staff) = app();
    let cases = [
        (
            "deep-quotes",
            "第一行\n\n".to_string() + &"> ".repeat(40) + "引文\n",
            "嵌套过深",
        ),
        (
            "deep-lists",
            "第一行\n\n".to_string() + &"- ".repeat(40) + "条目\n",
            "嵌套过深",
        ),
        (
            "quote-list",
            "第一行\n\n".to_string() + &"> - ".repeat(30_000),
            "嵌套过深",
        ),
        ("html", "第一行\n\n".to_string() + &"<div>".repeat(100) + "内容", "HTML"),
        ("markup", "[^a]: 注\n\n".to_string() + &"[^a]".repeat(100_000), "标记"),
    ];
    for (i, (name, body, words)) in cases.iter().enumerate() {
        let r = put(&app, &staff, &format!("tunnel-zhang/limit-{i}"), &record(body));
        assert_eq!(r.status, 422, "{name}: {}", &r.body[..r.body.len().min(300)]);
        let errors = r.json()["errors"].as_array().unwrap().clone();
        let error = errors
            .iter()
            .find(|e| e["field"] == "body")
            .unwrap_or_else(|| panic!("{name}: {errors:?}"));
        assert!(error["message"].as_str().unwrap().contains(words), "{name}: {error}");
        // The front matter takes 8 lines and a blank one: the body's lines follow.
        assert!(error["line"].as_u64().unwrap() >= 10, "{name}: {error}");
        assert_eq!(
            app.get(&format!("/records/tunnel-zhang/limit-{i}")).status,
            404,
            "{name}"
        );
    }
    // Within the limits: published, and shown as written.
    let nested = "> ".repeat(8) + "- 八层引用里的列表\n\n" + &"<div>".repeat(10) + "块" + &"</div>".repeat(10);
    let r = put(&app, &staff, "tunnel-zhang/nested-ok", &record(&nested));
    assert_eq!(r.status, 201, "{}", r.body);
    let page = app.get("/records/tunnel-zhang/nested-ok");
    assert_eq!(page.status, 200);
    assert_eq!(page.body.matches("<blockquote>").count(), 8, "{}", page.body);
    assert!(page.body.contains("<li>八层引用里的列表</li>"));
    assert!(!page.body.contains("render-limit"));
}

#[test]
fn check_reports_bodies_past_the_limits() {
    let dir = crate::support::fixture_copy("basic");
    let content = dir.path().join("content");
    // The fixture's deliberately broken files would fail the check anyway.
    std::fs::remove_dir_all(content.join("broken")).unwrap();
    std::fs::write(content.join("tunnel-zhang/fine.md"), record("> - 两层\n")).unwrap();
    let out = run(&["check", "--content", content.to_str().unwrap()], dir.path());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    std::fs::write(content.join("tunnel-zhang/deep.md"), record(&"> - ".repeat(1000))).unwrap();
    std::fs::write(content.join("tunnel-zhang/html.md"), record(&"<span>".repeat(50))).unwrap();
    let out = run(&["check", "--content", content.to_str().unwrap()], dir.path());
    let printed = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{printed}");
    assert!(printed.contains("deep.md:10: body:"), "{printed}");
    assert!(printed.contains("嵌套过深"), "{printed}");
    assert!(printed.contains("html.md") && printed.contains("HTML"), "{printed}");
    assert!(!printed.contains("fine.md"), "{printed}");
}

#[test]
fn viewer_dependent_answers_are_never_cached() {
    let (app, member, _) = app();
    let auth = format!("Bearer {member}");
    let paths = [
        "/",
        "/search?q=盾构",
        "/records/tunnel-zhang/segment-repair",
        "/records/tunnel-zhang/members-only",
        "/records/power-chen/catenary-manual/diagram.png",
        "/studios",
        "/studios/tunnel-zhang",
        "/alliances/tunnel",
        "/exhibits/show",
        "/api/search?q=盾构",
        "/api/records/tunnel-zhang/segment-repair",
        "/api/suggest?q=盾",
        "/api/similar?id=tunnel-zhang/segment-repair",
        "/login",
        "/publish",
        "/review",
        "/history/tunnel-zhang/segment-repair",
        "/healthz",
        "/no/such/page",
    ];
    for path in paths {
        for headers in [vec![], vec![("authorization", auth.as_str())]] {
            let r = app.request("GET", path, &headers, None).unwrap();
            let cache = r.header("cache-control").unwrap_or_default();
            assert!(
                cache.contains("no-store") && cache.contains("private"),
                "{path} ({}): {cache:?}",
                r.status
            );
            let vary = r.header("vary").unwrap_or_default().to_ascii_lowercase();
            assert!(
                vary.contains("cookie") && vary.contains("authorization"),
                "{path}: {vary:?}"
            );
        }
    }
    // Writes and their errors too.
    let r = preview(&app, None, "x");
    assert!(r.header("cache-control").unwrap_or_default().contains("no-store"));
    // Static files are the same for everyone.
    let css = app.get("/static/style.css");
    assert_eq!(css.status, 200);
    let cache = css.header("cache-control").unwrap_or_default();
    assert!(cache.contains("public") && !cache.contains("no-store"), "{cache}");
}

#[test]
fn pages_served_off_the_async_workers_still_answer() {
    let (app, member, _) = app();
    let auth = format!("Bearer {member}");
    let get = |path: &str| {
        app.request("GET", path, &[("authorization", auth.as_str())], None)
            .unwrap()
    };
    let record = get("/records/tunnel-zhang/members-only");
    assert_eq!(record.status, 200);
    assert!(record.body.contains("联盟内部盾构掘进参数库"));
    assert_eq!(app.get("/records/tunnel-zhang/members-only").status, 404);
    let file = get("/records/power-chen/catenary-manual/diagram.png");
    assert_eq!(file.status, 200);
    assert_eq!(file.header("content-type"), Some("image/png"));
    assert_eq!(get("/records/power-chen/catenary-manual/missing.png").status, 404);
    let suggest = get("/api/suggest?q=盾构").json();
    assert!(!suggest["suggestions"].as_array().unwrap().is_empty(), "{suggest}");
    let similar = get("/api/similar?id=tunnel-zhang/segment-repair");
    assert_eq!(similar.status, 200);
    assert_eq!(get("/api/similar?id=no/such").status, 404);
    assert_eq!(get("/api/similar").status, 400);
    let api = get("/api/records/tunnel-zhang/members-only").json();
    assert!(api["html"].as_str().unwrap().contains("<p>"), "{api}");
    for path in ["/studios/tunnel-zhang", "/alliances/tunnel", "/exhibits/show"] {
        let r = get(path);
        assert_eq!(r.status, 200, "{path}");
        assert!(r.body.contains("class=\"body\""), "{path}");
    }
    assert_eq!(get("/studios/nobody").status, 404);
    let novelty = app
        .request(
            "POST",
            "/api/novelty",
            &[("authorization", auth.as_str()), ("content-type", "application/json")],
            Some(r#"{"title":"管片修复","body":"盾构隧道管片错台修复"}"#.as_bytes()),
        )
        .unwrap();
    assert_eq!(novelty.status, 200, "{}", novelty.body);
    assert!(!novelty.json()["hits"].as_array().unwrap().is_empty());
}
