//! Ranking: the record whose paragraph holds every query word comes before
//! one that has a query word in its title and the others scattered, and
//! before one holding the same words split across paragraphs; unknown
//! Chinese runs still match only where their characters stand together.
//! Over a copy of the `basic` fixture with records of its own added.

use std::path::Path;

use crate::support::{TestApp, enc, fixture_copy, ids};

/// A record of studio `bridge-li` at `bridge-li/rank/<name>.md`.
fn record(content: &Path, name: &str, title: &str, body: &str) {
    let dir = content.join("bridge-li/rank");
    std::fs::create_dir_all(&dir).unwrap();
    let text = format!(
        "---\ntitle: {title}\nkind: method\nstudio: bridge-li\ndate: 2022-03-01\nvisibility: public\n---\n\n{body}\n"
    );
    std::fs::write(dir.join(format!("{name}.md")), text).unwrap();
}

/// Paragraphs of filler prose, none holding a query word of these tests.
fn filler(n: usize) -> String {
    (0..n)
        .map(|i| format!("第{i}段记录现场组织、人员分工与交接班情况，按计划逐项落实并留存影像资料。"))
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn app() -> TestApp {
    let dir = fixture_copy("basic");
    let content = dir.path().join("content");
    // The word in the title, repeated, and the other words far apart.
    record(
        &content,
        "title-word",
        "墩身养护工艺总结",
        &format!(
            "墩身养护按规范执行，养护期间专人值守。\n\n液压设备由厂家调试。\n\n{}\n\n喷淋管路另行设计。\n\n{}",
            filler(6),
            filler(3)
        ),
    );
    // Every word in one paragraph, none in the title.
    record(
        &content,
        "one-paragraph",
        "高墩施工经验",
        &format!(
            "{}\n\n高墩施工采用液压爬模，墩身拆模后立即以自动喷淋养护，外观质量明显改善。\n\n{}",
            filler(4),
            filler(4)
        ),
    );
    // The same words close together, but across two paragraphs, in a
    // record of the same length as the next.
    record(
        &content,
        "split-a",
        "盖梁施工记录甲",
        &format!(
            "{}\n\n盖梁模板采用钢桁架支撑。\n\n预应力张拉完成后及时压浆。\n\n{}",
            filler(3),
            filler(3)
        ),
    );
    // The same words in one paragraph.
    record(
        &content,
        "split-b",
        "盖梁施工记录乙",
        &format!(
            "{}\n\n盖梁模板采用钢桁架支撑，预应力张拉完成后及时压浆。\n\n{}",
            filler(3),
            filler(3)
        ),
    );
    // An unknown run side by side, and its characters apart or reversed.
    record(&content, "run-together", "步履式顶推记录", "钢箱梁采用步履式顶推就位。");
    record(&content, "run-apart", "拱顶施工记录", "拱顶混凝土浇筑后推进下一节段。");
    record(&content, "run-reversed", "推顶试验记录", "试验采用推顶方式，结果合格。");
    TestApp::serve(dir)
}

fn search(app: &TestApp, q: &str) -> Vec<String> {
    ids(&app.search(&format!("q={}&per_page=20", enc(q))))
}

fn before(found: &[String], first: &str, second: &str) -> bool {
    let at = |id: &str| found.iter().position(|f| f == id);
    matches!((at(first), at(second)), (Some(a), Some(b)) if a < b)
}

#[test]
fn a_paragraph_holding_every_word_outranks_a_title_word_and_split_paragraphs() {
    let app = app();
    let one = "bridge-li/rank/one-paragraph";
    let titled = "bridge-li/rank/title-word";
    // Two or three words, in either order, typed apart or run together:
    // the title word (养护) is in both records.
    for q in [
        "液压 喷淋 养护",
        "养护 喷淋 液压",
        "液压 养护",
        "喷淋 养护",
        "液压喷淋养护",
    ] {
        let found = search(&app, q);
        assert!(before(&found, one, titled), "{q}: {found:?}");
        assert_eq!(found.first().map(String::as_str), Some(one), "{q}: {found:?}");
    }
    // The same words, as close, in one paragraph rather than two; both
    // orders of the words, two or three of them.
    let (split, whole) = ("bridge-li/rank/split-a", "bridge-li/rank/split-b");
    for q in ["钢桁架 压浆", "压浆 钢桁架", "桁架 预应力 压浆", "模板 张拉"] {
        let found = search(&app, q);
        assert!(before(&found, whole, split), "{q}: {found:?}");
    }
}

#[test]
fn unknown_runs_match_only_side_by_side_and_in_order() {
    let app = app();
    let found = search(&app, "顶推");
    assert!(found.contains(&"bridge-li/rank/run-together".to_string()), "{found:?}");
    for other in ["bridge-li/rank/run-apart", "bridge-li/rank/run-reversed"] {
        assert!(!found.contains(&other.to_string()), "顶推 found {other}: {found:?}");
    }
    // Reversed, the run is another word: only the record holding it.
    let found = search(&app, "推顶");
    assert!(found.contains(&"bridge-li/rank/run-reversed".to_string()), "{found:?}");
    assert!(!found.contains(&"bridge-li/rank/run-together".to_string()), "{found:?}");
    // Within a longer query, the run stays one word: only records holding
    // 钢箱梁 and 顶推 side by side (the fixture's long-method does too).
    let found = search(&app, "钢箱梁 顶推");
    assert!(found.contains(&"bridge-li/rank/run-together".to_string()), "{found:?}");
    assert!(
        found
            .iter()
            .all(|id| !id.starts_with("bridge-li/rank/run-") || id == "bridge-li/rank/run-together"),
        "{found:?}"
    );
}
