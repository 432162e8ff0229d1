//! Facets that scale with their values: each facet answers its top values
//! (`facet_limit=`), the selected ones and its number of distinct values;
//! `/api/facets/{field}` and the sidebar's "更多" page find the rest by
//! prefix of the value or of its label, under the same query, filters and
//! visibility.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::publish::{app_with_users, get_as};
use crate::support::{TestApp, enc};

/// 14 more studios, `fs-NN` (named 分室NN号创新工作室), the NNth holding NN
/// public records tagged `批量` and `标签NN`; and one studio-only record of
/// a studio-only tag.
fn add_studios(content: &Path) {
    for n in 1..=14 {
        fs::write(
            content.join(format!("studios/fs-{n:02}.md")),
            format!(
                "---\nkind: studio\nname: 分室{n:02}号创新工作室\nunit: 测试单位\nleader: 王{n}\nstars: 3\nstudio_type: research\nalliances: [tunnel]\nfounded: 2015\n---\n分室。\n"
            ),
        )
        .unwrap();
        let folder = content.join(format!("fs-{n:02}"));
        fs::create_dir_all(&folder).unwrap();
        for i in 0..n {
            fs::write(
                folder.join(format!("r{i}.md")),
                format!(
                    "---\ntitle: 分室记录{n}之{i}\nkind: achievement\ncategory: tech\nstudio: fs-{n:02}\ndate: 2023-05-0{}\ntags: [批量, 标签{n:02}]\nvisibility: public\n---\n\n批量记录正文 扩容词。\n",
                    1 + i % 9
                ),
            )
            .unwrap();
        }
    }
    fs::write(
        content.join("fs-14/secret.md"),
        "---\ntitle: 分室十四内部\nkind: achievement\ncategory: tech\nstudio: fs-14\ndate: 2023-05-01\ntags: [批量, 内部专用标签]\nvisibility: studio\n---\n\n批量 内部。\n",
    )
    .unwrap();
}

fn app() -> TestApp {
    let dir = crate::support::fixture_copy("basic");
    add_studios(&dir.path().join("content"));
    TestApp::serve(dir)
}

fn facet<'a>(body: &'a Value, field: &str) -> &'a serde_json::Map<String, Value> {
    body["facets"][field]
        .as_object()
        .unwrap_or_else(|| panic!("no facet {field}: {body}"))
}

fn values(body: &Value) -> Vec<(String, u64)> {
    body["values"]
        .as_array()
        .unwrap_or_else(|| panic!("no values: {body}"))
        .iter()
        .map(|v| (v["value"].as_str().unwrap().to_string(), v["count"].as_u64().unwrap()))
        .collect()
}

#[test]
fn search_answers_the_top_values_and_the_distinct_totals() {
    let app = app();
    // Default: 10 values a facet, the most frequent.
    let body = app.search("q=批量");
    let studios = facet(&body, "studio");
    assert_eq!(studios.len(), 10, "{studios:?}");
    for n in 5..=14 {
        assert_eq!(studios[&format!("fs-{n:02}")], n, "{studios:?}");
    }
    assert!(!studios.contains_key("fs-04"));
    assert_eq!(body["facet_totals"]["studio"], 14);
    // Tags: 批量 on all 105, then 标签14…; 16 distinct for staff, 15 (the
    // studio-only tag left out) for a visitor.
    assert_eq!(body["facet_totals"]["tag"], 15);
    assert_eq!(facet(&body, "tag")["批量"], 105);
    assert_eq!(body["total"], 105);

    // facet_limit= narrows and widens, up to the cap; nonsense falls back.
    let body = app.search("q=批量&facet_limit=3");
    let studios = facet(&body, "studio");
    assert_eq!(
        studios.keys().cloned().collect::<Vec<_>>(),
        ["fs-12", "fs-13", "fs-14"],
        "{studios:?}"
    );
    assert_eq!(body["facet_totals"]["studio"], 14);
    assert_eq!(facet(&app.search("q=批量&facet_limit=50"), "studio").len(), 14);
    assert_eq!(facet(&app.search("q=批量&facet_limit=abc"), "studio").len(), 10);
    assert_eq!(facet(&app.search("q=批量&facet_limit=0"), "studio").len(), 1);

    // A default search over everything stays small however many values.
    let all = app.get("/api/search?q=");
    assert_eq!(all.status, 200);
    assert!(all.json()["facet_totals"]["studio"].as_u64().unwrap() >= 16);
    assert!(facet(&all.json(), "studio").len() <= 10);
}

