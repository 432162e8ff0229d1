//! Joint work (联合攻关): a record with `partners` is found, counted and
//! listed under every studio that did it, while its visibility stays the
//! owner studio's; bad partner lists are refused by `check` and the API.

use serde_json::Value;

use crate::publish::{get_as, put};
use crate::support::{TestApp, enc, ids};

const PUBLIC: &str = "tunnel-zhang/joint-public";
const SECRET: &str = "tunnel-zhang/joint-secret";

fn joint(title: &str, partners: &str, visibility: &str) -> String {
    format!(
        "---\ntitle: {title}\nkind: achievement\ncategory: tech\nstudio: tunnel-zhang\npartners: {partners}\ndate: 2025-04-01\nvisibility: {visibility}\ntags: [联合]\n---\n\n三家工作室共同完成。\n"
    )
}

struct Tokens {
    tunnel: String,
    bridge: String,
    staff: String,
}

fn app() -> (TestApp, Tokens) {
    let dir = crate::support::fixture_copy("basic");
    let content = dir.path().join("content/tunnel-zhang");
    std::fs::write(
        content.join("joint-public.md"),
        joint("盾构与接触网联合攻关成果", "[power-chen]", "public"),
    )
    .unwrap();
    std::fs::write(
        content.join("joint-secret.md"),
        joint("仅本工作室的联合攻关", "[bridge-li]", "studio"),
    )
    .unwrap();
    TestApp::add_user(dir.path(), "pub-tunnel", "publisher", Some("tunnel-zhang"));
    TestApp::add_user(dir.path(), "pub-bridge", "publisher", Some("bridge-li"));
    TestApp::add_user(dir.path(), "staff1", "staff", None);
    let tokens = Tokens {
        tunnel: TestApp::token(dir.path(), "pub-tunnel"),
        bridge: TestApp::token(dir.path(), "pub-bridge"),
        staff: TestApp::token(dir.path(), "staff1"),
    };
    (TestApp::serve(dir), tokens)
}

fn search(app: &TestApp, token: Option<&str>, query: &str) -> Value {
    let r = get_as(app, token, &format!("/api/search?{query}&per_page=100"));
    assert_eq!(r.status, 200, "{query}: {}", r.body);
    r.json()
}

#[test]
fn a_joint_record_is_found_counted_and_listed_under_each_studio() {
    let (app, t) = app();
    // Found under the owner's and the partner's studio and alliance.
    for query in [
        "studio=tunnel-zhang",
        "studio=power-chen",
        "alliance=tunnel",
        "alliance=four-electric",
    ] {
        assert!(ids(&search(&app, None, query)).contains(&PUBLIC.to_string()), "{query}");
    }
    // Not under a studio that did not take part.
    assert!(!ids(&search(&app, None, "studio=bridge-li")).contains(&PUBLIC.to_string()));

    // The studio facet counts it under each studio; each count is the
    // number of records that studio's filter finds.
    let all = search(&app, Some(&t.staff), "q=");
    let facet = &all["facets"]["studio"];
    for studio in ["tunnel-zhang", "power-chen", "bridge-li"] {
        let under = search(&app, Some(&t.staff), &format!("studio={studio}"));
        assert_eq!(facet[studio], under["total"], "{studio}: {facet}");
    }
    let summed: u64 = facet.as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    // Two joint records with one partner each: two more than the records.
    assert_eq!(summed, all["total"].as_u64().unwrap() + 2, "{all}");

    // Statistics by studio: once per studio, once in the total.
    let stats = get_as(&app, Some(&t.staff), "/api/stats?by=studio").json();
    assert_eq!(stats["total"], all["total"], "{stats}");
    let groups = stats["groups"].as_array().unwrap();
    let count = |s: &str| {
        groups
            .iter()
            .find(|g| g["key"]["studio"] == s)
            .map_or(0, |g| g["count"].as_u64().unwrap())
    };
    let grouped: u64 = groups.iter().map(|g| g["count"].as_u64().unwrap()).sum();
    assert_eq!(grouped, stats["total"].as_u64().unwrap() + 2);
    for studio in ["tunnel-zhang", "power-chen", "bridge-li"] {
        let under = search(&app, Some(&t.staff), &format!("studio={studio}"));
        assert_eq!(count(studio), under["total"].as_u64().unwrap(), "{studio}");
    }

    // The partner's studio page lists it; cards and the record page say
    // 联合攻关 and link the partner by name.
    let page = app.get("/studios/power-chen");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("盾构与接触网联合攻关成果"), "{}", page.body);
    let found = app.get(&format!("/search?studio=power-chen&q={}", enc("联合")));
    assert!(found.body.contains("联合攻关</span>"), "{}", found.body);
    assert!(found.body.contains("href=\"/studios/power-chen\""));
    let record = app.get(&format!("/records/{PUBLIC}"));
    assert_eq!(record.status, 200);
    assert!(record.body.contains("联合攻关</span>"));
    assert!(
        record.body.contains("class=\"partner\" href=\"/studios/power-chen\""),
        "{}",
        record.body
    );
}

