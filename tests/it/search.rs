//! Search over HTTP: words, compounds, codes, phrases, filters, facets,
//! sorting, snippets, visibility, odd input, live updates.

use std::time::Duration;

use crate::support::{TestApp, enc, ids};

fn q(app: &TestApp, text: &str) -> serde_json::Value {
    app.search(&format!("q={}", enc(text)))
}

#[test]
fn search_finds_words_compounds_codes_and_mixed_text() {
    let app = TestApp::start("basic");
    assert_eq!(ids(&q(&app, "管片错台"))[0], "tunnel-zhang/segment-repair");
    // A word inside a longer compound.
    assert!(
        ids(&q(&app, "工程")).contains(&"tunnel-zhang/segment-repair".to_string()),
        "工程 in 在建工程"
    );
    assert!(
        ids(&q(&app, "处理")).contains(&"bridge-li/hanging-basket".to_string()),
        "处理 in 待处理"
    );
    // Whole codes.
    assert_eq!(ids(&q(&app, "CN202110345678.9")), vec!["bridge-li/anchor-patent"]);
    assert_eq!(ids(&q(&app, "GJEJGF008-2010")), vec!["bridge-li/hanging-basket"]);
    assert_eq!(ids(&q(&app, "QB-SD-2023-07")), vec!["tunnel-zhang/segment-repair"]);
    assert_eq!(ids(&q(&app, "E21D 11/08")), vec!["bridge-li/anchor-patent"]);
    // Mixed Chinese and English, stemming, case.
    assert_eq!(ids(&q(&app, "shield tbm 注浆")), vec!["tunnel-zhang/grouting-qc"]);
    assert_eq!(ids(&q(&app, "lidar")), vec!["tunnel-zhang/grouting-qc"]);
    // Traditional folds to simplified, both ways.
    assert!(ids(&q(&app, "橋梁支座")).contains(&"bridge-li/anchor-patent".to_string()));
    // Dictionary word and a word jieba does not know.
    assert!(ids(&q(&app, "一次合格率")).contains(&"tunnel-zhang/segment-repair".to_string()));
    assert!(ids(&q(&app, "吊弦")).contains(&"power-chen/catenary-manual".to_string()));
    // Authors and studio names are searchable.
    assert!(ids(&q(&app, "李强")).contains(&"tunnel-zhang/segment-repair".to_string()));
}

#[test]
fn every_word_matters_and_operators_work() {
    let app = TestApp::start("basic");
    // Both words are required; when no record holds both, the records of
    // either are shown with a notice saying so.
    let apart = q(&app, "盾构 挂篮");
    assert!(apart["total"].as_u64().unwrap() > 0);
    let said = apart["notices"].as_array().unwrap();
    assert!(
        said.iter()
            .any(|n| n.as_str().unwrap().contains("没有记录同时包含全部 2 个词")),
        "{apart}"
    );
    let both = q(&app, "盾构 管片");
    assert!(both["notices"].as_array().unwrap().is_empty(), "{both}");
    let phrase = ids(&q(&app, "\"管片错台\""));
    assert!(phrase.contains(&"tunnel-zhang/segment-repair".to_string()));
    assert!(
        !phrase.contains(&"bridge-li/long-method".to_string()),
        "phrase needs the words together"
    );
    let excluded = ids(&q(&app, "盾构 -工法"));
    assert!(!excluded.contains(&"tunnel-zhang/segment-repair".to_string()));
    assert!(excluded.contains(&"tunnel-zhang/grouting-qc".to_string()));
    let either = ids(&q(&app, "挂篮 OR 吊弦"));
    assert_eq!(either.len(), 2, "{either:?}");
    assert_eq!(ids(&q(&app, "管片 kind:method")), vec!["tunnel-zhang/segment-repair"]);
    // Synonyms: 城轨 finds 城市轨道交通 and 地铁.
    assert!(ids(&q(&app, "城轨")).contains(&"power-chen/open-problem".to_string()));
}

