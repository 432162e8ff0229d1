//! Search quality over the demo content (`content/`): Chinese words the
//! segmenter does not know match only where their characters stand
//! together, a search that finds nothing is relaxed and says so, English
//! finds Chinese records through the glossary, and pinyin suggests titles.

use std::path::Path;

use serde_json::Value;

use crate::publish::{get_as, post_as};
use crate::support::{TestApp, copy_dir, enc, ids};

/// A copy of the demo content, to add accounts to before serving it.
fn demo_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    copy_dir(&demo, &dir.path().join("content"));
    dir
}

/// The server over a copy of the demo content.
fn demo() -> TestApp {
    TestApp::serve(demo_dir())
}

/// The text of a demo record's file.
fn record_text(id: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    std::fs::read_to_string(root.join(format!("{id}.md")))
        .or_else(|_| std::fs::read_to_string(root.join(id).join("index.md")))
        .unwrap_or_else(|e| panic!("{id}: {e}"))
}

fn search(app: &TestApp, q: &str) -> Value {
    app.search(&format!("q={}&per_page=100", enc(q)))
}

fn notices(result: &Value) -> Vec<String> {
    result["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect()
}

fn relaxed(result: &Value) -> bool {
    notices(result).iter().any(|n| n.contains("不相邻"))
}

#[test]
fn unknown_words_match_only_where_their_characters_stand_together() {
    let app = demo();
    // Each query, the words a record must hold side by side (or a member
    // of its glossary group: `bridge` is in studio ids), and one record
    // that must be found.
    let cases: [(&str, &[&str], &str); 6] = [
        ("顶推", &["顶推"], "bridge-li/walking-hanging-basket"),
        ("桥梁顶推", &["桥梁|bridge", "顶推"], "bridge-li/walking-hanging-basket"),
        ("吊弦", &["吊弦"], "power-chen/hanger-preassembly-method"),
        ("错台", &["错台"], "tunnel-zhang/segment-repair"),
        (
            "接触网 吊弦",
            &["接触网", "吊弦"],
            "power-chen/hanger-preassembly-method",
        ),
        ("液压顶推", &["液压", "顶推"], "bridge-li/walking-hanging-basket"),
    ];
    for (q, words, expected) in cases {
        let result = search(&app, q);
        let found = ids(&result);
        assert!(found.contains(&expected.to_string()), "{q}: {found:?}");
        assert_eq!(result["total"].as_u64().unwrap() as usize, found.len(), "{q}");
        assert!(!relaxed(&result), "{q}: {:?}", notices(&result));
        for id in &found {
            let text = record_text(id);
            for w in words {
                assert!(w.split('|').any(|w| text.contains(w)), "{q}: {id} does not hold {w}");
            }
        }
    }
    // Characters apart (拱顶 … 推广) are no longer a match: only the
    // records holding 顶推 (checked above, one by one), far fewer than 顶's.
    let pair = search(&app, "顶推")["total"].as_u64().unwrap();
    assert!(pair * 3 <= search(&app, "顶")["total"].as_u64().unwrap(), "{pair}");
    // Reversed, the characters stand together nowhere: nothing strict, so
    // the relaxed search answers and says so.
    let reversed = search(&app, "推顶");
    assert!(!ids(&reversed).is_empty());
    assert!(relaxed(&reversed), "{:?}", notices(&reversed));
    // A single character typed alone still matches alone.
    assert!(search(&app, "顶")["total"].as_u64().unwrap() > 2);
}

#[test]
fn a_search_that_finds_nothing_is_relaxed_within_each_word_and_says_so() {
    let app = demo();
    for (q, expected) in [
        // Characters side by side nowhere: apart, every word still required.
        ("推顶", "bridge-li/walking-hanging-basket"),
        ("推顶 挂篮", "bridge-li/walking-hanging-basket"),
        // A code typed without its dash: its letters and digits.
        ("ZPW2000A", "signal-huang/track-circuit-method"),
        ("zpw2000a 调整", "signal-huang/track-circuit-method"),
    ] {
        let result = search(&app, q);
        let found = ids(&result);
        assert!(found.contains(&expected.to_string()), "{q}: {found:?}");
        assert!(relaxed(&result), "{q}: {:?}", notices(&result));
    }
    // Found as typed: no notice.
    assert!(!relaxed(&search(&app, "管片 错台")));
    assert!(!relaxed(&search(&app, "ZPW-2000A")));
    // Words no record holds find nothing, and nothing is relaxed.
    for q in ["量子纠缠", "量子纠缠 超导"] {
        let none = search(&app, q);
        assert_eq!(none["total"], 0, "{q}");
        assert!(!relaxed(&none), "{q}");
        assert!(!most_words(&none), "{q}");
    }
    // Two known words no record holds together: the records of either,
    // said so (see `questions_and_typos_find_the_records_of_their_other_words`).
    let apart = search(&app, "盾构 挂篮");
    assert!(apart["total"].as_u64().unwrap() > 0);
    assert!(most_words(&apart), "{:?}", notices(&apart));
}

fn most_words(result: &Value) -> bool {
    notices(result).iter().any(|n| n.contains("没有记录同时包含全部"))
}

/// The words the "most words" notice says the first hit lacks.
fn left_out(result: &Value) -> String {
    notices(result)
        .into_iter()
        .find_map(|n| n.split_once("未包含：").map(|(_, w)| w.to_string()))
        .unwrap_or_default()
}

#[test]
fn questions_and_typos_find_the_records_of_their_other_words() {
    let app = demo();
    // Question forms: the question words are left out, every other word
    // is still required, and no notice is needed.
    for (q, expected) in [
        ("管片错台怎么修", "tunnel-zhang/segment-repair"),
        ("管片错台如何修复", "tunnel-zhang/segment-repair"),
        ("请问管片错台怎么办", "tunnel-zhang/segment-repair"),
        ("错台 怎么 修", "tunnel-zhang/segment-repair"),
        ("吊弦怎么预配", "power-chen/hanger-preassembly-method"),
        ("如何 常压换刀", "tunnel-he/cutter-change-tool"),
        ("为什么 雷击 信号设备", "signal-huang/lightning-problem"),
        ("雷击是 信号设备 的吗", "signal-huang/lightning-problem"),
        (
            "what is the cutter wear of a shield TBM",
            "tunnel-he/cutter-wear-prediction",
        ),
    ] {
        let result = search(&app, q);
        let found = ids(&result);
        assert_eq!(found.first().map(String::as_str), Some(expected), "{q}: {found:?}");
        assert!(!most_words(&result) && !relaxed(&result), "{q}: {:?}", notices(&result));
    }
    // A word no record holds (a term written otherwise, a typo): the
    // records of the other words, first the one asked for, and the notice
    // names the word left out.
    for (q, expected, missing) in [
        (
            "深基坑 自动化监测",
            "rail-wang/deep-pit-monitoring-method",
            "自动化监测",
        ),
        (
            "深基坑怎么自动化监测",
            "rail-wang/deep-pit-monitoring-method",
            "自动化监测",
        ),
        ("同步注浆 配笔", "tunnel-zhang/grouting-mix-method", "配笔"),
        (
            "钢轨波磨 量子",
            "rail-liu/rail-grinding-patent|rail-liu/rail-corrugation-problem|rail-liu/corrugation-trolley-design",
            "量子",
        ),
        ("cutter wear predicton", "tunnel-he/cutter-wear-prediction", "predicton"),
        (
            "how to predict the cutter wear",
            "tunnel-he/cutter-wear-prediction",
            "predict",
        ),
    ] {
        let result = search(&app, q);
        let found = ids(&result);
        let first = found.first().map(String::as_str).unwrap_or("");
        assert!(expected.split('|').any(|e| e == first), "{q}: {found:?}");
        assert!(most_words(&result), "{q}: {:?}", notices(&result));
        assert!(left_out(&result).contains(missing), "{q}: {:?}", notices(&result));
        assert_eq!(result["total"].as_u64().unwrap() as usize, found.len(), "{q}");
    }
    // Records holding more of the words come first.
    let result = search(&app, "深基坑 监测 量子");
    let found = ids(&result);
    assert!(most_words(&result), "{:?}", notices(&result));
    let holds = |id: &str, w: &str| record_text(id).contains(w);
    let both = found
        .iter()
        .take_while(|id| holds(id, "深基坑") && holds(id, "监测"))
        .count();
    assert!(both >= 1, "{found:?}");
    assert!(
        found[both..]
            .iter()
            .all(|id| !(holds(id, "深基坑") && holds(id, "监测"))),
        "{found:?}"
    );
    // Nonsense still finds nothing, asked as a question too.
    for q in ["量子纠缠", "量子纠缠是什么", "what is quantum entanglement"] {
        let none = search(&app, q);
        assert_eq!(none["total"], 0, "{q}: {:?}", ids(&none));
    }
    // A query of question words only still searches them: not every record.
    let all = search(&app, "")["total"].as_u64().unwrap();
    for q in ["怎么", "的", "what"] {
        let only = search(&app, q);
        assert!(only["total"].as_u64().unwrap() < all, "{q}");
        assert!(notices(&only).is_empty(), "{q}: {:?}", notices(&only));
    }
    // The page shows the notice, and snippets do not mark 怎么.
    let page = app.get(&format!("/search?q={}", enc("深基坑 自动化监测")));
    assert!(page.body.contains("自动化监测"));
    assert!(page.body.contains("没有记录同时包含全部"), "{}", page.body);
    let page = app.get(&format!("/search?q={}", enc("管片错台怎么修")));
    assert!(!page.body.contains("<mark>怎么</mark>"));
}

#[test]
fn statistics_count_what_the_search_finds_relaxed_or_not() {
    let app = demo();
    for q in [
        "推顶",
        "推顶 挂篮",
        "顶推",
        "ZPW2000A",
        "量子纠缠",
        "管片错台怎么修",
        "深基坑 自动化监测",
        "盾构 挂篮",
        "同步注浆 配笔",
        "深基坑 监测 量子",
        "怎么",
        "\"管片\" 量子 错台",
    ] {
        let found = search(&app, q)["total"].clone();
        let counted = app.get(&format!("/api/stats?by=kind&q={}", enc(q))).json();
        assert_eq!(counted["total"], found, "{q}: {counted}");
    }
}

#[test]
fn english_finds_chinese_records_through_the_glossary() {
    let app = demo();
    for (q, expected) in [
        ("catenary", "power-chen/hanger-preassembly-method"),
        ("welding", "bridge-sun/u-rib-welding"),
        ("shield tunnel", "tunnel-zhang/segment-repair"),
        ("grouting", "tunnel-zhang/grouting-mix-method"),
        ("bridge bearing", "bridge-li/bearing-jacking-method"),
        ("Catenary", "power-chen/rigid-catenary-method"),
    ] {
        let found = ids(&search(&app, q));
        assert!(found.contains(&expected.to_string()), "{q}: {found:?}");
    }
}

#[test]
fn pinyin_suggests_titles_of_the_words_it_spells() {
    let app = demo();
    for (typed, chinese) in [
        ("dungou", "盾构"),
        ("jiechuwang", "接触网"),
        ("guanpian", "管片"),
        ("DunGou", "盾构"),
    ] {
        let r = app.get(&format!("/api/suggest?q={}", enc(typed)));
        assert_eq!(r.status, 200);
        let titles: Vec<String> = r.json()["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["title"].as_str().unwrap().to_string())
            .collect();
        assert!(!titles.is_empty(), "{typed}");
        assert!(titles.iter().all(|t| t.contains(chinese)), "{typed}: {titles:?}");
    }
    // Letters that spell nothing suggest nothing.
    let r = app.get("/api/suggest?q=zzqx");
    assert_eq!(r.json()["suggestions"].as_array().unwrap().len(), 0);
}

#[test]
fn nothing_found_offers_each_word_alone_and_asking_as_a_problem() {
    let dir = demo_dir();
    TestApp::add_user(dir.path(), "pub-tunnel", "publisher", Some("tunnel-zhang"));
    TestApp::add_user(dir.path(), "member1", "member", None);
    let publisher = TestApp::token(dir.path(), "pub-tunnel");
    let member = TestApp::token(dir.path(), "member1");
    let app = TestApp::serve(dir);
    // A filter no record of these words passes: each word alone, without
    // the filter, with its count and a link.
    let path = format!("/search?q={}&kind=patent&year=2011", enc("管片 吊弦"));
    let page = get_as(&app, Some(&publisher), &path);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("没有找到"), "{}", page.body);
    assert!(!page.body.contains("条结果"), "no count beside nothing found");
    let alone_管片 = ids(&app.search(&format!("q={}", enc("管片")))).len();
    assert!(alone_管片 > 0);
    assert!(
        page.body.contains(&format!("/search?q={}", enc("管片"))),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!("/search?q={}", enc("吊弦"))));
    assert!(page.body.contains("各词单独搜索"));
    // Publishers are offered to ask it as a problem, with the query as title.
    let ask = format!("/publish?kind=problem&#38;title={}", enc("管片 吊弦"));
    assert!(page.body.contains(&ask), "{}", page.body);
    let form = get_as(
        &app,
        Some(&publisher),
        &format!("/publish?kind=problem&title={}", enc("管片 吊弦")),
    );
    assert_eq!(form.status, 200);
    assert!(form.body.contains("value=\"管片 吊弦\""), "{}", form.body);
    // Members and visitors are not.
    assert!(!get_as(&app, Some(&member), &path).body.contains("发布为难题"));
    assert!(!app.get(&path).body.contains("发布为难题"));
    // A question typed as one run: each of its words alone, but not its
    // question words.
    let question = app.get(&format!("/search?q={}", enc("量子纠缠怎么超导")));
    assert!(question.body.contains("各词单独搜索"), "{}", question.body);
    for word in ["量子", "纠缠", "超导"] {
        assert!(
            question.body.contains(&format!("/search?q={}", enc(word))),
            "{word}: {}",
            question.body
        );
    }
    assert!(!question.body.contains(&format!("/search?q={}\"", enc("怎么"))));
    // Words nothing holds: counts of 0, still no "0 条结果".
    let none = app.get(&format!("/search?q={}", enc("量子纠缠 超导")));
    assert!(none.body.contains("没有找到"));
    assert!(!none.body.contains("条结果"));
    assert!(none.body.contains("（0 条）"), "{}", none.body);
    // Something found: no such help.
    let found = app.get(&format!("/search?q={}", enc("管片")));
    assert!(found.body.contains("条结果"));
    assert!(!found.body.contains("各词单独搜索"));
}

