//! Accounts, the role × visibility matrix, publishing, review, conflicts,
//! limits, CSRF, history and durability under kill -9.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{TestApp, enc};

/// Accounts: member, two publishers, staff; tokens for each.
pub struct Users {
    pub member: String,
    pub tunnel: String,
    pub bridge: String,
    pub staff: String,
}

pub fn app_with_users() -> (TestApp, Users) {
    let dir = crate::support::fixture_copy("basic");
    TestApp::add_user(dir.path(), "member1", "member", None);
    TestApp::add_user(dir.path(), "pub-tunnel", "publisher", Some("tunnel-zhang"));
    TestApp::add_user(dir.path(), "pub-bridge", "publisher", Some("bridge-li"));
    TestApp::add_user(dir.path(), "staff1", "staff", None);
    let users = Users {
        member: TestApp::token(dir.path(), "member1"),
        tunnel: TestApp::token(dir.path(), "pub-tunnel"),
        bridge: TestApp::token(dir.path(), "pub-bridge"),
        staff: TestApp::token(dir.path(), "staff1"),
    };
    (TestApp::serve(dir), users)
}

pub(crate) fn auth(token: &str) -> String {
    format!("Bearer {token}")
}

pub(crate) fn get_as(app: &TestApp, token: Option<&str>, path: &str) -> crate::support::Response {
    let header = token.map(auth);
    let headers: Vec<(&str, &str)> = header
        .as_deref()
        .map(|h| vec![("authorization", h)])
        .unwrap_or_default();
    app.request("GET", path, &headers, None).unwrap()
}

pub(crate) fn put(
    app: &TestApp,
    token: &str,
    id: &str,
    text: &str,
    extra: &[(&str, &str)],
) -> crate::support::Response {
    let header = auth(token);
    let mut headers = vec![("authorization", header.as_str()), ("content-type", "text/markdown")];
    headers.extend_from_slice(extra);
    app.request("PUT", &format!("/api/records/{id}"), &headers, Some(text.as_bytes()))
        .unwrap()
}

/// Signs `name` in through the API: its session cookie and CSRF token.
pub(crate) fn sign_in(app: &TestApp, name: &str) -> (String, String) {
    let body = json!({"username": name, "password": "password-123"}).to_string();
    let ok = app
        .request(
            "POST",
            "/api/session",
            &[("content-type", "application/json")],
            Some(body.as_bytes()),
        )
        .unwrap();
    assert_eq!(ok.status, 200, "{}", ok.body);
    let cookie = ok.header("set-cookie").unwrap().split(';').next().unwrap().to_string();
    (cookie, ok.json()["csrf"].as_str().unwrap().to_string())
}

pub(crate) fn post_as(app: &TestApp, token: &str, path: &str, body: &Value) -> crate::support::Response {
    let header = auth(token);
    let text = body.to_string();
    app.request(
        "POST",
        path,
        &[("authorization", &header), ("content-type", "application/json")],
        Some(text.as_bytes()),
    )
    .unwrap()
}

pub(crate) fn record(studio: &str, title: &str, word: &str, visibility: &str) -> String {
    format!(
        "---\ntitle: {title}\nkind: achievement\ncategory: tech\nstudio: {studio}\ndate: 2025-03-01\nvisibility: {visibility}\ntags: [{word}]\n---\n\n{word} 的正文。\n"
    )
}

pub(crate) fn total(app: &TestApp, token: Option<&str>, word: &str) -> u64 {
    // Quoted: the records holding exactly `word`, never the fallbacks a
    // search that finds nothing offers (other records holding most of it).
    let q = if word.starts_with('"') {
        word.to_string()
    } else {
        format!("\"{word}\"")
    };
    get_as(app, token, &format!("/api/search?q={}", enc(&q))).json()["total"]
        .as_u64()
        .unwrap()
}