#[test]
fn selected_values_stay_in_the_answer_outside_the_top() {
    let app = app();
    // fs-01 (1 record) is far from the top 3, yet selected.
    let body = app.search("q=扩容词&facet_limit=3&studio=fs-01&studio=fs-14");
    let studios = facet(&body, "studio");
    assert_eq!(studios["fs-01"], 1, "{studios:?}");
    assert_eq!(studios["fs-14"], 14);
    assert_eq!(body["total"], 15);
    // A tag selected through the words (tag:…) counts as selected too.
    let body = app.search(&format!("q={}&facet_limit=2", enc("批量 tag:标签02")));
    assert_eq!(facet(&body, "tag")["标签02"], 2, "{body}");
    // A selected value nothing matches shows with 0.
    let body = app.search("q=扩容词&facet_limit=2&studio=fs-02&kind=patent");
    assert_eq!(facet(&body, "studio")["fs-02"], 0, "{body}");
}

#[test]
fn facet_lookup_finds_values_by_prefix_of_value_and_of_name() {
    let app = app();
    let get = |query: &str| {
        let r = app.get(&format!("/api/facets/{query}"));
        assert_eq!(r.status, 200, "{query}: {}", r.body);
        r.json()
    };
    // Everything, most frequent first, then by value.
    let body = get("studio?q=批量&limit=3");
    assert_eq!(
        values(&body),
        [("fs-14".into(), 14), ("fs-13".into(), 13), ("fs-12".into(), 12)]
    );
    assert_eq!(body["distinct"], 14);
    assert_eq!(body["total"], 105);
    assert_eq!(body["values"][0]["label"], "分室14号创新工作室");
    // By the value's start.
    let body = get("studio?q=批量&prefix=fs-0");
    assert_eq!(body["distinct"], 9);
    assert_eq!(values(&body).last().unwrap(), &("fs-01".to_string(), 1));
    // By the shown name (a studio's), case-insensitively for Latin.
    let body = get(&format!("studio?q=批量&prefix={}", enc("分室07")));
    assert_eq!(values(&body), [("fs-07".to_string(), 7)]);
    let body = get(&format!("studio?prefix={}", enc("李明")));
    assert_eq!(values(&body), [("bridge-li".to_string(), 3)], "{body}");
    let body = get("studio?q=批量&prefix=FS-1");
    assert_eq!(body["distinct"], 5);
    // Under the search's filters: kind=patent holds no 分室 record.
    let body = get("studio?q=批量&kind=patent");
    assert_eq!(body["distinct"], 0);
    assert!(values(&body).is_empty());
    // Labels of a choice field come from the spec.
    let body = get(&format!("kind?prefix={}", enc("创新")));
    assert_eq!(values(&body)[0].0, "achievement", "{body}");
    // Tags by prefix.
    let body = get(&format!("tag?q=批量&prefix={}", enc("标签1")));
    assert_eq!(body["distinct"], 5);
}

#[test]
fn facet_lookup_rejects_bad_fields_and_limits() {
    let app = app();
    for path in [
        "/api/facets/colour",
        "/api/facets/studio?limit=0",
        "/api/facets/studio?limit=-3",
        "/api/facets/studio?limit=abc",
        "/api/facets/studio?limit=100000",
        "/search/facets/nonsense",
        "/search/facets/tag?limit=9999",
    ] {
        let r = app.get(path);
        assert_eq!(r.status, 400, "{path}: {}", r.body);
        assert!(!r.body.contains("panicked"), "{path}");
        assert!(
            r.body.contains("分面字段") || r.body.contains("limit"),
            "{path}: {}",
            r.body
        );
    }
    // The cap itself is fine.
    assert_eq!(app.get("/api/facets/studio?limit=500").status, 200);
}