#[test]
fn values_of_a_chosen_facet_stay_selectable_and_years_read_in_order() {
    let app = demo();
    let all = app.search("q=");
    let kinds = all["facets"]["kind"].as_object().unwrap().len();
    assert!(kinds >= 3);
    // One kind chosen: the others are still offered, with what each adds.
    let one = app.search("kind=patent");
    assert_eq!(
        one["facets"]["kind"].as_object().unwrap().len(),
        kinds,
        "{}",
        one["facets"]["kind"]
    );
    assert_eq!(one["facets"]["kind"]["method"], all["facets"]["kind"]["method"]);
    // Two chosen: their union, and still every kind offered.
    let two = app.search("kind=patent&kind=method");
    let sum = all["facets"]["kind"]["patent"].as_u64().unwrap() + all["facets"]["kind"]["method"].as_u64().unwrap();
    assert_eq!(two["total"].as_u64().unwrap(), sum);
    assert_eq!(two["facets"]["kind"].as_object().unwrap().len(), kinds);
    // Other facets count within the chosen kinds.
    for (alliance, n) in two["facets"]["alliance"].as_object().unwrap() {
        assert!(n.as_u64().unwrap() <= sum, "{alliance}");
        assert!(n.as_u64().unwrap() <= all["facets"]["alliance"][alliance].as_u64().unwrap());
    }
    assert!(
        two["facets"]["alliance"]["bridge"].as_u64().unwrap() < all["facets"]["alliance"]["bridge"].as_u64().unwrap()
    );
    // With words too.
    let worded = app.search(&format!("q={}&kind=patent", enc("盾构")));
    assert!(
        worded["facets"]["kind"].as_object().unwrap().len() >= 2,
        "{}",
        worded["facets"]["kind"]
    );
    // Years newest first in the sidebar.
    let page = app.get("/search?q=");
    let mut years: Vec<u32> = Vec::new();
    for y in 2005..2030u32 {
        if let Some(at) = page.body.find(&format!("year={y}")) {
            years.push(at as u32);
        }
    }
    assert!(years.len() >= 3, "{years:?}");
    assert!(years.windows(2).all(|w| w[0] > w[1]), "newest first: {years:?}");
    // A chosen value links to its removal, another to adding it.
    let chosen = app.get("/search?kind=patent");
    assert!(
        chosen.body.contains("kind=patent&#38;kind=method") || chosen.body.contains("kind=method&#38;kind=patent"),
        "another kind can be added to the chosen one"
    );
}