#[test]
fn role_and_visibility_matrix_on_every_surface() {
    let (app, u) = app_with_users();
    // (viewer, sees members record, sees tunnel studio-only record)
    let viewers: [(&str, Option<&str>, bool, bool); 5] = [
        ("anonymous", None, false, false),
        ("member", Some(&u.member), true, false),
        ("publisher of the studio", Some(&u.tunnel), true, true),
        ("publisher of another studio", Some(&u.bridge), true, false),
        ("staff", Some(&u.staff), true, true),
    ];
    let cases = [
        ("机密词甲", "tunnel-zhang/members-only", "联盟内部盾构掘进参数库", 0),
        ("机密词乙", "tunnel-zhang/studio-only", "工作室内部管片配方", 1),
    ];
    for (who, token, sees_members, sees_studio) in viewers {
        for (word, id, title, which) in cases {
            let expected = if which == 0 { sees_members } else { sees_studio };
            let n = u64::from(expected);
            assert_eq!(total(&app, token, word), n, "{who}: search {word}");
            let all = get_as(&app, token, "/api/search?per_page=100&facet_limit=500").json();
            assert_eq!(
                all["facets"]["tag"].get(word).is_some(),
                expected,
                "{who}: facet {word}"
            );
            let suggest = get_as(&app, token, &format!("/api/suggest?q={}", enc(title))).json();
            let suggested = suggest["suggestions"].as_array().unwrap().iter().any(|s| s["id"] == id);
            assert_eq!(suggested, expected, "{who}: suggest {title}");
            assert_eq!(
                get_as(&app, token, &format!("/api/records/{id}")).status,
                if expected { 200 } else { 404 },
                "{who}: api {id}"
            );
            assert_eq!(
                get_as(&app, token, &format!("/records/{id}")).status,
                if expected { 200 } else { 404 },
                "{who}: page {id}"
            );
            let studio_page = get_as(&app, token, "/studios/tunnel-zhang").body;
            assert_eq!(
                studio_page.contains(title),
                expected,
                "{who}: studio page lists {title}"
            );
            let exhibit = get_as(&app, token, "/exhibits/show").body;
            if which == 0 {
                assert_eq!(exhibit.contains(title), expected, "{who}: exhibit lists {title}");
            }
            let similar = get_as(&app, token, "/api/similar?id=tunnel-zhang/segment-repair").json();
            let leaked = similar["hits"].as_array().unwrap().iter().any(|h| h["id"] == id);
            assert!(!leaked || expected, "{who}: similar leaks {id}");
        }
    }
    assert_eq!(get_as(&app, Some("zh_not-a-token"), "/api/search").status, 401);
}

