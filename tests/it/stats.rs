//! Statistics, the annual report and their files over `tests/fixtures/stats`,
//! a fixture whose figures are counted by hand here:
//!
//! | record | studio (alliances) | kind | date | visibility | benefit | dated figures |
//! |---|---|---|---|---|---|---|
//! | a1 | s-bridge (bridge) | achievement tech | 2024 | public | 100.5 | award provincial 2024, enterprise 2023; used 甲 2024, 乙 2024 |
//! | p1 | s-bridge | patent invention | 2023 | public | 20.25 | granted 2024-06-01 |
//! | m1 | s-bridge | method provincial | 2024 | members | 50 | awards national 2024, provincial 2024 |
//! | a2 | s-both (bridge, tunnel) | achievement qc | 2024 | public | 0.1 | used 甲 2024, 丙 2023 |
//! | p2 | s-both | patent utility | 2024 | public | 0.2 | granted 2024-09-09 |
//! | q1 | s-both | problem solved | 2023 | public | — | solved 2024-04-04 |
//! | a3 | s-tunnel (tunnel) | achievement management | 2023 | studio | 1000 | award provincial 2023; used 丁 2023 |
//! | m2 | s-tunnel | method enterprise | 2024 | public | 30.3333 | |
//! | q2 | s-tunnel | problem open | 2024 | members | — | |
//! | p3 | s-tunnel | patent invention | 2022 | members | — | granted 2023-03-03 |
//!
//! Studios: s-bridge 5 stars (research), s-both 4 (five-small), s-tunnel 3
//! (management).

use std::io::Cursor;
use std::time::Duration;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use serde_json::Value;

use crate::chrome::{Browser, chromium};
use crate::publish::get_as;
use crate::support::{TestApp, enc};

struct Tokens {
    member: String,
    staff: String,
    tunnel: String,
}

fn app() -> (TestApp, Tokens) {
    let dir = crate::support::fixture_copy("stats");
    TestApp::add_user(dir.path(), "member1", "member", None);
    TestApp::add_user(dir.path(), "staff1", "staff", None);
    TestApp::add_user(dir.path(), "pub-tunnel", "publisher", Some("s-tunnel"));
    let tokens = Tokens {
        member: TestApp::token(dir.path(), "member1"),
        staff: TestApp::token(dir.path(), "staff1"),
        tunnel: TestApp::token(dir.path(), "pub-tunnel"),
    };
    (TestApp::serve(dir), tokens)
}

fn stats(app: &TestApp, token: Option<&str>, query: &str) -> Value {
    let r = get_as(app, token, &format!("/api/stats?{query}"));
    assert_eq!(r.status, 200, "{query}: {}", r.body);
    r.json()
}

/// The group with these key values (dimension name → value).
fn group<'a>(v: &'a Value, key: &[(&str, &str)]) -> &'a Value {
    v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| key.iter().all(|(k, val)| g["key"][*k] == *val))
        .unwrap_or_else(|| panic!("no group {key:?} in {v}"))
}

fn has_group(v: &Value, key: &[(&str, &str)]) -> bool {
    v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| key.iter().all(|(k, val)| g["key"][*k] == *val))
}

/// A file's bytes (the support client reads bodies as text).
fn bytes(app: &TestApp, token: Option<&str>, path: &str) -> (u16, String, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut request = agent.get(format!("{}{path}", app.base));
    if let Some(t) = token {
        request = request.header("authorization", format!("Bearer {t}"));
    }
    let mut response = request.call().unwrap();
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = response
        .body_mut()
        .with_config()
        .limit(50_000_000)
        .read_to_vec()
        .unwrap();
    (status, kind, body)
}