#[test]
fn the_novelty_check_is_sorted_by_similarity_topic_first() {
    let dir = demo_dir();
    TestApp::add_user(dir.path(), "pub-tunnel", "publisher", Some("tunnel-zhang"));
    let token = TestApp::token(dir.path(), "pub-tunnel");
    let app = TestApp::serve(dir);
    for (title, body, topic) in [
        (
            "盾构管片错台修复",
            "管片拼装后出现错台，采用快速修复方法处理。",
            "tunnel-zhang/",
        ),
        (
            "接触网吊弦预配",
            "整体吊弦在工厂预配，现场安装，提高效率。",
            "power-chen/",
        ),
        ("钢箱梁U肋焊接", "U肋双面埋弧焊接，熔透率提高。", "bridge-sun/"),
    ] {
        let r = post_as(
            &app,
            &token,
            "/api/novelty",
            &serde_json::json!({"title": title, "body": body}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let hits = r.json()["hits"].as_array().unwrap().clone();
        assert!(!hits.is_empty(), "{title}");
        let sims: Vec<u64> = hits.iter().map(|h| h["similarity"].as_u64().unwrap()).collect();
        assert!(sims.windows(2).all(|w| w[0] >= w[1]), "{title}: {sims:?}");
        assert!(sims.iter().all(|s| *s <= 100));
        let first = hits[0]["url"].as_str().unwrap();
        assert!(first.contains(topic), "{title}: {first}");
    }
}