#[test]
fn publish_review_approve_and_return() {
    let (app, u) = app_with_users();
    let id = "tunnel-zhang/new-grouting";
    let text = record("tunnel-zhang", "新的注浆工艺", "发布测试词", "public");
    let created = put(&app, &u.tunnel, id, &text, &[]);
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.json()["pending"], true);
    // Searchable at once, but only by its studio and staff until approved.
    assert_eq!(total(&app, Some(&u.tunnel), "发布测试词"), 1);
    assert_eq!(total(&app, Some(&u.staff), "发布测试词"), 1);
    assert_eq!(total(&app, None, "发布测试词"), 0);
    assert_eq!(total(&app, Some(&u.bridge), "发布测试词"), 0);
    let file = std::fs::read_to_string(app.content().join(format!("{id}.md"))).unwrap();
    assert!(file.contains("review: pending"), "review state is in the file: {file}");
    let queue = get_as(&app, Some(&u.staff), "/review").body;
    assert!(queue.contains("新的注浆工艺"));
    assert_eq!(
        post_as(&app, &u.tunnel, &format!("/api/records/{id}/approve"), &json!({})).status,
        403,
        "publishers cannot approve"
    );
    let approved = post_as(&app, &u.staff, &format!("/api/records/{id}/approve"), &json!({}));
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(total(&app, None, "发布测试词"), 1, "public after approval");

    // A change to the approved record waits while the approved one stays.
    let changed = record("tunnel-zhang", "新的注浆工艺（修订）", "修订测试词", "public");
    let r = put(&app, &u.tunnel, id, &changed, &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(total(&app, None, "发布测试词"), 1, "published version still served");
    assert_eq!(total(&app, None, "修订测试词"), 0);
    let back = post_as(
        &app,
        &u.staff,
        &format!("/api/records/{id}/return"),
        &json!({"comment": "请补充效益数据"}),
    );
    assert_eq!(back.status, 200, "{}", back.body);
    let mine = get_as(&app, Some(&u.tunnel), "/review").body;
    assert!(mine.contains("请补充效益数据"), "publisher sees the comment");
    let r = put(&app, &u.tunnel, id, &changed.replace("正文", "正文，已补充效益"), &[]);
    assert_eq!(r.status, 200);
    assert_eq!(
        post_as(&app, &u.staff, &format!("/api/records/{id}/approve"), &json!({})).status,
        200
    );
    assert_eq!(total(&app, None, "修订测试词"), 1);
    assert_eq!(total(&app, None, "发布测试词"), 0);

    // Staff's own writes publish at once.
    let staff_id = "bridge-li/staff-note";
    assert_eq!(
        put(
            &app,
            &u.staff,
            staff_id,
            &record("bridge-li", "工会录入", "工会测试词", "public"),
            &[]
        )
        .status,
        201
    );
    assert_eq!(total(&app, None, "工会测试词"), 1);

    // History keeps every accepted version with its author.
    let history = get_as(&app, Some(&u.staff), &format!("/history/{id}")).body;
    assert!(
        history.contains("pub-tunnel") && history.contains("staff1"),
        "{history}"
    );
    // Version 2 is the approval: the review state goes.
    let approval = get_as(&app, Some(&u.staff), &format!("/history/{id}?v=2")).body;
    assert!(
        approval.contains("<th scope=\"row\">审核状态</th><td class=\"old\">待审核</td>"),
        "{approval}"
    );

    // Delete.
    let header = auth(&u.tunnel);
    let deleted = app
        .request(
            "DELETE",
            &format!("/api/records/{id}"),
            &[("authorization", &header)],
            None,
        )
        .unwrap();
    assert_eq!(deleted.status, 204);
    assert_eq!(total(&app, Some(&u.staff), "修订测试词"), 0);
    assert!(!app.content().join(format!("{id}.md")).exists());
}

#[test]
fn writes_are_refused_with_clear_errors() {
    let (app, u) = app_with_users();
    let text = record("tunnel-zhang", "拒绝测试", "拒绝词", "public");
    let anonymous = app
        .request("PUT", "/api/records/tunnel-zhang/x", &[], Some(text.as_bytes()))
        .unwrap();
    assert_eq!(anonymous.status, 401);
    assert!(anonymous.json()["error"].as_str().unwrap().contains("登录"));
    assert_eq!(put(&app, &u.member, "tunnel-zhang/x", &text, &[]).status, 403);
    assert_eq!(
        put(&app, &u.bridge, "tunnel-zhang/x", &text, &[]).status,
        403,
        "other studio"
    );
    // Moving an existing record to one's own studio is not allowed either.
    let hijack = record("bridge-li", "劫持", "劫持词", "public");
    assert_eq!(
        put(&app, &u.bridge, "tunnel-zhang/segment-repair", &hijack, &[]).status,
        403
    );
    let invalid = put(
        &app,
        &u.tunnel,
        "tunnel-zhang/bad",
        "---\ntitle: 坏\nkind: method\nstudio: tunnel-zhang\ndate: 2025/01/01\n---\n",
        &[],
    );
    assert_eq!(invalid.status, 422);
    let errors = invalid.json()["errors"].clone();
    assert_eq!(errors[0]["field"], "date");
    assert_eq!(errors[0]["line"], 5);
    assert!(errors[0]["message"].as_str().unwrap().contains("YYYY-MM-DD"));
    for bad_id in ["../escape", "tunnel-zhang/.hidden", "studios/tunnel-zhang"] {
        assert_eq!(put(&app, &u.staff, bad_id, &text, &[]).status, 400, "{bad_id}");
    }
    let huge = format!("{}{}", text, "长".repeat(400_000));
    let too_big = put(&app, &u.tunnel, "tunnel-zhang/huge", &huge, &[]);
    assert_eq!(too_big.status, 413);
    assert!(too_big.json()["error"].as_str().unwrap().contains("过大"));
}