#[test]
fn partners_gain_no_access_to_a_studio_only_joint_record() {
    let (app, t) = app();
    let path = format!("/records/{SECRET}");
    assert_eq!(get_as(&app, Some(&t.bridge), &path).status, 404);
    assert_eq!(get_as(&app, None, &path).status, 404);
    assert_eq!(get_as(&app, Some(&t.tunnel), &path).status, 200);
    assert_eq!(get_as(&app, Some(&t.staff), &path).status, 200);
    for query in ["studio=bridge-li", "alliance=tunnel", "q="] {
        let hits = ids(&search(&app, Some(&t.bridge), query));
        assert!(!hits.contains(&SECRET.to_string()), "{query}");
        let facet = &search(&app, Some(&t.bridge), query)["facets"]["studio"];
        let staff = &search(&app, Some(&t.staff), query)["facets"]["studio"];
        // The partner's own count leaves out what it may not see.
        assert_eq!(
            facet["bridge-li"].as_u64().unwrap_or(0) + 1,
            staff["bridge-li"].as_u64().unwrap_or(0),
            "{query}"
        );
    }
    assert!(ids(&search(&app, Some(&t.tunnel), "studio=bridge-li")).contains(&SECRET.to_string()));
    let page = get_as(&app, Some(&t.bridge), "/studios/bridge-li");
    assert!(!page.body.contains("仅本工作室的联合攻关"));
}

#[test]
fn bad_partner_lists_are_refused_with_a_reason() {
    let (app, t) = app();
    let cases = [
        ("[power-chan]", "power-chen"),
        ("[tunnel-zhang]", "就是本记录的工作室"),
        ("[power-chen, bridge-li, power-chen]", "重复"),
        ("[nowhere-at-all]", "找不到合作工作室"),
    ];
    for (i, (partners, message)) in cases.iter().enumerate() {
        let text = joint("有问题的联合记录", partners, "public");
        for token in [&t.staff, &t.tunnel] {
            let r = put(&app, token, &format!("tunnel-zhang/bad-{i}"), &text, &[]);
            assert_eq!(r.status, 422, "{partners}: {}", r.body);
            let errors = r.json()["errors"].clone();
            assert!(
                errors
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["field"] == "partners" && e["message"].as_str().unwrap().contains(message)),
                "{partners}: {errors}"
            );
        }
    }

    // The publishing form offers the field, labelled from the field table.
    let form = get_as(&app, Some(&t.staff), "/publish?kind=achievement");
    assert_eq!(form.status, 200);
    assert!(form.body.contains("name=\"partners\""), "{}", form.body);
    assert!(form.body.contains("合作工作室"));

    // `check` reports the same, with the file and line.
    let dir = crate::support::fixture_copy("basic");
    for (i, (partners, _)) in cases.iter().enumerate() {
        std::fs::write(
            dir.path().join(format!("content/tunnel-zhang/bad-{i}.md")),
            joint("有问题的联合记录", partners, "public"),
        )
        .unwrap();
    }
    let out = crate::support::run(&["check"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    for (i, (_, message)) in cases.iter().enumerate() {
        assert!(
            text.lines()
                .any(|l| l.contains(&format!("bad-{i}.md:6: partners:")) && l.contains(message)),
            "bad-{i}: {text}"
        );
    }
}

#[test]
fn the_publishing_form_takes_partners_as_ids() {
    let (app, _) = app();
    let (cookie, csrf) = crate::publish::sign_in(&app, "pub-tunnel");
    let form = |partners: &str, slug: &str| {
        format!(
            "csrf={}&kind=achievement&category=tech&title={}&slug={slug}&date=2025-05-01&partners={}&visibility=public&body={}&action=submit",
            enc(&csrf),
            enc("表单联合攻关成果"),
            enc(partners),
            enc("正文。")
        )
    };
    let headers = [
        ("cookie", cookie.as_str()),
        ("content-type", "application/x-www-form-urlencoded"),
    ];
    for (partners, message) in [
        ("power-chan", "是否应为“power-chen”"),
        ("tunnel-zhang", "就是本记录的工作室"),
        ("bridge-li，bridge-li", "重复列出"),
    ] {
        let r = app
            .request(
                "POST",
                "/publish",
                &headers,
                Some(form(partners, "form-bad").as_bytes()),
            )
            .unwrap();
        assert_eq!(r.status, 422, "{partners}");
        assert!(r.body.contains(message), "{partners}: {}", r.body);
        assert!(r.body.contains("aria-describedby=\"err-partners\""), "{partners}");
    }
    assert!(!app.content().join("tunnel-zhang/form-bad.md").exists());
    let ok = app
        .request(
            "POST",
            "/publish",
            &headers,
            Some(form("power-chen，bridge-li", "form-joint").as_bytes()),
        )
        .unwrap();
    assert_eq!(ok.status, 303, "{}", ok.body);
    let text = std::fs::read_to_string(app.content().join("tunnel-zhang/form-joint.md")).unwrap();
    assert!(text.contains("power-chen") && text.contains("bridge-li"), "{text}");
}
