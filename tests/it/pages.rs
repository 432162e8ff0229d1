//! HTML pages and JSON routes as a visitor gets them.

use crate::support::{TestApp, enc};

#[test]
fn search_page_has_facets_chips_sort_and_cards() {
    let app = TestApp::start("basic");
    let page = app.get(&format!("/search?q={}&kind=method", enc("桥梁")));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<html lang=\"zh-CN\">"));
    assert!(page.body.contains("class=\"chip\""), "active filter chip");
    assert!(page.body.contains("挂篮悬臂浇筑施工工法"));
    assert!(!page.body.contains("一种桥梁支座锚栓定位装置"), "patent filtered out");
    assert!(page.body.contains("<mark>桥梁</mark>"));
    assert!(page.body.contains("sort=newest"));
    assert!(page.body.contains("李明桥梁创新工作室"), "studio name on the card");
    let home = app.get("/");
    assert_eq!(home.status, 200);
    assert!(home.body.contains("最新成果"));
    assert!(
        home.body.contains("隧道工程创新工作室联盟"),
        "alliance facet shows names"
    );
}

#[test]
fn english_is_available_and_remembered() {
    let app = TestApp::start("basic");
    let page = app.get("/search?q=x&lang=en");
    assert!(page.body.contains("<html lang=\"en\">"));
    assert!(page.body.contains(">Search<"));
    assert!(page.header("set-cookie").unwrap_or("").contains("lang=en"));
}

#[test]
fn record_page_shows_metadata_body_and_neighbours() {
    let app = TestApp::start("basic");
    let page = app.get("/records/tunnel-zhang/segment-repair");
    assert_eq!(page.status, 200);
    for expected in [
        "QB-SD-2023-07",
        "企业级",
        "85.6",
        "深圳地铁14号线",
        "中国中铁科技进步奖",
        "工艺原理",
        "id=\"工艺原理\"",
        "相似成果",
        "本工作室其他成果",
        "提高同步注浆饱满度QC成果",
    ] {
        assert!(page.body.contains(expected), "missing {expected}");
    }
    assert!(
        !page.body.contains("工作室内部管片配方"),
        "studio-only record not listed"
    );
    let patent = app.get("/records/bridge-li/anchor-patent");
    for expected in ["CN202110345678.9", "实用新型", "已授权", "E21D 11/08", "2021-02-10"] {
        assert!(patent.body.contains(expected), "missing {expected}");
    }
}

#[test]
fn content_cannot_run_script() {
    let app = TestApp::start("basic");
    let page = app.get("/records/bridge-li/hanging-basket");
    assert_eq!(page.status, 200);
    let lower = page.body.to_lowercase();
    assert!(!lower.contains("<script>document"), "script survived");
    assert!(!lower.contains("onerror"));
    assert!(!lower.contains("href=\"javascript:"), "javascript: link");
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .contains("script-src 'self'")
    );
    let api = app.get("/api/records/bridge-li/hanging-basket").json();
    assert!(!api["html"].as_str().unwrap().contains("<script"));
}

#[test]
fn bundle_files_are_served_beside_the_record() {
    let app = TestApp::start("basic");
    let page = app.get("/records/power-chen/catenary-manual");
    assert!(
        page.body
            .contains("src=\"/records/power-chen/catenary-manual/diagram.png\""),
        "{}",
        page.body
    );
    let png = app.get("/records/power-chen/catenary-manual/diagram.png");
    assert_eq!(png.status, 200);
    assert_eq!(png.header("content-type"), Some("image/png"));
    assert_eq!(
        app.get("/records/power-chen/catenary-manual/manual.pdf")
            .header("content-type"),
        Some("application/pdf")
    );
    for bad in [
        "/records/power-chen/catenary-manual/.hidden",
        "/records/power-chen/catenary-manual/index.md",
        "/records/power-chen/catenary-manual/../open-problem.md",
        "/records/power-chen/catenary-manual/%2e%2e%2fopen-problem.md",
        "/records/power-chen/catenary-manual/missing.png",
        "/records/tunnel-zhang/studio-only/x.png",
    ] {
        assert_eq!(app.get(bad).status, 404, "{bad}");
    }
}

#[test]
fn json_record_and_errors() {
    let app = TestApp::start("basic");
    let r = app.get("/api/records/tunnel-zhang/segment-repair").json();
    assert_eq!(r["title"], "盾构管片错台快速修复工法");
    assert_eq!(r["kind"], "method");
    assert_eq!(r["date"], "2023-06-18");
    assert_eq!(r["awards"][0]["level"], "enterprise");
    assert!(r["html"].as_str().unwrap().contains("<h2"));
    let missing = app.get("/api/records/nope/nothing");
    assert_eq!(missing.status, 404);
    assert!(missing.json()["error"].is_string());
    let page = app.get("/records/nope/nothing");
    assert_eq!(page.status, 404);
    assert!(page.body.contains("页面不存在"));
    assert_eq!(app.get("/no/such/page").status, 404);
    assert_eq!(app.get("/api/similar").status, 400);
}

#[test]
fn studio_alliance_and_exhibit_pages() {
    let app = TestApp::start("basic");
    let studio = app.get("/studios/tunnel-zhang");
    assert!(studio.body.contains("张伟劳模创新工作室") && studio.body.contains("★★★★★"));
    assert!(studio.body.contains("盾构管片错台快速修复工法"));
    let alliance = app.get("/alliances/tunnel");
    assert!(alliance.body.contains("李明桥梁创新工作室"));
    assert!(alliance.body.contains("挂篮悬臂浇筑施工工法"));
    assert!(app.get("/studios").body.contains("陈刚四电工作室"));
    assert!(app.get("/alliances").body.contains("四电工程创新工作室联盟"));
    let exhibit = app.get("/exhibits/show");
    assert!(exhibit.body.contains("优秀专利"));
    assert_eq!(app.get("/studios/nobody").status, 404);
}

#[test]
fn suggestions_complete_titles() {
    let app = TestApp::start("basic");
    let s = app.get(&format!("/api/suggest?q={}", enc("挂篮悬"))).json();
    assert_eq!(s["suggestions"][0]["title"], "挂篮悬臂浇筑施工工法");
    let empty = app.get("/api/suggest?q=").json();
    assert_eq!(empty["suggestions"].as_array().unwrap().len(), 0);
}