#[test]
fn concurrent_edits_conflict_instead_of_overwriting() {
    let (app, u) = app_with_users();
    let id = "tunnel-zhang/segment-repair";
    let etag = put(
        &app,
        &u.staff,
        id,
        &record("tunnel-zhang", "基线", "基线词", "public"),
        &[],
    )
    .json()["etag"]
        .as_str()
        .unwrap()
        .to_string();
    let first = put(
        &app,
        &u.staff,
        id,
        &record("tunnel-zhang", "甲的修改", "甲词", "public"),
        &[("if-match", &etag)],
    );
    assert_eq!(first.status, 200);
    let second = put(
        &app,
        &u.staff,
        id,
        &record("tunnel-zhang", "乙的修改", "乙词", "public"),
        &[("if-match", &etag)],
    );
    assert_eq!(second.status, 409);
    assert!(second.json()["error"].as_str().unwrap().contains("已被他人修改"));
    assert_eq!(total(&app, None, "甲词"), 1);
    assert_eq!(total(&app, None, "乙词"), 0);
    let create_only = put(
        &app,
        &u.staff,
        id,
        &record("tunnel-zhang", "x", "丙词", "public"),
        &[("if-none-match", "*")],
    );
    assert_eq!(create_only.status, 409);
}

#[test]
fn sessions_csrf_and_sign_in_limits() {
    let (app, _) = app_with_users();
    let login = |password: &str| {
        let body = json!({"username": "pub-tunnel", "password": password}).to_string();
        app.request(
            "POST",
            "/api/session",
            &[("content-type", "application/json")],
            Some(body.as_bytes()),
        )
        .unwrap()
    };
    let ok = login("password-123");
    assert_eq!(ok.status, 200, "{}", ok.body);
    let cookie_header = ok.header("set-cookie").unwrap().to_string();
    assert!(cookie_header.contains("HttpOnly") && cookie_header.contains("SameSite=Lax"));
    let cookie = cookie_header.split(';').next().unwrap().to_string();
    let csrf = ok.json()["csrf"].as_str().unwrap().to_string();
    let text = record("tunnel-zhang", "会话发布", "会话词", "public");
    let no_csrf = app
        .request(
            "PUT",
            "/api/records/tunnel-zhang/s",
            &[("cookie", &cookie)],
            Some(text.as_bytes()),
        )
        .unwrap();
    assert_eq!(no_csrf.status, 403, "cookie writes need the CSRF token");
    let with_csrf = app
        .request(
            "PUT",
            "/api/records/tunnel-zhang/s",
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
            Some(text.as_bytes()),
        )
        .unwrap();
    assert_eq!(with_csrf.status, 201, "{}", with_csrf.body);
    let logout = app
        .request(
            "DELETE",
            "/api/session",
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
            None,
        )
        .unwrap();
    assert_eq!(logout.status, 204);
    let after = app
        .request(
            "PUT",
            "/api/records/tunnel-zhang/s",
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
            Some(text.as_bytes()),
        )
        .unwrap();
    assert_eq!(after.status, 401, "signed out");
    for _ in 0..5 {
        assert_eq!(login("wrong-password").status, 401);
    }
    let limited = login("password-123");
    assert_eq!(limited.status, 429);
    assert!(limited.header("retry-after").is_some());
}