#[test]
fn figures_by_alliance_and_kind_equal_the_hand_count() {
    let (app, t) = app();
    let v = stats(&app, Some(&t.staff), "by=alliance&by=kind&from=2024&to=2024");
    // Records dated 2024: a1 m1 a2 p2 m2 q2, each once in the total.
    assert_eq!(v["total"], 6);
    assert_eq!(v["benefit"].to_string(), "181.1333");
    assert_eq!(v["benefit_text"], "181.1333");
    let bridge_ach = group(&v, &[("alliance", "bridge"), ("kind", "achievement")]);
    assert_eq!(bridge_ach["count"], 2);
    assert_eq!(bridge_ach["benefit"].to_string(), "100.6");
    assert_eq!(bridge_ach["awards"]["provincial"], 1);
    assert_eq!(bridge_ach["awards"]["enterprise"], 0, "the 2023 award is not 2024's");
    assert_eq!(bridge_ach["adoptions"], 3);
    assert_eq!(bridge_ach["projects"], 2);
    assert_eq!(bridge_ach["label"]["alliance"], "桥梁工程创新工作室联盟");
    assert_eq!(bridge_ach["label"]["kind"], "创新成果");
    // p1 (dated 2023) is counted by its 2024 grant, not as a 2024 record.
    let bridge_pat = group(&v, &[("alliance", "bridge"), ("kind", "patent")]);
    assert_eq!(bridge_pat["count"], 1);
    assert_eq!(bridge_pat["granted"]["invention"], 1);
    assert_eq!(bridge_pat["granted"]["utility"], 1);
    let bridge_method = group(&v, &[("alliance", "bridge"), ("kind", "method")]);
    assert_eq!(bridge_method["methods"]["provincial"], 1);
    assert_eq!(bridge_method["awards"]["national"], 1);
    assert_eq!(bridge_method["awarded"]["provincial"], 1);
    // q1 is a 2023 problem solved in 2024: no record of 2024, one solved.
    let bridge_problem = group(&v, &[("alliance", "bridge"), ("kind", "problem")]);
    assert_eq!(
        (bridge_problem["count"].as_u64(), bridge_problem["solved"].as_u64()),
        (Some(0), Some(1))
    );
    let tunnel_problem = group(&v, &[("alliance", "tunnel"), ("kind", "problem")]);
    assert_eq!(
        (tunnel_problem["count"].as_u64(), tunnel_problem["solved"].as_u64()),
        (Some(1), Some(1))
    );
    let tunnel_method = group(&v, &[("alliance", "tunnel"), ("kind", "method")]);
    assert_eq!(tunnel_method["benefit"].to_string(), "30.3333");
    assert_eq!(tunnel_method["methods"]["enterprise"], 1);
    // s-both's records count under both alliances: the groups add up to
    // more than the total, which counts each record once.
    let sum: u64 = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["count"].as_u64().unwrap())
        .sum();
    assert_eq!(sum, 8);
    assert!(
        !has_group(&v, &[("alliance", "tunnel"), ("kind", "achievement")]) || {
            let g = group(&v, &[("alliance", "tunnel"), ("kind", "achievement")]);
            g["count"] == 1 && g["adoptions"] == 1
        }
    );
    let totals = &v["totals"];
    assert_eq!(totals["awards"]["national"], 1);
    assert_eq!(totals["awards"]["provincial"], 2);
    assert_eq!(totals["awarded"]["provincial"], 2);
    // m1's national and provincial awards make it one record awarded at
    // provincial level or above, with a1.
    assert_eq!(totals["awarded_high"], 2);
    assert_eq!(bridge_method["awarded_high"], 1);
    assert_eq!(totals["granted"]["invention"], 1);
    assert_eq!(totals["granted"]["utility"], 1);
    assert_eq!(totals["solved"], 1);
    assert_eq!(
        (totals["adoptions"].as_u64(), totals["projects"].as_u64()),
        (Some(3), Some(2))
    );
    assert!(v["note"].as_str().unwrap().contains("只计一次"));
    assert!(v["took_ms"].as_f64().is_some_and(|ms| ms >= 0.0));
}