#[test]
fn facets_never_show_what_the_viewer_may_not_see() {
    let (app, users) = app_with_users();
    // The fixture's studio-only record: tunnel-zhang, tag 机密词乙.
    let visitor = app.search("q=");
    assert!(!facet(&visitor, "tag").contains_key("机密词乙"), "{visitor}");
    let visitor_tags = visitor["facet_totals"]["tag"].as_u64().unwrap();
    let staff = get_as(&app, Some(&users.staff), "/api/search?q=&facet_limit=500").json();
    assert_eq!(facet(&staff, "tag")["机密词乙"], 1);
    assert!(staff["facet_totals"]["tag"].as_u64().unwrap() > visitor_tags);

    // The lookup: by prefix the secret tag is found by its studio only.
    let path = format!("/api/facets/tag?prefix={}", enc("机密"));
    let anon = get_as(&app, None, &path).json();
    assert!(!values(&anon).iter().any(|(v, _)| v == "机密词乙"), "{anon}");
    let tunnel = get_as(&app, Some(&users.tunnel), &path).json();
    assert!(values(&tunnel).iter().any(|(v, _)| v == "机密词乙"), "{tunnel}");
    let bridge = get_as(&app, Some(&users.bridge), &path).json();
    assert!(!values(&bridge).iter().any(|(v, _)| v == "机密词乙"), "{bridge}");

    // A studio's count leaves out its studio-only record for others.
    let count = |token: Option<&str>| {
        values(&get_as(&app, token, "/api/facets/studio?prefix=tunnel-zhang").json())
            .first()
            .map_or(0, |(_, n)| *n)
    };
    assert!(
        count(Some(&users.tunnel)) > count(None),
        "studio-only counted for visitors"
    );
    assert_eq!(count(Some(&users.tunnel)), count(Some(&users.staff)));
}

#[test]
fn a_studio_only_record_of_its_own_studio_stays_hidden_to_visitors() {
    let app = app();
    // fs-14's studio-only record holds the only 内部专用标签.
    let body = app.search("q=批量&facet_limit=500");
    assert!(!facet(&body, "tag").contains_key("内部专用标签"));
    assert_eq!(facet(&body, "studio")["fs-14"], 14);
    let found = app.get(&format!("/api/facets/tag?prefix={}", enc("内部"))).json();
    assert_eq!(found["distinct"], 0, "{found}");
    let page = app.get(&format!("/search/facets/tag?prefix={}", enc("内部")));
    assert!(!page.body.contains("内部专用标签"));
}

#[test]
fn the_sidebar_links_to_a_page_of_more_values_that_works_without_script() {
    let app = app();
    let page = app.get(&format!("/search?q={}&kind=achievement", enc("批量")));
    assert_eq!(page.status, 200);
    // 16 studios match: 12 shown, then the link, keeping words and filters.
    assert!(page.body.contains("更多"), "no more link");
    let href = page
        .body
        .split("href=\"")
        .map(|s| s.split('"').next().unwrap_or(""))
        .find(|h| h.starts_with("/search/facets/studio?"))
        .expect("a more link for studios")
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    assert!(href.contains("kind=achievement"), "{href}");
    // Kinds have one value here: no link.
    assert!(!page.body.contains("/search/facets/kind?"));

    let more = app.get(&href);
    assert_eq!(more.status, 200, "{}", more.body);
    assert!(more.body.contains("分室01号创新工作室"), "all 14 listed");
    assert!(more.body.contains("name=\"prefix\""));
    // The prefix form keeps the search it came from.
    assert!(
        more.body.contains("name=\"kind\" value=\"achievement\""),
        "{}",
        more.body
    );
    // Each value toggles the filter on the search page.
    assert!(more.body.contains("studio=fs-07"));
    // The form's answer: by name.
    let found = app.get(&format!("{href}&prefix={}", enc("分室13")));
    assert!(found.body.contains("分室13号创新工作室"));
    assert!(!found.body.contains("分室12号创新工作室"), "{href}");
    assert!(!found.body.contains("style="), "no inline style");
}