#[test]
fn publishing_form_previews_checks_and_submits() {
    let (app, _) = app_with_users();
    let (cookie, csrf) = sign_in(&app, "pub-tunnel");
    let page = app
        .request("GET", "/publish?kind=method", &[("cookie", &cookie)], None)
        .unwrap();
    assert_eq!(page.status, 200);
    assert!(page.body.contains("name=\"method_code\""));
    let form = |action: &str, date: &str| {
        format!(
            "csrf={}&kind=method&title={}&slug=form-method&date={date}&tags={}&level=enterprise&visibility=public&body={}&action={action}",
            enc(&csrf),
            enc("盾构管片错台修复新工法"),
            enc("盾构，管片"),
            enc("## 工艺原理\n\n管片错台修复的表单正文。")
        )
    };
    let headers = [
        ("cookie", cookie.as_str()),
        ("content-type", "application/x-www-form-urlencoded"),
    ];
    let preview = app
        .request(
            "POST",
            "/publish",
            &headers,
            Some(form("preview", "2025-01-01").as_bytes()),
        )
        .unwrap();
    assert!(preview.body.contains("id=\"工艺原理\""), "preview rendered");
    assert!(
        preview.body.contains("盾构管片错台快速修复工法") && preview.body.contains('%'),
        "novelty check lists the similar record"
    );
    let invalid = app
        .request(
            "POST",
            "/publish",
            &headers,
            Some(form("submit", "2025-13-01").as_bytes()),
        )
        .unwrap();
    assert_eq!(invalid.status, 422);
    assert!(invalid.body.contains("不是有效日期"), "error next to the field");
    let submitted = app
        .request(
            "POST",
            "/publish",
            &headers,
            Some(form("submit", "2025-01-01").as_bytes()),
        )
        .unwrap();
    assert_eq!(submitted.status, 303, "{}", submitted.body);
    assert!(app.content().join("tunnel-zhang/form-method.md").exists());
    let forged = app
        .request(
            "POST",
            "/publish",
            &[headers[0], headers[1]],
            Some(form("submit", "2025-01-01").replace(&enc(&csrf), "x").as_bytes()),
        )
        .unwrap();
    assert_eq!(forged.status, 403);
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    let (app, u) = app_with_users();
    let app = Arc::new(app);
    let acknowledged = Arc::new(Mutex::new(HashSet::new()));
    let mut threads = Vec::new();
    for t in 0..4 {
        let (app, token, acknowledged) = (app.clone(), u.staff.clone(), acknowledged.clone());
        threads.push(std::thread::spawn(move || {
            for i in 0..40 {
                let id = format!("tunnel-zhang/crash-{t}-{i}");
                let text = record(
                    "tunnel-zhang",
                    &format!("崩溃测试 {t}-{i}"),
                    &format!("崩溃词{t}x{i}"),
                    "public",
                );
                let header = auth(&token);
                match app.request(
                    "PUT",
                    &format!("/api/records/{id}"),
                    &[("authorization", &header)],
                    Some(text.as_bytes()),
                ) {
                    Some(r) if r.status == 201 => {
                        acknowledged.lock().unwrap().insert((id, format!("崩溃词{t}x{i}")));
                    }
                    _ => break,
                }
            }
        }));
    }
    // kill -9 while the writers are still going, once enough went through.
    let started = std::time::Instant::now();
    while acknowledged.lock().unwrap().len() < 30 && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let restarted = app.restart();
    for t in threads {
        let _ = t.join();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 30,
        "some writes were acknowledged before the kill: {}",
        acknowledged.len()
    );
    for (id, word) in &acknowledged {
        assert!(restarted.content().join(format!("{id}.md")).is_file(), "{id} lost");
        assert_eq!(
            total(&restarted, Some(&u.staff), word),
            1,
            "{id} not searchable after restart"
        );
    }
    let leftovers: Vec<_> = walk(&restarted.content())
        .into_iter()
        .filter(|p| p.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
    eprintln!(
        "crash test: {} writes acknowledged before kill -9, all present and searchable",
        acknowledged.len()
    );
}

#[test]
fn a_publish_is_journalled_not_a_rewrite_of_the_whole_manifest() {
    let (app, u) = app_with_users();
    let index = app.root.join("index");
    let manifest = std::fs::read(index.join("manifest.json")).unwrap();
    for i in 0..3 {
        let text = record(
            "tunnel-zhang",
            &format!("日志测试 {i}"),
            &format!("日志词{i}"),
            "public",
        );
        let r = put(&app, &u.staff, &format!("tunnel-zhang/journal-{i}"), &text, &[]);
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let journal = std::fs::read_to_string(index.join("manifest.log")).unwrap();
    assert_eq!(journal.lines().count(), 3, "{journal}");
    assert!(journal.contains("journal-2"));
    assert_eq!(std::fs::read(index.join("manifest.json")).unwrap(), manifest);
    // After a crash, the journal tells what is indexed: nothing to redo.
    app.kill();
    let out = crate::support::run(&["index"], &app.root);
    let printed = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{printed}");
    assert!(printed.contains("索引 0 个文件"), "{printed}");
    let restarted = app.restart();
    assert_eq!(total(&restarted, Some(&u.staff), "日志词2"), 1);
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path.display().to_string());
        }
    }
    out
}

