//! Hostile and careless writes: review cannot be skipped by how a file is
//! written, ids cannot collide with folders or look like what they are
//! not, history shows each version only to whom could see it, attachments
//! wait for review, and a failed write changes nothing.

use serde_json::json;

use crate::publish::{app_with_users, get_as, post_as, put, record, sign_in, total};
use crate::support::enc;

/// A publisher's new record, written in each way the front-matter reader
/// accepts or refuses, is either awaiting review or refused: never public.
#[test]
fn review_cannot_be_skipped_by_how_the_file_is_written() {
    let (app, u) = app_with_users();
    let base = |word: &str| {
        format!(
            "title: 绕过{word}\nkind: achievement\ncategory: tech\nstudio: tunnel-zhang\ndate: 2025-03-01\nvisibility: public\ntags: [{word}]\n"
        )
    };
    let variants: Vec<(&str, String)> = vec![
        ("bom", format!("\u{feff}---\n{}---\n{} 正文\n", base("绕过甲"), "绕过甲")),
        ("blank-after-fence", format!("--- \n{}---  \n绕过乙 正文\n", base("绕过乙"))),
        ("tab-after-fence", format!("---\t\n{}---\t\n绕过丙 正文\n", base("绕过丙"))),
        ("crlf", format!("---\r\n{}---\r\n绕过丁 正文\r\n", base("绕过丁").replace('\n', "\r\n"))),
        ("review-null", format!("---\n{}review: null\n---\n绕过戊 正文\n", base("绕过戊"))),
        ("quoted-review-key", format!("---\n{}\"review\": null\n---\n绕过己 正文\n", base("绕过己"))),
        ("quoted-key-spaced", format!("---\n{}'review' : ~\nreview_comment: x\n---\n绕过庚 正文\n", base("绕过庚"))),
        ("fence-in-quoted-value", format!("---\n{}summary: \"a\n---\nb\"\n---\n绕过辛 正文\n", base("绕过辛"))),
        ("flow-mapping", "---\n{title: 绕过壬, kind: achievement, category: tech, studio: tunnel-zhang, date: 2025-03-01, visibility: public, tags: [绕过壬], review: null}\n---\n绕过壬 正文\n".to_string()),
        ("complex-key", format!("---\n{}? review\n: null\n---\n绕过癸 正文\n", base("绕过癸"))),
    ];
    for (i, (name, text)) in variants.iter().enumerate() {
        let id = format!("tunnel-zhang/bypass-{i}");
        let r = put(&app, &u.tunnel, &id, text, &[]);
        assert!(r.status == 201 || r.status == 422, "{name}: {} {}", r.status, r.body);
        if r.status == 201 {
            assert_eq!(r.json()["pending"], true, "{name}");
            assert_eq!(r.json()["review"], "pending", "{name}: {}", r.body);
            let on_disk = std::fs::read_to_string(app.content().join(format!("{id}.md"))).unwrap();
            assert!(on_disk.contains("review: pending"), "{name}: {on_disk}");
        } else {
            assert!(
                !app.content().join(format!("{id}.md")).exists(),
                "{name}: a 422 writes nothing"
            );
        }
        assert_eq!(get_as(&app, None, &format!("/records/{id}")).status, 404, "{name}");
        assert_eq!(
            get_as(&app, Some(&u.member), &format!("/api/records/{id}")).status,
            404,
            "{name}"
        );
        assert_eq!(
            get_as(&app, Some(&u.bridge), &format!("/records/{id}")).status,
            404,
            "{name}"
        );
    }
    for word in [
        "绕过甲",
        "绕过乙",
        "绕过丙",
        "绕过丁",
        "绕过戊",
        "绕过己",
        "绕过庚",
        "绕过辛",
        "绕过壬",
        "绕过癸",
    ] {
        assert_eq!(total(&app, None, word), 0, "{word} is not public");
    }

    // A change to an approved record, written with a BOM, waits beside it.
    let id = "tunnel-zhang/segment-repair";
    let current = get_as(&app, Some(&u.tunnel), &format!("/api/records/{id}")).json();
    assert_eq!(current["title"], "盾构管片错台快速修复工法");
    let published = std::fs::read_to_string(app.content().join(format!("{id}.md"))).unwrap();
    let change = format!(
        "\u{feff}{}",
        published.replace("盾构管片错台快速修复工法", "改过的标题旁路")
    );
    let r = put(&app, &u.tunnel, id, &change, &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["pending"], true);
    assert_eq!(total(&app, None, "改过的标题旁路"), 0);
    assert_eq!(
        std::fs::read_to_string(app.content().join(format!("{id}.md"))).unwrap(),
        published,
        "the published file is untouched"
    );
    // Both kinds of submission are in the queue, served from the index.
    let queue = get_as(&app, Some(&u.staff), "/review").body;
    assert!(queue.contains("改过的标题旁路") && queue.contains("绕过甲"), "{queue}");
}