#[test]
fn every_dimension_and_each_figure_by_its_own_year() {
    let (app, t) = app();
    let s = Some(t.staff.as_str());
    let all = stats(&app, s, "");
    assert_eq!(all["total"], 10);
    assert_eq!(all["benefit"].to_string(), "1201.3833");
    assert_eq!(all["totals"]["awards"]["provincial"], 3);
    assert_eq!(all["totals"]["awards"]["enterprise"], 1);
    assert_eq!(all["totals"]["granted"]["invention"], 2);
    assert_eq!(
        (all["totals"]["adoptions"].as_u64(), all["totals"]["projects"].as_u64()),
        (Some(5), Some(4))
    );

    // By year, each figure in the year of its own date.
    let years = stats(&app, s, "by=year");
    let y2023 = group(&years, &[("year", "2023")]);
    assert_eq!(y2023["count"], 3, "p1, q1, a3");
    assert_eq!(y2023["benefit"].to_string(), "1020.25");
    assert_eq!(y2023["awards"]["provincial"], 1);
    assert_eq!(
        y2023["awards"]["enterprise"], 1,
        "a1's 2023 award, though a1 is of 2024"
    );
    assert_eq!(y2023["granted"]["invention"], 1, "p3, filed in 2022");
    assert_eq!(
        (y2023["adoptions"].as_u64(), y2023["projects"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(group(&years, &[("year", "2022")])["count"], 1);
    let y2024 = group(&years, &[("year", "2024")]);
    assert_eq!((y2024["count"].as_u64(), y2024["solved"].as_u64()), (Some(6), Some(1)));

    let by = |dim: &str| stats(&app, s, &format!("by={dim}"));
    let grants = by("grant_year");
    assert_eq!(group(&grants, &[("grant_year", "2023")])["count"], 1);
    assert_eq!(group(&grants, &[("grant_year", "2024")])["count"], 2);
    let levels = by("award_level");
    assert_eq!(group(&levels, &[("award_level", "national")])["count"], 1);
    assert_eq!(group(&levels, &[("award_level", "provincial")])["count"], 3);
    assert_eq!(group(&levels, &[("award_level", "enterprise")])["count"], 1);
    assert!(!has_group(&levels, &[("award_level", "industry")]));
    let award_years = by("award_year");
    assert_eq!(group(&award_years, &[("award_year", "2024")])["count"], 2);
    let stars = by("studio_stars");
    assert_eq!(group(&stars, &[("studio_stars", "5")])["count"], 3);
    assert_eq!(group(&stars, &[("studio_stars", "3")])["count"], 4);
    assert_eq!(
        group(&stars, &[("studio_stars", "4")])["label"]["studio_stars"],
        "四星级"
    );
    let types = by("studio_type");
    assert_eq!(group(&types, &[("studio_type", "five-small")])["count"], 3);
    assert_eq!(
        group(&types, &[("studio_type", "management")])["label"]["studio_type"],
        "管理创新型"
    );
    let problems = by("problem_status");
    assert_eq!(group(&problems, &[("problem_status", "solved")])["count"], 1);
    assert_eq!(group(&problems, &[("problem_status", "open")])["count"], 1);
    assert_eq!(group(&by("patent_status"), &[("patent_status", "granted")])["count"], 3);
    assert_eq!(group(&by("patent_type"), &[("patent_type", "invention")])["count"], 2);
    assert_eq!(
        group(&by("method_level"), &[("method_level", "provincial")])["count"],
        1
    );
    assert_eq!(group(&by("category"), &[("category", "management")])["count"], 1);
    assert_eq!(group(&by("tag"), &[("tag", "挂篮")])["count"], 1);
    assert_eq!(group(&by("studio"), &[("studio", "s-both")])["count"], 3);

    // The search's words and filters choose the records.
    assert_eq!(stats(&app, s, "kind=patent")["total"], 3);
    assert_eq!(stats(&app, s, &format!("q={}", enc("挂篮")))["total"], 2);
    assert_eq!(
        stats(&app, s, "alliance=tunnel&by=studio")["groups"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn each_viewer_counts_only_what_they_may_see() {
    let (app, t) = app();
    let total = |token: Option<&str>, q: &str| {
        let v = stats(&app, token, q);
        (
            v["total"].as_u64().unwrap(),
            v["benefit_text"].as_str().unwrap().to_string(),
        )
    };
    // Anonymous: a1 p1 a2 p2 q1 m2.
    assert_eq!(total(None, ""), (6, "151.3833".into()));
    assert_eq!(total(None, "from=2024&to=2024"), (4, "131.1333".into()));
    // Members: all but the studio-only a3.
    assert_eq!(total(Some(&t.member), ""), (9, "201.3833".into()));
    // s-tunnel's publisher also sees its own a3; staff see everything.
    assert_eq!(total(Some(&t.tunnel), ""), (10, "1201.3833".into()));
    assert_eq!(total(Some(&t.staff), ""), (10, "1201.3833".into()));
    // Hidden records leave no trace in groups either.
    let anon = stats(&app, None, "by=kind&from=2023&to=2023");
    let ach = has_group(&anon, &[("kind", "achievement")]).then(|| group(&anon, &[("kind", "achievement")]));
    assert!(
        ach.is_none_or(|g| g["count"] == 0 && g["benefit"].as_f64() == Some(0.0)),
        "{anon}"
    );
    let anon_all = stats(&app, None, "by=alliance");
    assert_eq!(group(&anon_all, &[("alliance", "tunnel")])["count"], 4, "a2 p2 q1 m2");
    // Pages and files agree.
    let page = get_as(&app, None, "/stats").body;
    assert!(page.contains("未登录时只统计公开的记录"));
    let csv = get_as(&app, None, "/stats.csv?by=kind").body;
    assert!(csv.contains("合计（每条记录只计一次）,6,151.3833,"), "{csv}");
}

#[test]
fn a_moved_grant_date_moves_the_patent_to_another_year() {
    let (app, t) = app();
    let s = Some(t.staff.as_str());
    let granted =
        |year: &str| stats(&app, s, &format!("from={year}&to={year}"))["totals"]["granted"]["invention"].clone();
    assert_eq!(granted("2024"), 1);
    assert_eq!(granted("2025"), 0);
    let path = app.content().join("s-bridge/p1.md");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("grant_date: 2024-06-01", "grant_date: 2025-01-15")).unwrap();
    assert!(
        app.wait_for(Duration::from_secs(10), |_| granted("2025") == 1),
        "the edit is counted"
    );
    assert_eq!(granted("2024"), 0);
    let years = stats(&app, s, "by=grant_year");
    assert_eq!(group(&years, &[("grant_year", "2025")])["count"], 1);
    assert_eq!(group(&years, &[("grant_year", "2024")])["count"], 1, "p2 only");
    // a2 re-indexed lands in another index segment than a1; the project
    // both were used on (甲项目) is still one project.
    let a2 = app.content().join("s-both/a2.md");
    let text = std::fs::read_to_string(&a2).unwrap();
    std::fs::write(&a2, text.replace("钢筋损耗。", "钢筋损耗（修订）。")).unwrap();
    assert!(app.wait_for(Duration::from_secs(10), |app| {
        !app.search(&format!("q={}", enc("修订")))["hits"]
            .as_array()
            .unwrap()
            .is_empty()
    }));
    let y2024 = stats(&app, s, "from=2024&to=2024");
    assert_eq!(
        (
            y2024["totals"]["adoptions"].as_u64(),
            y2024["totals"]["projects"].as_u64()
        ),
        (Some(3), Some(2))
    );
    // A status that is not a grant takes the grant date out of the figures.
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("status: granted", "status: rejected")).unwrap();
    assert!(app.wait_for(Duration::from_secs(10), |_| granted("2025") == 0));
}

#[test]
fn bad_parameters_are_refused_with_a_reason() {
    let (app, _) = app();
    for (path, says) in [
        ("/api/stats?by=colour", "未知的统计维度"),
        ("/api/stats?by=kind&by=year&by=tag", "最多同时按 2 个维度"),
        ("/api/stats?from=20x4", "年份"),
        ("/api/stats?from=2025&to=2024", "晚于"),
        ("/stats.csv?by=nope", "未知的统计维度"),
        ("/reports/abc", "年份"),
        ("/reports/2024?alliance=nope", "没有编号为"),
        ("/reports/99999.xlsx", "年份"),
    ] {
        let r = app.get(path);
        assert_eq!(r.status, 400, "{path}: {}", r.body);
        assert!(r.body.contains(says), "{path}: {}", r.body);
    }
    assert!(app.get("/api/stats?by=colour").json()["error"].is_string());
}

#[test]
fn csv_starts_with_a_bom_and_round_trips() {
    let (app, t) = app();
    let (status, kind, body) = bytes(&app, Some(&t.staff), "/stats.csv?by=alliance&by=kind&from=2024&to=2024");
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/csv"), "{kind}");
    assert_eq!(&body[..3], b"\xEF\xBB\xBF");
    let json = stats(&app, Some(&t.staff), "by=alliance&by=kind&from=2024&to=2024");
    let mut reader = csv::Reader::from_reader(&body[3..]);
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(&header[..4], ["联盟", "类型", "成果数", "经济效益（万元）"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let groups = json["groups"].as_array().unwrap();
    assert_eq!(rows.len(), groups.len() + 1);
    for (row, g) in rows.iter().zip(groups) {
        assert_eq!(row[0], *g["label"]["alliance"].as_str().unwrap());
        assert_eq!(row[1], *g["label"]["kind"].as_str().unwrap());
        assert_eq!(row[2].parse::<u64>().unwrap(), g["count"].as_u64().unwrap());
        assert_eq!(row[3], *g["benefit_text"].as_str().unwrap());
    }
    let total = rows.last().unwrap();
    assert_eq!(&total[0], "合计（每条记录只计一次）");
    assert_eq!((&total[2], &total[3]), ("6", "181.1333"));
    // Written again by the csv crate and read back, nothing changes.
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&header).unwrap();
    for row in &rows {
        writer.write_record(row).unwrap();
    }
    let again = writer.into_inner().unwrap();
    let mut reread = csv::Reader::from_reader(again.as_slice());
    let back: Vec<csv::StringRecord> = reread.records().map(Result::unwrap).collect();
    assert_eq!(back, rows);
}

fn workbook(body: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(body)).expect("an XLSX file")
}

fn rows(book: &mut Xlsx<Cursor<Vec<u8>>>, sheet: &str) -> Vec<Vec<Data>> {
    book.worksheet_range(sheet)
        .unwrap_or_else(|e| panic!("{sheet}: {e}"))
        .rows()
        .map(<[Data]>::to_vec)
        .collect()
}

fn text(cell: &Data) -> String {
    match cell {
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Empty => String::new(),
        other => format!("{other:?}"),
    }
}

#[test]
fn xlsx_reads_back_with_its_numbers_and_the_record_list() {
    let (app, t) = app();
    let (status, kind, body) = bytes(&app, Some(&t.staff), "/stats.xlsx?from=2024&to=2024");
    assert_eq!(status, 200);
    assert!(kind.contains("spreadsheetml"), "{kind}");
    let mut book = workbook(body);
    let names = book.sheet_names();
    assert_eq!(
        names,
        ["按联盟和类型", "按联盟", "按类型", "按年度", "按获奖级别", "成果清单"]
    );
    let by_alliance = rows(&mut book, "按联盟");
    assert_eq!(text(&by_alliance[0][0]), "联盟");
    assert_eq!(text(&by_alliance[0][1]), "成果数");
    let bridge = by_alliance
        .iter()
        .find(|r| text(&r[0]) == "桥梁工程创新工作室联盟")
        .unwrap();
    // a1 m1 a2 p2: 100.5 + 50 + 0.1 + 0.2.
    assert_eq!(bridge[1], Data::Float(4.0));
    assert_eq!(bridge[2], Data::Float(150.8));
    let total = by_alliance.last().unwrap();
    assert_eq!(text(&total[0]), "合计（每条记录只计一次）");
    assert_eq!(
        (total[1].clone(), total[2].clone()),
        (Data::Float(6.0), Data::Float(181.1333))
    );
    let list = rows(&mut book, "成果清单");
    assert_eq!(text(&list[0][0]), "标题");
    assert_eq!(text(&list[0][11]), "链接");
    // The records dated 2024, newest first.
    assert_eq!(list.len(), 1 + 6);
    assert_eq!(text(&list[1][0]), "大跨连续梁合龙施工工法");
    let a2 = list.iter().find(|r| text(&r[0]) == "降低钢筋损耗率QC成果").unwrap();
    assert_eq!(text(&a2[1]), "创新成果");
    assert_eq!(text(&a2[2]), "QC成果");
    assert_eq!(text(&a2[4]), "桥梁工程创新工作室联盟、隧道工程创新工作室联盟");
    assert_eq!(a2[7], Data::Float(0.1));
    assert!(text(&a2[9]).contains("甲项目（2024）"));
    assert!(text(&a2[11]).ends_with("/records/s-both/a2"), "{:?}", a2[11]);
    let m1 = &list[1];
    assert!(text(&m1[8]).contains("国家优质工程奖（国家级，2024）"), "{m1:?}");
    assert_eq!(text(&m1[10]), "SJGF-2024-01");

    // An anonymous visitor's workbook lists public records only.
    let (_, _, body) = bytes(&app, None, "/stats.xlsx?by=kind");
    let mut book = workbook(body);
    assert_eq!(
        book.sheet_names(),
        ["按类型", "按联盟和类型", "按联盟", "按年度", "按获奖级别", "成果清单"]
    );
    assert_eq!(rows(&mut book, "成果清单").len(), 1 + 6);
}

#[test]
fn the_annual_report_says_the_hand_counted_sentences() {
    let (app, t) = app();
    let page = get_as(&app, Some(&t.staff), "/reports/2024").body;
    for sentence in [
        "全部联盟现有创新工作室3个，其中五星级1个、四星级1个、三星级1个。",
        "2024年，新增各类成果6项（创新成果2项、专利1项、工法2项、攻关难题1项）。",
        "获省部级以上奖励3项（其中国家级1项），授权发明专利1项、实用新型专利1项，形成省部级以上工法1项。",
        "解决生产难题1个，成果在2个项目推广应用3次，创造经济效益181.1333万元。",
        // 2023: p1 q1 a3, 1020.25; a3's provincial award.
        "与2023年相比，新增成果增加3项，省部级以上奖励增加2项，经济效益减少839.1167万元。",
    ] {
        assert!(page.contains(sentence), "{sentence}\n{page}");
    }
    assert!(page.contains("+3（+100.0%）"), "new records 6 against 3");

    let tunnel = get_as(&app, Some(&t.staff), "/reports/2024?alliance=tunnel").body;
    for sentence in [
        "隧道工程创新工作室联盟现有创新工作室2个，其中四星级1个、三星级1个。",
        "2024年，新增各类成果4项（创新成果1项、专利1项、工法1项、攻关难题1项）。",
        "获省部级以上奖励0项，授权发明专利0项、实用新型专利1项，形成省部级以上工法0项。",
        "解决生产难题1个，成果在1个项目推广应用1次，创造经济效益30.6333万元。",
        "与2023年相比，新增成果增加2项，省部级以上奖励减少1项，经济效益减少969.3667万元。",
    ] {
        assert!(tunnel.contains(sentence), "{sentence}\n{tunnel}");
    }
    // Anonymous: public records only (no a3, m1).
    let anon = get_as(&app, None, "/reports/2024").body;
    assert!(anon.contains("获省部级以上奖励1项，"), "{anon}");
    assert!(anon.contains("创造经济效益131.1333万元。"), "{anon}");

    // The same as a workbook.
    let (status, _, body) = bytes(&app, Some(&t.staff), "/reports/2024.xlsx?alliance=tunnel");
    assert_eq!(status, 200);
    let mut book = workbook(body);
    assert_eq!(book.sheet_names(), ["年度总结", "各联盟", "各类型", "成果清单"]);
    let summary = rows(&mut book, "年度总结");
    let cells: Vec<String> = summary.iter().map(|r| text(&r[0])).collect();
    assert!(
        cells.contains(&"隧道工程创新工作室联盟2024年度总结".to_string()),
        "{cells:?}"
    );
    assert!(
        cells
            .iter()
            .any(|c| c == "解决生产难题1个，成果在1个项目推广应用1次，创造经济效益30.6333万元。")
    );
    let benefit = summary.iter().find(|r| text(&r[0]) == "经济效益（万元）").unwrap();
    assert_eq!(
        (benefit[1].clone(), benefit[2].clone()),
        (Data::Float(30.6333), Data::Float(1000.0))
    );
    let alliances = rows(&mut book, "各联盟");
    let tunnel_row = alliances
        .iter()
        .find(|r| text(&r[0]) == "隧道工程创新工作室联盟")
        .unwrap();
    assert_eq!(tunnel_row[1], Data::Float(4.0));
    // s-both is also in the bridge alliance: its records count there too.
    let bridge_row = alliances
        .iter()
        .find(|r| text(&r[0]) == "桥梁工程创新工作室联盟")
        .unwrap();
    assert_eq!(bridge_row[1], Data::Float(2.0), "a2 and p2");
    assert_eq!(rows(&mut book, "成果清单").len(), 1 + 4);
}

#[test]
fn the_stats_page_links_its_numbers_and_staff_see_it_in_the_header() {
    let (app, t) = app();
    let staff_page = get_as(&app, Some(&t.staff), "/stats?from=2024&to=2024")
        .body
        .replace("&#38;", "&amp;");
    assert!(staff_page.contains(r#"<a href="/stats">统计</a>"#));
    assert!(
        staff_page.contains(r#"<a href="/search?kind=achievement&amp;alliance=bridge&amp;year=2024">2</a>"#),
        "{staff_page}"
    );
    assert_eq!(staff_page.matches("<svg class=\"chart").count(), 4);
    assert!(!staff_page.contains("style="), "no inline style under the CSP");
    // The link lists exactly the records counted.
    let listed = crate::support::ids(&app.search("kind=achievement&alliance=bridge&year=2024"));
    assert_eq!(listed.len(), 2, "{listed:?}");
    // The report of the latest year with figures, when no year is asked.
    let plain = get_as(&app, Some(&t.staff), "/stats").body;
    assert!(
        plain.contains(r#"<a href="/reports/2024">2024 年度总结</a>"#),
        "{plain}"
    );
    assert!(staff_page.contains(r#"/stats.csv?from=2024&amp;to=2024"#));
    let csv = get_as(&app, Some(&t.staff), "/stats.csv");
    assert_eq!(
        csv.header("content-disposition"),
        Some("attachment; filename=\"zhihui-stats.csv\"; filename*=UTF-8''%E7%BB%9F%E8%AE%A1.csv")
    );
    // A table asked for with by= comes first; its stars have no search.
    let by_stars = get_as(&app, Some(&t.staff), "/stats?by=studio_stars").body;
    let first = by_stars.find("<h2>按工作室星级</h2>").expect("the table asked for");
    assert!(first < by_stars.find("<h2>按联盟和类型</h2>").unwrap());
    assert!(
        by_stars.contains("<td>五星级</td><td class=\"num\">3</td>"),
        "{by_stars}"
    );
    let member_page = get_as(&app, Some(&t.member), "/search").body;
    assert!(
        !member_page.contains(r#"<a href="/stats">"#),
        "only staff get the header link"
    );
}

#[test]
fn chromium_shows_the_charts_and_prints_the_report_on_a4() {
    let Some(binary) = chromium() else { return };
    let (app, _) = app();
    let mut b = Browser::start(binary);
    b.viewport(1280, 900, false);
    b.goto(&format!("{}/stats", app.base));
    let png = b.screenshot();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a screenshot of the charts"
    );
    assert_eq!(b.eval("document.querySelectorAll('svg.chart').length"), 4);
    // Drawn, sized and coloured by the stylesheet (not blocked by the CSP).
    assert_eq!(
        b.eval("[...document.querySelectorAll('svg.chart.bars rect.bar')].every(r => r.getBBox().width > 0)"),
        true
    );
    assert_eq!(
        b.eval("getComputedStyle(document.querySelector('svg.chart .bar.c0')).fill"),
        "rgb(179, 38, 30)"
    );
    assert_eq!(
        b.eval("document.querySelector('svg.chart.trend polyline') !== null"),
        true
    );

    b.goto(&format!("{}/reports/2024", app.base));
    b.media("print");
    // Rows are kept whole across pages and headers repeat.
    assert_eq!(
        b.eval("[...document.querySelectorAll('.report tr')].every(r => getComputedStyle(r).breakInside === 'avoid')"),
        true
    );
    assert_eq!(
        b.eval("getComputedStyle(document.querySelector('.report thead')).display"),
        "table-header-group"
    );
    assert_eq!(
        b.eval("getComputedStyle(document.querySelector('header.top')).display"),
        "none"
    );
    let pdf = b.print_pdf();
    assert!(pdf.starts_with(b"%PDF"));
    assert_a4(&pdf);
}

#[test]
fn the_printed_report_keeps_every_table_row_on_one_page() {
    let Some(binary) = chromium() else { return };
    // Forty more alliances, a studio in all of them and a record of 2024:
    // the table per alliance runs over several pages.
    let dir = crate::support::fixture_copy("stats");
    let content = dir.path().join("content");
    let ids: Vec<String> = (1..=40).map(|n| format!("extra-{n:02}")).collect();
    for id in &ids {
        std::fs::write(
            content.join(format!("alliances/{id}.md")),
            format!(
                "---\nkind: alliance\nname: 第{id}号桥梁隧道城轨四电工程劳模和工匠人才创新工作室联盟\n---\n联盟。\n"
            ),
        )
        .unwrap();
    }
    std::fs::write(
        content.join("studios/s-wide.md"),
        format!(
            "---\nkind: studio\nname: 跨联盟工作室\nstars: 2\nalliances: [{}]\n---\n跨联盟。\n",
            ids.join(", ")
        ),
    )
    .unwrap();
    std::fs::create_dir_all(content.join("s-wide")).unwrap();
    // A record whose table has a row taller than a page, which must be
    // cut: it shows the check below can see a cut row.
    let tall = "很长的单元格文字。".repeat(700);
    std::fs::write(
        content.join("s-wide/tall.md"),
        format!("---\ntitle: 高行表格\nkind: achievement\nstudio: s-wide\ndate: 2020-01-01\nvisibility: public\n---\n\n| 项目 | 说明 |\n|---|---|\n| 甲 | {tall} |\n| 乙 | 短 |\n"),
    )
    .unwrap();
    std::fs::write(
        content.join("s-wide/w1.md"),
        "---\ntitle: 跨联盟共享成果\nkind: achievement\nstudio: s-wide\ndate: 2024-05-05\nvisibility: public\nbenefit: 1\n---\n共享。\n",
    )
    .unwrap();
    let app = TestApp::serve(dir);
    let mut b = Browser::start(binary);
    b.goto(&format!("{}/records/s-wide/tall", app.base));
    let cut = row_pages(&b.print_tagged_pdf());
    assert!(
        cut.iter().any(|pages| pages.len() > 1),
        "the tall row is seen cut: {cut:?}"
    );
    b.goto(&format!("{}/reports/2024", app.base));
    assert_eq!(
        b.eval("document.querySelectorAll('.report tbody tr').length")
            .as_u64()
            .map(|n| n > 50),
        Some(true)
    );
    let pdf = b.print_tagged_pdf();
    assert_a4(&pdf);
    let rows = row_pages(&pdf);
    assert!(rows.len() > 50, "{} rows tagged", rows.len());
    let pages: std::collections::BTreeSet<u32> = rows.iter().flatten().copied().collect();
    assert!(pages.len() >= 2, "the report runs over pages: {pages:?}");
    for (i, on) in rows.iter().enumerate() {
        assert_eq!(on.len(), 1, "row {i} is cut across pages {on:?}");
    }
}

/// Every page of the PDF is A4 (Chromium writes page dictionaries
/// uncompressed).
fn assert_a4(pdf: &[u8]) {
    let boxes = media_boxes(pdf);
    assert!(!boxes.is_empty(), "no MediaBox");
    for [x0, y0, x1, y1] in boxes {
        assert_eq!((x0, y0), (0.0, 0.0));
        // A4 is 595.28 × 841.89 pt; Chromium rounds to its own pixels.
        assert!((x1 - 595.3).abs() < 1.5 && (y1 - 841.9).abs() < 1.5, "{x1} × {y1}");
    }
}

/// A tagged PDF's objects by number (their text up to `endobj`).
fn pdf_objects(pdf: &[u8]) -> std::collections::HashMap<u32, String> {
    let text = String::from_utf8_lossy(pdf);
    let mut out = std::collections::HashMap::new();
    let mut at = 0;
    while let Some(found) = text[at..].find(" 0 obj") {
        let start = at + found;
        let number: String = text[..start]
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let body = start + " 0 obj".len();
        let end = text[body..].find("endobj").map_or(text.len(), |e| body + e);
        if let Ok(n) = number.parse() {
            out.insert(n, text[body..end].to_string());
        }
        at = end;
    }
    out
}

/// The objects `/K` of a structure element refers to.
fn kids(object: &str) -> Vec<u32> {
    let Some(k) = object.find("/K") else { return Vec::new() };
    let rest = object[k + 2..].trim_start();
    let list = match rest.strip_prefix('[') {
        Some(inner) => &inner[..inner.find(']').unwrap_or(inner.len())],
        None => rest.split('/').next().unwrap_or(""),
    };
    let words: Vec<&str> = list.split_whitespace().collect();
    words
        .windows(3)
        .filter(|w| w[1] == "0" && w[2] == "R")
        .filter_map(|w| w[0].parse().ok())
        .collect()
}

/// For each table row (`/S /TR`) of a tagged PDF but header rows, the
/// pages its cells' content is on.
fn row_pages(pdf: &[u8]) -> Vec<std::collections::BTreeSet<u32>> {
    let objects = pdf_objects(pdf);
    fn pages_under(
        n: u32,
        objects: &std::collections::HashMap<u32, String>,
        into: &mut std::collections::BTreeSet<u32>,
        depth: usize,
    ) {
        let Some(object) = objects.get(&n) else { return };
        if depth > 16 {
            return;
        }
        // Its own page, and those of marked content written inline
        // (`<</Type /MCR /Pg …>>`) when its content runs over pages.
        for (at, _) in object.match_indices("/Pg ") {
            if let Some(page) = object[at + 4..].split_whitespace().next().and_then(|p| p.parse().ok()) {
                into.insert(page);
            }
        }
        for kid in kids(object) {
            if objects.get(&kid).is_some_and(|o| o.contains("/StructElem")) {
                pages_under(kid, objects, into, depth + 1);
            }
        }
    }
    let mut rows: Vec<(u32, std::collections::BTreeSet<u32>)> = objects
        .iter()
        .filter(|(_, o)| o.contains("/S /TR"))
        // A header row is repeated on every page the table runs over.
        .filter(|(_, o)| {
            !kids(o)
                .iter()
                .all(|k| objects.get(k).is_some_and(|cell| cell.contains("/S /TH")))
        })
        .map(|(n, _)| {
            let mut pages = std::collections::BTreeSet::new();
            for kid in kids(&objects[n]) {
                pages_under(kid, &objects, &mut pages, 0);
            }
            (*n, pages)
        })
        .collect();
    rows.sort_by_key(|(n, _)| *n);
    rows.into_iter().map(|(_, pages)| pages).collect()
}

/// Every `/MediaBox [x0 y0 x1 y1]` in a PDF (Chromium writes page
/// dictionaries uncompressed).
fn media_boxes(pdf: &[u8]) -> Vec<[f64; 4]> {
    let text = String::from_utf8_lossy(pdf);
    text.match_indices("/MediaBox")
        .filter_map(|(at, _)| {
            let rest = &text[at + "/MediaBox".len()..];
            let open = rest.find('[')?;
            let close = rest.find(']')?;
            let numbers: Vec<f64> = rest[open + 1..close]
                .split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect();
            numbers.try_into().ok()
        })
        .collect()
}

#[test]
fn the_command_line_gives_the_same_figures() {
    let dir = crate::support::fixture_copy("stats");
    let run = |args: &[&str]| crate::support::run(args, dir.path());
    let out = run(&[
        "stats", "--by", "alliance", "--by", "kind", "--year", "2024", "--format", "json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["total"], 6);
    assert_eq!(v["benefit_text"], "181.1333");
    assert_eq!(
        group(&v, &[("alliance", "bridge"), ("kind", "achievement")])["count"],
        2
    );
    let public = run(&["stats", "--year", "2024", "--public", "--format", "json"]);
    let public: Value = serde_json::from_slice(&public.stdout).unwrap();
    assert_eq!(
        (public["total"].as_u64(), public["benefit_text"].as_str()),
        (Some(4), Some("131.1333"))
    );
    let tunnel = run(&["stats", "--alliance", "tunnel", "--kind", "patent", "--format", "json"]);
    assert_eq!(
        serde_json::from_slice::<Value>(&tunnel.stdout).unwrap()["total"],
        2,
        "p2, p3"
    );

    let table = String::from_utf8(run(&["stats", "--by", "year"]).stdout).unwrap();
    assert!(table.lines().next().unwrap().starts_with("年度"), "{table}");
    assert!(table.contains("合计（每条记录只计一次）"), "{table}");
    let csv = run(&["stats", "--by", "kind", "--format", "csv"]).stdout;
    assert_eq!(&csv[..3], b"\xEF\xBB\xBF");

    for (args, says) in [
        (&["stats", "--by", "colour"][..], "未知的统计维度"),
        (&["stats", "--format", "xlsx"][..], "--out"),
        (&["stats", "--format", "pdf"][..], "未知的输出格式"),
        (&["stats", "--from", "2025", "--to", "2024"][..], "晚于"),
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(says), "{args:?}");
    }

    let file = dir.path().join("figures.xlsx");
    let out = run(&[
        "stats",
        "--by",
        "kind",
        "--year",
        "2024",
        "--format",
        "xlsx",
        "--out",
        "figures.xlsx",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut book = workbook(std::fs::read(file).unwrap());
    assert_eq!(book.sheet_names(), ["按类型", "成果清单"]);
    let kinds = rows(&mut book, "按类型");
    let methods = kinds.iter().find(|r| text(&r[0]) == "工法").unwrap();
    assert_eq!(
        (methods[1].clone(), methods[2].clone()),
        (Data::Float(2.0), Data::Float(80.3333))
    );
    assert_eq!(rows(&mut book, "成果清单").len(), 1 + 6);
}

#[test]
fn the_engine_gives_a_studios_figures_in_process() {
    use zhihui::auth::Viewer;
    use zhihui::search::{Engine, SearchRequest};
    use zhihui::stats::{Dimension, StatsQuery, studio_figures};
    let dir = crate::support::fixture_copy("stats");
    let engine = Engine::open(&dir.path().join("content"), &dir.path().join("index")).unwrap();
    engine.sync(false, &|_, _| {}).unwrap();
    let staff = Viewer::staff("staff1");
    // s-both: a2 (0.1, two adoptions), p2 (utility, granted 2024), q1 (solved 2024).
    let both = studio_figures(&engine, &staff, "s-both", None).unwrap();
    assert_eq!(both.total.count, 3);
    assert_eq!(both.total.benefit.to_string(), "0.3");
    assert_eq!(both.total.granted, [0, 1, 0]);
    assert_eq!(
        (both.total.adoptions, both.total.projects, both.total.solved),
        (2, 2, 1)
    );
    assert_eq!(both.group(&["patent"]).map(|m| m.count), Some(1));
    let in_2023 = studio_figures(&engine, &staff, "s-both", Some((2023, 2023))).unwrap();
    assert_eq!(
        (in_2023.total.count, in_2023.total.adoptions, in_2023.total.solved),
        (1, 1, 0)
    );
    // s-tunnel's studio-only a3 is hidden from anyone but staff and its publisher.
    let tunnel = studio_figures(&engine, &Viewer::anonymous(), "s-tunnel", None).unwrap();
    assert_eq!(
        (tunnel.total.count, tunnel.total.benefit.to_string()),
        (1, "30.3333".to_string())
    );
    // Every studio in one pass, for a directory.
    let all = engine
        .stats(&SearchRequest::default(), &staff, &StatsQuery::by(&[Dimension::Studio]))
        .unwrap();
    let counts: Vec<(String, u64)> = all
        .groups
        .iter()
        .map(|g| (g.key[0].clone(), g.measures.count))
        .collect();
    assert_eq!(
        counts,
        [
            ("s-both".to_string(), 3),
            ("s-bridge".to_string(), 3),
            ("s-tunnel".to_string(), 4)
        ]
    );
    assert_eq!(all.total.count, 10);
}

#[test]
fn a_problem_solved_through_the_form_counts_in_its_solved_year() {
    let (app, t) = app();
    let (cookie, csrf) = crate::publish::sign_in(&app, "staff1");
    let headers = [
        ("cookie", cookie.as_str()),
        ("content-type", "application/x-www-form-urlencoded"),
    ];
    let form = |status: &str, solved: &str| {
        format!(
            "csrf={}&kind=problem&studio=s-tunnel&title={}&slug=form-problem&date=2024-02-01&status={status}&solved_date={solved}&visibility=public&body={}&action=submit",
            enc(&csrf),
            enc("盾构刀盘结泥饼难题"),
            enc("刀盘结泥饼，掘进速度下降。")
        )
    };
    let page = app
        .request("GET", "/publish?kind=problem", &[headers[0]], None)
        .unwrap();
    assert!(page.body.contains("name=\"solved_date\""), "the form asks for it");
    for (status, solved, says) in [("open", "2025-03-01", "只有已解决"), ("solved", "2023-12-31", "早于")] {
        let refused = app
            .request("POST", "/publish", &headers, Some(form(status, solved).as_bytes()))
            .unwrap();
        assert_eq!(refused.status, 422, "{status} {solved}");
        assert!(refused.body.contains(says), "{says}: {}", refused.body);
    }
    let solved_2025 = || stats(&app, Some(&t.staff), "from=2025&to=2025")["totals"]["solved"].as_u64();
    assert_eq!(solved_2025(), Some(0));
    let done = app
        .request(
            "POST",
            "/publish",
            &headers,
            Some(form("solved", "2025-03-01").as_bytes()),
        )
        .unwrap();
    assert_eq!(done.status, 303, "{}", done.body);
    let file = std::fs::read_to_string(app.content().join("s-tunnel/form-problem.md")).unwrap();
    assert!(file.contains("solved_date: 2025-03-01"), "{file}");
    assert_eq!(solved_2025(), Some(1));
    let by_year = stats(&app, Some(&t.staff), "by=year&kind=problem");
    assert_eq!(group(&by_year, &[("year", "2025")])["solved"], 1);
    assert_eq!(
        group(&by_year, &[("year", "2024")])["count"],
        2,
        "q2 and the new problem, by date"
    );
}