#[test]
fn uploads_are_checked_by_content_and_stored_in_the_bundle() {
    let (app, u) = app_with_users();
    let upload = |token: &str, path: &str, bytes: &[u8]| {
        let header = auth(token);
        app.request(
            "PUT",
            &format!("/api/files/{path}"),
            &[("authorization", &header)],
            Some(bytes),
        )
        .unwrap()
    };
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR-test-image";
    // A single-file record becomes a bundle; its id and search stay.
    let r = upload(&u.staff, "tunnel-zhang/grouting-qc/现场照片.png", png);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["url"], "/records/tunnel-zhang/grouting-qc/现场照片.png");
    assert!(app.content().join("tunnel-zhang/grouting-qc/index.md").is_file());
    assert!(!app.content().join("tunnel-zhang/grouting-qc.md").exists());
    let served = app.get(&format!("/records/tunnel-zhang/grouting-qc/{}", enc("现场照片.png")));
    assert_eq!(served.status, 200);
    assert_eq!(served.header("content-type"), Some("image/png"));
    assert_eq!(
        total(&app, None, "LiDAR"),
        1,
        "still searchable after becoming a bundle"
    );
    assert!(
        app.get("/records/tunnel-zhang/grouting-qc")
            .body
            .contains("现场照片.png"),
        "listed on the record page"
    );
    // The name says PNG, the content is SVG with script: refused.
    let fake = upload(
        &u.tunnel,
        "tunnel-zhang/grouting-qc/evil.png",
        b"<svg onload=alert(1)></svg>",
    );
    assert_eq!(fake.status, 415);
    assert!(fake.json()["error"].as_str().unwrap().contains("PDF"));
    // The stored extension follows the content, not the name.
    let pdf = upload(&u.tunnel, "tunnel-zhang/grouting-qc/manual.png", b"%PDF-1.4\n%fake\n");
    assert_eq!(pdf.json()["url"], "/records/tunnel-zhang/grouting-qc/manual.pdf");
    let big = vec![0u8; 10 * 1024 * 1024 + 10];
    let mut too_big = png.to_vec();
    too_big.extend_from_slice(&big);
    assert_eq!(
        upload(&u.tunnel, "tunnel-zhang/grouting-qc/big.png", &too_big).status,
        413
    );
    assert_eq!(
        upload(&u.bridge, "tunnel-zhang/grouting-qc/x.png", png).status,
        403,
        "another studio"
    );
    assert_eq!(upload(&u.member, "tunnel-zhang/grouting-qc/x.png", png).status, 403);
    assert_eq!(
        upload(&u.bridge, "tunnel-zhang/studio-only/x.png", png).status,
        404,
        "hidden record does not leak"
    );
}