/// A 422 changes nothing: a submission stays as it was and in the queue.
#[test]
fn a_refused_write_leaves_the_file_and_the_queue_alone() {
    let (app, u) = app_with_users();
    let id = "tunnel-zhang/queued";
    let text = record("tunnel-zhang", "排队的提交", "排队测试词", "public");
    assert_eq!(put(&app, &u.tunnel, id, &text, &[]).status, 201);
    let before = std::fs::read_to_string(app.content().join(format!("{id}.md"))).unwrap();
    for bad in [
        text.replace("visibility: public", "visibility: public\nvisibility: members"),
        text.replace(
            "visibility: public",
            "visibility: public\nreview: null\nreview: pending",
        ),
        text.replace("title: 排队的提交", "title: [未闭合"),
        text.replace("---\n\n", "\n\n"),
        text.replace("studio: tunnel-zhang", "studio: nowhere"),
    ] {
        let r = put(&app, &u.tunnel, id, &bad, &[]);
        assert_eq!(r.status, 422, "{bad}\n{}", r.body);
        assert!(r.json()["errors"][0]["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(
            std::fs::read_to_string(app.content().join(format!("{id}.md"))).unwrap(),
            before
        );
    }
    assert!(get_as(&app, Some(&u.staff), "/review").body.contains("排队的提交"));
}

/// Ids that would turn a folder into a page bundle, hide in another
/// record's bundle, shadow staff files or deceive the eye are refused with
/// a message, for staff as for publishers, and the index keeps every record.
#[test]
fn ids_never_collide_with_folders_or_deceive() {
    let (app, u) = app_with_users();
    let before = get_as(&app, Some(&u.staff), "/api/search?q=").json()["total"]
        .as_u64()
        .unwrap();
    let text = |studio: &str| record(studio, "撞车测试", "撞车测试词", "public");
    let long = format!("tunnel-zhang/{}", "长".repeat(90));
    let refused = [
        "studios",
        "alliances",
        "exhibits",
        "tunnel-zhang",
        "studios/tunnel-zhang",
        "dictionary.txt",
        "synonyms.txt",
        "tunnel-zhang/index",
        "tunnel-zhang/x/index",
        "tunnel-zhang/segment-repair/inner",
        "power-chen/catenary-manual/inner",
        "tunnel-zhang/\u{2024}\u{2024}/x",
        "tunnel-zhang/\u{FF0E}hidden",
        "tunnel-zhang/a\u{202E}dm.exe",
        "tunnel-zhang/a\u{200B}b",
        "tunnel-zhang/a\u{2066}b",
        "tunnel-zhang/a\u{FF0F}b",
        long.as_str(),
    ];
    for id in refused {
        let studio = if id.starts_with("power-chen") {
            "power-chen"
        } else {
            "tunnel-zhang"
        };
        let r = put(&app, &u.staff, &enc_path(id), &text(studio), &[]);
        assert_eq!(r.status, 400, "{id:?}: {} {}", r.status, r.body);
        assert!(
            r.json()["error"]
                .as_str()
                .is_some_and(|m| m.contains("编号") || m.contains("路径")),
            "{id:?}: {}",
            r.body
        );
    }
    // The publisher gets no further.
    for id in ["tunnel-zhang", "tunnel-zhang/index", "tunnel-zhang/segment-repair/x"] {
        assert_eq!(put(&app, &u.tunnel, id, &text("tunnel-zhang"), &[]).status, 400, "{id}");
    }
    // A file attached to an id that is a folder never makes it a bundle.
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR-test-image";
    let header = crate::publish::auth(&u.staff);
    for path in ["studios/x.png", "tunnel-zhang/x.png", "exhibits/x.png"] {
        let r = app
            .request(
                "PUT",
                &format!("/api/files/{path}"),
                &[("authorization", &header)],
                Some(png),
            )
            .unwrap();
        assert!(r.status == 400 || r.status == 404, "{path}: {} {}", r.status, r.body);
    }
    assert!(!app.content().join("studios/index.md").exists());
    assert!(!app.content().join("tunnel-zhang/index.md").exists());
    let after = get_as(&app, Some(&u.staff), "/api/search?q=").json()["total"]
        .as_u64()
        .unwrap();
    assert_eq!(after, before, "no record left the index");
    let app = app.restart();
    let restarted = get_as(&app, Some(&u.staff), "/api/search?q=").json()["total"]
        .as_u64()
        .unwrap();
    assert_eq!(restarted, before, "nor after a restart");
    // Raw Markdown of records is never served as a bundle file.
    for path in [
        "/records/power-chen/catenary-manual/index.md",
        "/records/tunnel-zhang/studio-only.md",
        "/records/power-chen/catenary-manual/.hidden",
    ] {
        assert_eq!(get_as(&app, Some(&u.bridge), path).status, 404, "{path}");
    }
}

fn enc_path(id: &str) -> String {
    id.split('/').map(enc).collect::<Vec<_>>().join("/")
}

/// A publisher cannot tell whether a record it may not see exists.
#[test]
fn creating_over_a_hidden_record_tells_nothing() {
    let (app, u) = app_with_users();
    let text = record("bridge-li", "探测", "探测测试词", "public");
    let answer = |id: &str, extra: &[(&str, &str)]| {
        let r = put(&app, &u.bridge, id, &text, extra);
        (r.status, r.json()["error"].clone())
    };
    for extra in [&[][..], &[("if-none-match", "*")][..]] {
        let hidden = answer("tunnel-zhang/studio-only", extra);
        let missing = answer("tunnel-zhang/no-such-record", extra);
        assert_eq!(hidden, missing, "{extra:?}");
        assert_eq!(hidden.0, 403);
    }
    assert!(
        std::fs::read_to_string(app.content().join("tunnel-zhang/studio-only.md"))
            .unwrap()
            .contains("studio: tunnel-zhang")
    );
}

/// History shows a version only to those who could see it when it was
/// written; a deleted record's history does not pass to a new one.
#[test]
fn history_shows_each_version_only_to_its_audience() {
    let (app, u) = app_with_users();
    let id = "tunnel-zhang/history-case";
    assert_eq!(
        put(
            &app,
            &u.staff,
            id,
            &record("tunnel-zhang", "历史用例", "历史公开词", "public"),
            &[]
        )
        .status,
        201
    );
    let draft = record("tunnel-zhang", "历史用例", "草稿机密词", "public");
    assert_eq!(put(&app, &u.tunnel, id, &draft, &[]).status, 200);
    let back = post_as(
        &app,
        &u.staff,
        &format!("/api/records/{id}/return"),
        &json!({"comment": "退回意见机密"}),
    );
    assert_eq!(back.status, 200, "{}", back.body);
    // Versions: 1 create (public), 2 submit, 3 return.
    for (who, token) in [
        ("visitor", None),
        ("member", Some(u.member.as_str())),
        ("other studio", Some(u.bridge.as_str())),
    ] {
        let list = get_as(&app, token, &format!("/history/{id}"));
        assert_eq!(list.status, 200, "{who}");
        for v in 1..=3 {
            let page = get_as(&app, token, &format!("/history/{id}?v={v}")).body;
            assert!(!page.contains("草稿机密词"), "{who} v{v}");
            assert!(!page.contains("退回意见机密"), "{who} v{v}");
        }
        assert!(
            !list.body.contains("?v=2") && !list.body.contains("?v=3"),
            "{who}: {}",
            list.body
        );
        assert!(list.body.contains("?v=1"), "{who}");
    }
    for token in [&u.tunnel, &u.staff] {
        let page = get_as(&app, Some(token), &format!("/history/{id}?v=2")).body;
        assert!(page.contains("草稿机密词"), "the studio and staff see the submission");
    }
    // Deleted and created again by someone else: the old history stays behind.
    let header = crate::publish::auth(&u.staff);
    let deleted = app
        .request(
            "DELETE",
            &format!("/api/records/{id}"),
            &[("authorization", &header)],
            None,
        )
        .unwrap();
    assert_eq!(deleted.status, 204);
    assert_eq!(
        put(
            &app,
            &u.staff,
            id,
            &record("tunnel-zhang", "新的记录", "新记录词", "public"),
            &[]
        )
        .status,
        201
    );
    let page = get_as(&app, None, &format!("/history/{id}")).body;
    assert!(page.contains("?v=1") && !page.contains("?v=2"), "{page}");
    let first = get_as(&app, Some(&u.staff), &format!("/history/{id}?v=1")).body;
    assert!(first.contains("新记录词") && !first.contains("历史公开词"));
}

/// A publisher's attachment to a published record waits for review with a
/// submission; staff's approval publishes it.
#[test]
fn attachments_follow_the_review_path() {
    let (app, u) = app_with_users();
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR-test-image";
    let upload = |token: &str, path: &str| {
        let header = crate::publish::auth(token);
        app.request(
            "PUT",
            &format!("/api/files/{path}"),
            &[("authorization", &header)],
            Some(png),
        )
        .unwrap()
    };
    let id = "tunnel-zhang/segment-repair";
    // The first turns the single file into a bundle, the second joins it.
    for name in ["first.png", "second.png"] {
        let r = upload(&u.tunnel, &format!("{id}/{name}"));
        assert_eq!(r.status, 201, "{}", r.body);
    }
    for name in ["first.png", "second.png"] {
        for viewer in [
            None,
            Some(u.member.as_str()),
            Some(u.bridge.as_str()),
            Some(u.tunnel.as_str()),
        ] {
            assert_eq!(
                get_as(&app, viewer, &format!("/records/{id}/{name}")).status,
                404,
                "{name}"
            );
        }
    }
    assert_eq!(
        get_as(&app, None, &format!("/records/{id}")).status,
        200,
        "the record itself stays published"
    );
    let review = get_as(&app, Some(&u.staff), &format!("/review/{id}"));
    assert_eq!(review.status, 200);
    assert!(
        review.body.contains("first.png") && review.body.contains("second.png"),
        "listed for review"
    );
    let approved = post_as(&app, &u.staff, &format!("/api/records/{id}/approve"), &json!({}));
    assert_eq!(approved.status, 200, "{}", approved.body);
    for name in ["first.png", "second.png"] {
        assert_eq!(
            get_as(&app, None, &format!("/records/{id}/{name}")).status,
            200,
            "{name}"
        );
    }
    assert!(
        !get_as(&app, Some(&u.staff), "/review").body.contains(id),
        "nothing left waiting"
    );
    // Staff's own attachments need no review.
    let r = upload(&u.staff, "power-chen/catenary-manual/staff.png");
    assert_eq!(r.status, 201);
    let served = get_as(&app, None, "/records/power-chen/catenary-manual/staff.png");
    assert_eq!(served.status, 200);
    assert!(
        served
            .header("content-security-policy")
            .is_some_and(|c| c.contains("frame-ancestors 'none'")),
        "{:?}",
        served.headers
    );
}

/// A write that fails half-way (here: its history cannot be written)
/// answers an error and leaves the content and the index as they were.
#[test]
fn a_failed_write_changes_nothing() {
    let (app, u) = app_with_users();
    let history = app.root.join("data/history");
    let _ = std::fs::remove_dir_all(&history);
    std::fs::write(&history, "not a folder").unwrap();
    let id = "tunnel-zhang/never-written";
    let r = put(
        &app,
        &u.staff,
        id,
        &record("tunnel-zhang", "失败的写入", "失败写入词", "public"),
        &[],
    );
    assert!(r.status >= 500, "{} {}", r.status, r.body);
    assert!(!app.content().join(format!("{id}.md")).exists());
    assert_eq!(total(&app, Some(&u.staff), "失败写入词"), 0);
    // An existing record's change fails the same way and keeps the old text.
    let path = app.content().join("tunnel-zhang/segment-repair.md");
    let before = std::fs::read_to_string(&path).unwrap();
    let changed = before.replace("盾构管片错台快速修复工法", "不该出现的标题");
    let r = put(&app, &u.staff, "tunnel-zhang/segment-repair", &changed, &[]);
    assert!(r.status >= 500);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    assert_eq!(total(&app, None, "不该出现的标题"), 0);
    // Once history can be written again, the same write succeeds.
    std::fs::remove_file(&history).unwrap();
    let r = put(
        &app,
        &u.staff,
        id,
        &record("tunnel-zhang", "失败的写入", "失败写入词", "public"),
        &[],
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(total(&app, None, "失败写入词"), 1);
}

/// A write to a server whose index folder was deleted under it answers
/// 503 before changing anything on disk.
#[test]
fn a_write_while_the_index_is_gone_changes_nothing() {
    let (app, u) = app_with_users();
    std::fs::remove_dir_all(app.root.join("index")).unwrap();
    let id = "tunnel-zhang/while-broken";
    let r = put(
        &app,
        &u.staff,
        id,
        &record("tunnel-zhang", "索引缺失时", "缺失写入词", "public"),
        &[],
    );
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r.json()["error"].as_str().is_some_and(|m| m.contains("索引")));
    assert!(!app.content().join(format!("{id}.md")).exists());
    assert!(!app.root.join(format!("data/history/{id}")).exists());
}

/// An error page keeps the viewer's header and language; a refused write
/// is 422 with every problem wherever it comes from.
#[test]
fn errors_speak_to_the_viewer_in_their_language() {
    let (app, u) = app_with_users();
    let (cookie, _) = sign_in(&app, "pub-tunnel");
    let missing = app
        .request("GET", "/records/no/such", &[("cookie", &cookie)], None)
        .unwrap();
    assert_eq!(missing.status, 404);
    assert!(
        missing.body.contains("pub-tunnel"),
        "the signed-in name is in the header"
    );
    assert!(!missing.body.contains(">登录<"), "{}", missing.body);
    let english = app
        .request("GET", "/records/no/such?lang=en", &[("cookie", "lang=en")], None)
        .unwrap();
    assert_eq!(english.status, 404);
    assert!(english.body.contains("lang=\"en\""), "{}", english.body);
    let api = get_as(&app, None, "/api/records/no/such");
    assert_eq!(api.status, 404);
    assert!(api.json()["error"].is_string());
    let bad = put(&app, &u.tunnel, "tunnel-zhang/bad", "---\ntitle: x\n---\n", &[]);
    assert_eq!(bad.status, 422);
    assert!(
        bad.json()["errors"].as_array().is_some_and(|e| e.len() >= 2),
        "{}",
        bad.body
    );
    let approve = post_as(
        &app,
        &u.staff,
        "/api/records/tunnel-zhang/segment-repair/return",
        &json!({}),
    );
    assert_eq!(approve.status, 422, "a return without a comment: {}", approve.body);
    assert_eq!(approve.json()["errors"][0]["field"], "comment");
}