#[test]
fn proximity_ranks_short_precise_records_first() {
    let app = TestApp::start("basic");
    // long-method holds 盾构 … 错台 far apart, many times its length.
    let result = q(&app, "盾构 错台");
    let hits = ids(&result);
    assert_eq!(hits[0], "tunnel-zhang/segment-repair", "{hits:?}");
    // Every hit carries its re-ranked score, best first, whether it was
    // loaded before re-ranking was done or after.
    let scores: Vec<f64> = result["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["score"].as_f64().unwrap())
        .collect();
    assert!(scores.iter().all(|&s| s > 0.0), "{scores:?}");
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert!(hits.contains(&"bridge-li/long-method".to_string()));
}

#[test]
fn filters_facets_sort_and_pages() {
    let app = TestApp::start("basic");
    let all = app.search("");
    assert_eq!(all["total"], 7, "public records only: {all}");
    assert_eq!(all["facets"]["kind"]["method"], 4);
    assert_eq!(all["facets"]["alliance"]["tunnel"], 5);
    assert_eq!(all["facets"]["year"]["2023"], 1);
    assert_eq!(all["facets"]["tag"]["桥梁"], 3);
    let methods = app.search("kind=method&kind=patent");
    assert_eq!(methods["total"], 5, "values of one field are alternatives");
    let both = app.search("kind=method&alliance=tunnel");
    assert_eq!(both["total"], 3, "fields are all required");
    let tags = app.search("tag=%E6%A1%A5%E6%A2%81&tag=%E6%94%AF%E5%BA%A7");
    assert_eq!(tags["total"], 3);
    let newest = ids(&app.search("sort=newest"));
    assert_eq!(newest[0], "power-chen/open-problem");
    let benefit = ids(&app.search("sort=benefit"));
    assert_eq!(benefit[0], "bridge-li/hanging-basket");
    let page2 = app.search("sort=newest&per_page=3&page=2");
    assert_eq!(ids(&page2), newest[3..6].to_vec());
    assert_eq!(page2["page"], 2);
    let far = app.search("page=99");
    assert_eq!(far["hits"].as_array().unwrap().len(), 0);
    assert_eq!(far["total"], 7);
}

#[test]
fn snippets_mark_whole_words_from_the_best_passage() {
    let app = TestApp::start("basic");
    let result = q(&app, "在建工程");
    let hit = result["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == "tunnel-zhang/segment-repair")
        .unwrap();
    let snippet = hit["snippet"].as_str().unwrap();
    assert!(snippet.contains("<mark>在建工程</mark>"), "{snippet}");
    let result = q(&app, "错台");
    let long = result["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == "bridge-li/long-method")
        .unwrap();
    let snippet = long["snippet"].as_str().unwrap();
    assert!(
        snippet.contains("<mark>错台</mark>") && snippet.starts_with('…'),
        "best passage, not the start: {snippet}"
    );
}

#[test]
fn summaries_are_searched_and_shown_when_the_body_lacks_the_words() {
    let app = TestApp::start("basic");
    // 碳滑板 is only in open-problem's summary.
    let result = q(&app, "碳滑板");
    assert_eq!(ids(&result), vec!["power-chen/open-problem"]);
    let snippet = result["hits"][0]["snippet"].as_str().unwrap();
    assert_eq!(snippet, "导线偏磨，受电弓<mark>碳滑板</mark>也磨得快。");
    // Words of the body are shown from the body.
    let result = q(&app, "导线 求助");
    assert_eq!(ids(&result), vec!["power-chen/open-problem"]);
    let snippet = result["hits"][0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("<mark>求助</mark>"), "{snippet}");
}

#[test]
fn anonymous_sees_only_public_everywhere() {
    let app = TestApp::start("basic");
    for secret in ["机密词甲", "机密词乙", "机密词丙"] {
        let r = q(&app, secret);
        assert_eq!(r["total"], 0, "{secret}: {r}");
        let all = app.search("");
        assert!(
            !all["facets"]["tag"].as_object().unwrap().contains_key(secret),
            "facet leaks {secret}"
        );
        let suggest = app.get(&format!("/api/suggest?q={}", enc("内部"))).json();
        assert_eq!(suggest["suggestions"].as_array().unwrap().len(), 0, "{suggest}");
    }
    let visibility = &app.search("")["facets"]["visibility"];
    assert_eq!(visibility.as_object().unwrap().len(), 1, "{visibility}");
    for id in [
        "tunnel-zhang/members-only",
        "tunnel-zhang/studio-only",
        "tunnel-zhang/default-visibility",
    ] {
        assert_eq!(app.get(&format!("/records/{id}")).status, 404);
        assert_eq!(app.get(&format!("/api/records/{id}")).status, 404);
        assert_eq!(app.get(&format!("/api/similar?id={id}")).status, 404);
    }
    let similar = app.get("/api/similar?id=tunnel-zhang/segment-repair").json();
    for hit in similar["hits"].as_array().unwrap() {
        assert_eq!(hit["visibility"], "public");
    }
    let exhibit = app.get("/exhibits/show");
    assert!(
        !exhibit.body.contains("联盟内部盾构掘进参数库"),
        "exhibit leaks a members record"
    );
    assert!(exhibit.body.contains("一种桥梁支座锚栓定位装置"));
    let studio = app.get("/studios/tunnel-zhang");
    assert!(!studio.body.contains("工作室内部管片配方"));
}

#[test]
fn odd_queries_get_results_or_a_message() {
    let app = TestApp::start("basic");
    let long = "隧道".repeat(250);
    for odd in [
        "\"", "((", "AND", "OR", "NOT", "*", "-", "盾构*", "\"盾构", "😀", "a:b", ":", "%", "<script>", &long, "kind:",
        "-\"\"", "||",
    ] {
        let r = app.get(&format!("/api/search?q={}", enc(odd)));
        assert_eq!(r.status, 200, "{odd}: {}", r.body);
        let page = app.get(&format!("/search?q={}", enc(odd)));
        assert_eq!(page.status, 200, "{odd}");
        assert!(!page.body.contains("<script>"), "{odd} is escaped");
    }
    let notices = q(&app, "\"盾构")["notices"].clone();
    assert!(
        notices
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("引号")),
        "{notices}"
    );
    assert!(q(&app, &long)["notices"][0].as_str().unwrap().contains("200"));
    for bad in [
        "page=-1",
        "page=abc",
        "per_page=0",
        "per_page=100000",
        "sort=sideways",
        "kind=",
        "year=abcd",
    ] {
        assert_eq!(app.get(&format!("/api/search?{bad}")).status, 200, "{bad}");
    }
}

#[test]
fn edits_to_files_are_searchable_within_a_second() {
    let app = TestApp::start("basic");
    let path = app.content().join("tunnel-zhang/new-record.md");
    let text = "---\ntitle: 新增的隧道防水记录\nkind: achievement\ncategory: tech\nstudio: tunnel-zhang\ndate: 2025-05-05\nvisibility: public\n---\n\n防水卷材新词汇甲。\n";
    std::fs::write(&path, text).unwrap();
    let started = std::time::Instant::now();
    assert!(
        app.wait_for(Duration::from_secs(5), |a| q(a, "新词汇甲")["total"] == 1),
        "new file not indexed"
    );
    let took = started.elapsed();
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    std::fs::write(&path, text.replace("新词汇甲", "新词汇乙")).unwrap();
    // As a phrase: 新词汇甲 as words would find 新词汇乙 by most of them.
    assert!(app.wait_for(Duration::from_secs(5), |a| q(a, "新词汇乙")["total"] == 1
        && q(a, "\"新词汇甲\"")["total"] == 0));
    std::fs::remove_file(&path).unwrap();
    assert!(app.wait_for(Duration::from_secs(5), |a| q(a, "\"新词汇乙\"")["total"] == 0));
    // A studio profile change re-indexes that studio's records.
    let studio = app.content().join("studios/bridge-li.md");
    let profile = std::fs::read_to_string(&studio)
        .unwrap()
        .replace("alliances: [tunnel]", "alliances: [four-electric]");
    std::fs::write(&studio, profile).unwrap();
    assert!(
        app.wait_for(Duration::from_secs(5), |a| a.search("alliance=four-electric")["total"]
            == 5)
    );
}

#[test]
fn bad_files_are_skipped_not_fatal() {
    let app = TestApp::start("basic");
    assert_eq!(q(&app, "坏文件专用词")["total"], 0);
    assert_eq!(app.get("/healthz").status, 200);
}

#[test]
fn long_dictionary_words_stay_exact_through_dictionary_edits() {
    let app = TestApp::start("basic");
    let dictionary = app.content().join("dictionary.txt");
    let original = std::fs::read_to_string(&dictionary).unwrap();
    let record = "---\ntitle: 张拉记录\nkind: achievement\ncategory: tech\nstudio: bridge-li\ndate: 2025-05-05\nvisibility: public\n---\n\n预应力张拉合格率达到百分之百；张拉，合格率另计。\n";
    std::fs::write(app.content().join("bridge-li/tension.md"), record).unwrap();
    let found = |a: &TestApp| {
        let r = q(a, "预应力张拉合格率");
        r["total"] == 1 && ids(&r) == ["bridge-li/tension"]
    };
    assert!(app.wait_for(Duration::from_secs(5), found), "found by its triples");
    // Each edit is followed by a marker record: once the marker is found,
    // the sync that saw the dictionary has committed.
    for (step, words) in [
        (1, format!("{original}\n预应力张拉合格率 1000 n\n")),
        (2, original.clone()),
    ] {
        std::fs::write(&dictionary, words).unwrap();
        let marker = format!("标记词汇第{step}号");
        std::fs::write(
            app.content().join("bridge-li/marker.md"),
            record.replace("张拉记录", &marker).replace("预应力张拉合格率", "无关"),
        )
        .unwrap();
        assert!(
            app.wait_for(Duration::from_secs(10), |a| q(a, &marker)["total"] == 1),
            "step {step}: marker not indexed"
        );
        assert!(
            found(&app),
            "step {step}: the record is found whether the word is held whole or not"
        );
        // Across punctuation it is not the word.
        assert_eq!(q(&app, "\"张拉合格率\"")["total"], 1, "step {step}");
    }
}

#[test]
fn a_synonym_matches_as_the_term_it_names() {
    let app = TestApp::start("basic");
    let record = |title: &str, body: &str| {
        format!(
            "---\ntitle: {title}\nkind: achievement\ncategory: tech\nstudio: power-chen\ndate: 2025-05-05\nvisibility: public\n---\n\n{body}\n"
        )
    };
    let dir = app.content().join("power-chen");
    std::fs::write(dir.join("whole.md"), record("供电改造", "城市轨道交通供电标记甲。")).unwrap();
    std::fs::write(
        dir.join("scattered.md"),
        record("道路改造", "城市道路旁的轨道交通站标记乙。"),
    )
    .unwrap();
    assert!(app.wait_for(Duration::from_secs(5), |a| q(a, "标记甲")["total"] == 1
        && q(a, "标记乙")["total"] == 1));
    // 城轨,城市轨道交通,地铁: 地铁 finds 城市轨道交通 written out, not the
    // words jieba cuts it into (城市, 轨道交通) apart in a record.
    let hits = ids(&q(&app, "地铁"));
    for id in [
        "power-chen/whole",
        "power-chen/open-problem",
        "tunnel-zhang/segment-repair",
    ] {
        assert!(hits.contains(&id.to_string()), "{id} in {hits:?}");
    }
    assert!(!hits.contains(&"power-chen/scattered".to_string()), "{hits:?}");
}
