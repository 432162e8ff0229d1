//! Adoption requests (申请对接): asking, who sees what, the states, an
//! adoption proposed to the record through review, the store across a
//! restart; and `applied_in` in the search: the adoption-year facet,
//! `sort=adoption` and the count on cards.

use serde_json::{Value, json};

use crate::publish::{app_with_users, get_as, post_as, sign_in};
use crate::support::{TestApp, enc, ids};

const RECORD: &str = "tunnel-zhang/segment-repair";

fn ask(record: &str, unit: &str, contact: &str, purpose: &str) -> Value {
    json!({"record": record, "unit": unit, "contact": contact, "purpose": purpose})
}

fn fields(r: &crate::support::Response) -> Vec<String> {
    r.json()["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors: {}", r.body))
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect()
}

fn request_ids(r: &crate::support::Response) -> Vec<String> {
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_request_goes_from_asking_to_an_adoption_shown_after_review() {
    let (app, u) = app_with_users();
    // Nobody asks without signing in.
    let anonymous = app
        .request(
            "POST",
            "/api/requests",
            &[("content-type", "application/json")],
            Some(ask(RECORD, "中铁某局", "王工 138", "用于新线").to_string().as_bytes()),
        )
        .unwrap();
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);

    // Bad input: each problem named by its field, nothing stored.
    let bad = [
        (ask(RECORD, "  ", "王工", "用于新线"), vec!["unit"]),
        (ask(RECORD, "中铁某局", &"1".repeat(101), "用于新线"), vec!["contact"]),
        (ask(RECORD, "中铁某局", "王工\n138", ""), vec!["contact", "purpose"]),
        (ask(RECORD, "", "", ""), vec!["unit", "contact", "purpose"]),
        (ask("", "中铁某局", "王工", "用于新线"), vec!["record"]),
        // A problem is helped, not adopted.
        (
            ask("power-chen/open-problem", "中铁某局", "王工", "用于新线"),
            vec!["record"],
        ),
    ];
    for (body, expected) in bad {
        let r = post_as(&app, &u.member, "/api/requests", &body);
        assert_eq!(r.status, 422, "{body}: {}", r.body);
        assert_eq!(fields(&r), expected, "{body}");
        assert!(
            r.json()["errors"][0]["message"]
                .as_str()
                .unwrap()
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
        );
    }
    // A record the asker may not see is missing, like one that does not exist.
    for record in ["tunnel-zhang/studio-only", "tunnel-zhang/no-such-record"] {
        let r = post_as(
            &app,
            &u.member,
            "/api/requests",
            &ask(record, "中铁某局", "王工", "用于新线"),
        );
        assert_eq!(r.status, 404, "{record}: {}", r.body);
    }
    // A body that is not JSON, or not of the right shape, is a 400 in Chinese.
    for body in ["{", "[1, 2]", "{\"record\": 5}"] {
        let r = app
            .request(
                "POST",
                "/api/requests",
                &[
                    ("authorization", &format!("Bearer {}", u.member)),
                    ("content-type", "application/json"),
                ],
                Some(body.as_bytes()),
            )
            .unwrap();
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert!(r.json()["error"].as_str().unwrap().contains("JSON"), "{}", r.body);
    }
    // A studio does not ask itself.
    let own = post_as(&app, &u.tunnel, "/api/requests", &ask(RECORD, "本单位", "张工", "自用"));
    assert_eq!(own.status, 422, "{}", own.body);
    assert!(own.body.contains("本工作室"), "{}", own.body);
    assert_eq!(request_ids(&get_as(&app, Some(&u.staff), "/api/requests")).len(), 0);

    // A member asks.
    let created = post_as(
        &app,
        &u.member,
        "/api/requests",
        &ask(
            RECORD,
            "中铁某局成都分公司",
            "王工 13800000000",
            "成都地铁9号线管片错台修复",
        ),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let request = created.json();
    let id = request["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 32);
    assert_eq!(request["state"], "new");
    assert_eq!(request["studio"], "tunnel-zhang");
    assert_eq!(request["record_title"], "盾构管片错台快速修复工法");
    // The same member cannot ask again while it is open.
    let again = post_as(
        &app,
        &u.member,
        "/api/requests",
        &ask(RECORD, "中铁某局", "王工", "再问"),
    );
    assert_eq!(again.status, 422, "{}", again.body);
    // Stored as one file under the data folder.
    let file = app.root.join(format!("data/requests/{id}.json"));
    assert!(file.exists());

    // Who sees it: the record's studio, staff and the asker; not another studio.
    assert_eq!(
        request_ids(&get_as(&app, Some(&u.tunnel), "/api/requests")),
        [id.as_str()]
    );
    assert_eq!(
        request_ids(&get_as(&app, Some(&u.staff), "/api/requests")),
        [id.as_str()]
    );
    assert_eq!(
        request_ids(&get_as(&app, Some(&u.member), "/api/requests")),
        [id.as_str()]
    );
    assert!(request_ids(&get_as(&app, Some(&u.bridge), "/api/requests")).is_empty());
    assert_eq!(get_as(&app, None, "/api/requests").status, 401);
    let one = format!("/api/requests/{id}");
    assert_eq!(
        get_as(&app, Some(&u.tunnel), &one).json()["contact"],
        "王工 13800000000"
    );
    let other = get_as(&app, Some(&u.bridge), &one);
    assert_eq!(other.status, 403, "{}", other.body);
    assert!(!other.body.contains("13800000000"));
    assert_eq!(
        get_as(&app, Some(&u.tunnel), "/api/requests/0123456789abcdef0123456789abcdef").status,
        404
    );
    assert_eq!(get_as(&app, Some(&u.tunnel), "/api/requests/..%2Faccounts").status, 404);
    // The pages say the same.
    let page = get_as(&app, Some(&u.tunnel), "/requests");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("中铁某局成都分公司") && page.body.contains("新申请"),
        "{}",
        page.body
    );
    assert!(page.body.contains("改为“已联系”"));
    let page = get_as(&app, Some(&u.bridge), "/requests");
    assert!(!page.body.contains("中铁某局成都分公司"));
    let page = get_as(&app, Some(&u.member), "/requests");
    assert!(
        page.body.contains("中铁某局成都分公司") && !page.body.contains("改为“"),
        "a member only follows"
    );
    assert_eq!(get_as(&app, None, "/requests").status, 303);

    // States: only forward, only by the studio or staff.
    let state = format!("/api/requests/{id}/state");
    assert_eq!(
        post_as(&app, &u.bridge, &state, &json!({"state": "contacted"})).status,
        403
    );
    assert_eq!(
        post_as(&app, &u.member, &state, &json!({"state": "contacted"})).status,
        403
    );
    for (to, why) in [
        ("adopted", "not contacted yet"),
        ("new", "already new"),
        ("done", "unknown"),
    ] {
        let r = post_as(&app, &u.tunnel, &state, &json!({"state": to}));
        assert_eq!(r.status, 422, "{to} ({why}): {}", r.body);
        assert_eq!(fields(&r), ["state"]);
    }
    // A project is only written with an adoption.
    let early = post_as(
        &app,
        &u.tunnel,
        &state,
        &json!({"state": "contacted", "project": "某项目"}),
    );
    assert_eq!(early.status, 422, "{}", early.body);
    let contacted = post_as(
        &app,
        &u.tunnel,
        &state,
        &json!({"state": "contacted", "note": "已电话联系"}),
    );
    assert_eq!(contacted.status, 200, "{}", contacted.body);
    assert_eq!(contacted.json()["state"], "contacted");
    assert_eq!(
        post_as(&app, &u.tunnel, &state, &json!({"state": "contacted"})).status,
        422
    );
    // A bad year refuses the whole step.
    let bad_year = post_as(
        &app,
        &u.tunnel,
        &state,
        &json!({"state": "adopted", "project": "成都地铁9号线", "year": "明年"}),
    );
    assert_eq!(bad_year.status, 422, "{}", bad_year.body);
    assert_eq!(fields(&bad_year), ["year"]);
    assert_eq!(get_as(&app, Some(&u.tunnel), &one).json()["state"], "contacted");

    // Adopted with a project: the record's change waits for review.
    let adopted = post_as(
        &app,
        &u.tunnel,
        &state,
        &json!({"state": "adopted", "project": "成都地铁9号线", "year": 2025, "applied_note": "管片修复"}),
    );
    assert_eq!(adopted.status, 200, "{}", adopted.body);
    let adopted = adopted.json();
    assert_eq!(adopted["state"], "adopted");
    assert_eq!(adopted["adoption"]["pending"], true);
    assert_eq!(adopted["steps"].as_array().unwrap().len(), 2);
    assert_eq!(
        post_as(&app, &u.tunnel, &state, &json!({"state": "declined"})).status,
        422,
        "final"
    );
    // Published version unchanged until review; the facet does not count it yet.
    let visitor_record = get_as(&app, None, &format!("/api/records/{RECORD}")).json();
    assert_eq!(visitor_record["applied_in"].as_array().unwrap().len(), 1);
    let year_2025 = |app: &TestApp| {
        get_as(app, None, "/api/search?adoption_year=2025").json()["total"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(year_2025(&app), 0);
    let queue = get_as(&app, Some(&u.staff), "/review");
    assert!(queue.body.contains(&format!("/review/{RECORD}")), "in the review queue");

    // Staff approve: the record shows it, the facet counts it.
    let approved = post_as(
        &app,
        &u.staff,
        &format!("/api/records/{RECORD}/approve"),
        &json!({"comment": ""}),
    );
    assert_eq!(approved.status, 200, "{}", approved.body);
    let record = get_as(&app, None, &format!("/api/records/{RECORD}")).json();
    let applied = record["applied_in"].as_array().unwrap();
    assert_eq!(applied.len(), 2);
    assert_eq!(applied[1]["project"], "成都地铁9号线");
    assert_eq!(applied[1]["year"], 2025);
    assert_eq!(applied[1]["note"], "管片修复");
    let page = get_as(&app, None, &format!("/records/{RECORD}"));
    assert!(page.body.contains("成都地铁9号线（2025）"), "{}", page.body);
    assert_eq!(year_2025(&app), 1);
    let all = get_as(&app, None, "/api/search?per_page=100").json();
    assert_eq!(all["facets"]["adoption_year"]["2025"], 1);
    assert_eq!(all["facets"]["adoption_year"]["2023"], 1);

    // The store survives a restart.
    let app = app.restart();
    let back = get_as(&app, Some(&u.tunnel), &one);
    assert_eq!(back.status, 200, "{}", back.body);
    let back = back.json();
    assert_eq!(back["state"], "adopted");
    assert_eq!(back["steps"][0]["note"], "已电话联系");
    assert_eq!(back["adoption"]["project"], "成都地铁9号线");
    assert_eq!(request_ids(&get_as(&app, Some(&u.staff), "/api/requests")), [id]);
    assert!(request_ids(&get_as(&app, Some(&u.bridge), "/api/requests")).is_empty());
}

#[test]
fn staff_adopt_at_once_and_forms_need_the_csrf_token() {
    let (app, u) = app_with_users();
    let (cookie, csrf) = sign_in(&app, "member1");
    let form = |body: &str, token: &str| {
        let body = format!("{body}&csrf={token}");
        app.request(
            "POST",
            "/requests",
            &[
                ("cookie", &cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Some(body.as_bytes()),
        )
        .unwrap()
    };
    let record = format!("record={}", enc("bridge-li/hanging-basket"));
    // The form page, then its errors beside the fields.
    let page = app
        .request("GET", &format!("/requests/new?{record}"), &[("cookie", &cookie)], None)
        .unwrap();
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("申请对接") && page.body.contains("李明桥梁创新工作室"),
        "{}",
        page.body
    );
    let missing = form(&format!("{record}&unit=&contact={}&purpose=x", enc("李工")), &csrf);
    assert_eq!(missing.status, 422, "{}", missing.body);
    assert!(
        missing.body.contains("请填写申请单位") && missing.body.contains("aria-invalid"),
        "{}",
        missing.body
    );
    assert!(missing.body.contains("李工"), "what was typed is kept");
    let full = format!(
        "{record}&unit={}&contact={}&purpose={}",
        enc("城轨公司"),
        enc("李工"),
        enc("挂篮施工")
    );
    assert_eq!(form(&full, "wrong").status, 403);
    let ok = form(&full, &csrf);
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(ok.header("location"), Some("/requests?done=created"));
    // The JSON API with a cookie needs the header too.
    let body = ask("bridge-li/anchor-patent", "城轨公司", "李工", "锚具").to_string();
    let no_header = app
        .request(
            "POST",
            "/api/requests",
            &[("cookie", &cookie), ("content-type", "application/json")],
            Some(body.as_bytes()),
        )
        .unwrap();
    assert_eq!(no_header.status, 403);
    // Visitors are sent to sign in from the form, and see the link on a record.
    assert_eq!(app.get(&format!("/requests/new?{record}")).status, 303);
    assert!(app.get("/records/bridge-li/hanging-basket").body.contains("申请对接"));
    assert!(
        !app.get("/records/power-chen/open-problem")
            .body
            .contains("/requests/new")
    );

    let listed = get_as(&app, Some(&u.staff), "/api/requests").json();
    let id = listed["requests"][0]["id"].as_str().unwrap().to_string();
    let state = format!("/api/requests/{id}/state");
    // The record's studio's form buttons: declined from new is allowed.
    assert_eq!(
        post_as(&app, &u.staff, &state, &json!({"state": "contacted"})).status,
        200
    );
    // While a publisher's change to the record waits for review, staff
    // cannot publish over it: 409, and the request stays as it was.
    let text = std::fs::read_to_string(app.content().join("bridge-li/hanging-basket.md")).unwrap();
    let changed = text.replace("挂篮悬臂浇筑连续梁，待处理事项包括线形控制。", "待审核的摘要");
    let waiting = crate::publish::put(&app, &u.bridge, "bridge-li/hanging-basket", &changed, &[]);
    assert_eq!(waiting.status, 200, "{}", waiting.body);
    let blocked = post_as(
        &app,
        &u.staff,
        &state,
        &json!({"state": "adopted", "project": "成渝中线", "year": "2024"}),
    );
    assert_eq!(blocked.status, 409, "{}", blocked.body);
    assert!(blocked.json()["error"].as_str().unwrap().contains("等待审核"));
    assert_eq!(
        get_as(&app, Some(&u.staff), &format!("/api/requests/{id}")).json()["state"],
        "contacted"
    );
    let approved = post_as(
        &app,
        &u.staff,
        "/api/records/bridge-li/hanging-basket/approve",
        &json!({}),
    );
    assert_eq!(approved.status, 200, "{}", approved.body);
    let adopted = post_as(
        &app,
        &u.staff,
        &state,
        &json!({"state": "adopted", "project": "成渝中线", "year": "2024"}),
    );
    assert_eq!(adopted.status, 200, "{}", adopted.body);
    assert_eq!(adopted.json()["adoption"]["pending"], false);
    // Staff's edit is published at once.
    let record = get_as(&app, None, "/api/records/bridge-li/hanging-basket").json();
    assert_eq!(record["applied_in"][0]["project"], "成渝中线");
    assert!(
        record["html"].as_str().unwrap().contains("待审核的摘要"),
        "the approved change is kept: {record}"
    );
    assert!(record.get("review").is_none_or(Value::is_null));
    let declined = post_as(&app, &u.staff, &state, &json!({"state": "declined"}));
    assert_eq!(declined.status, 422);
}

/// Records with adoptions, written beside the fixture's: anyone sees the
/// first two, members also the third.
fn adoption_app() -> (TestApp, String) {
    let dir = crate::support::fixture_copy("basic");
    let folder = dir.path().join("content/bridge-li");
    let write = |name: &str, date: &str, visibility: &str, applied: &str| {
        let text = format!(
            "---\ntitle: 推广{name}\nkind: achievement\ncategory: tech\nstudio: bridge-li\ndate: {date}\nvisibility: {visibility}\ntags: [推广]\napplied_in:\n{applied}---\n\n推广{name}的正文。\n"
        );
        std::fs::write(folder.join(format!("{name}.md")), text).unwrap();
    };
    write(
        "three",
        "2021-01-01",
        "public",
        "  - {project: 甲, year: 2023}\n  - {project: 乙, year: 2024}\n  - {project: 丙, year: 2024}\n",
    );
    write("one", "2025-03-01", "public", "  - {project: 丁, year: 2024}\n");
    write(
        "members",
        "2024-05-01",
        "members",
        "  - {project: 戊, year: 2022}\n  - {project: 己, year: 2024}\n  - {project: 庚}\n  - {project: 辛}\n",
    );
    TestApp::add_user(dir.path(), "member1", "member", None);
    let member = TestApp::token(dir.path(), "member1");
    (TestApp::serve(dir), member)
}

#[test]
fn adoptions_are_a_facet_by_year_a_sort_and_a_count_on_cards() {
    let (app, member) = adoption_app();
    let facet = |token: Option<&str>, query: &str| {
        let body = get_as(&app, token, &format!("/api/search?per_page=100&{query}")).json();
        body["facets"]["adoption_year"].clone()
    };
    // Hand counts: segment-repair (2023), three (2023, 2024), one (2024);
    // members also see members (2022, 2024). A record counts once a year.
    assert_eq!(facet(None, ""), json!({"2023": 2, "2024": 2}));
    assert_eq!(facet(Some(&member), ""), json!({"2022": 1, "2023": 2, "2024": 3}));
    let in_2024 = get_as(&app, None, "/api/search?adoption_year=2024&per_page=100").json();
    let mut found = ids(&in_2024);
    found.sort();
    assert_eq!(found, ["bridge-li/one", "bridge-li/three"]);
    let either = get_as(
        &app,
        None,
        "/api/search?adoption_year=2022&adoption_year=2023&per_page=100",
    )
    .json();
    assert_eq!(either["total"], 2, "values of one field are alternatives");
    assert_eq!(get_as(&app, None, "/api/search?adoption_year=2022").json()["total"], 0);
    assert_eq!(
        get_as(&app, Some(&member), "/api/search?adoption_year=2022").json()["total"],
        1
    );
    // The filter keeps the words.
    assert_eq!(
        get_as(&app, None, &format!("/api/search?q={}&adoption_year=2024", enc("推广"))).json()["total"],
        2
    );

    // Most adoptions first; as many, the newer first; then the rest by date.
    let sorted = get_as(&app, None, "/api/search?sort=adoption&per_page=100").json();
    let order = ids(&sorted);
    assert_eq!(&order[..3], ["bridge-li/three", "bridge-li/one", RECORD]);
    assert_eq!(order.len(), 7 + 2, "every public record, adopted or not");
    assert_eq!(sorted["hits"][0]["adoptions"], 3);
    assert_eq!(order[3], "power-chen/open-problem", "then the newest");
    let member_sorted = ids(&get_as(&app, Some(&member), "/api/search?sort=adoption&per_page=3").json());
    assert_eq!(member_sorted, ["bridge-li/members", "bridge-li/three", "bridge-li/one"]);
    // Paging follows the same order.
    let second = ids(&get_as(&app, None, "/api/search?sort=adoption&per_page=2&page=2").json());
    assert_eq!(second, [RECORD, "power-chen/open-problem"]);

    // The page: the sort link, the facet newest year first, the card's count.
    let page = app.get("/search?sort=adoption");
    assert!(page.body.contains("应用推广 3 项"), "{}", page.body);
    assert!(page.body.contains("<strong>应用推广</strong>"), "the active sort");
    let section = page
        .body
        .split("<h2>应用年份</h2>")
        .nth(1)
        .expect("the facet in the sidebar");
    let section = section.split("</section>").next().unwrap();
    let (y2024, y2023) = (section.find("2024").unwrap(), section.find("2023").unwrap());
    assert!(y2024 < y2023, "years newest first: {section}");
    assert!(app.get("/search").body.contains("sort=adoption"));
    // Not adopted: no count.
    let plain = app.get(&format!("/search?q={}", enc("\"接触网磨耗\"")));
    assert!(!plain.body.contains("应用推广 "), "{}", plain.body);
}

#[test]
fn the_request_pages_switch_to_english() {
    let (app, u) = app_with_users();
    let created = post_as(
        &app,
        &u.member,
        "/api/requests",
        &ask(RECORD, "中铁某局", "王工 138", "用于新线"),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json()["id"].as_str().unwrap().to_string();
    let moved = post_as(
        &app,
        &u.tunnel,
        &format!("/api/requests/{id}/state"),
        &json!({"state": "contacted", "note": "电话沟通"}),
    );
    assert_eq!(moved.status, 200, "{}", moved.body);
    let chinese = [
        "对接申请",
        "申请对接",
        "新申请",
        "已联系",
        "已应用",
        "未采纳",
        "改为“",
        "申请人",
        "申请单位",
        "联系方式",
        "用途",
        "备注",
        "应用项目",
        "成都地铁9号线",
        "提交申请",
        "申请已提交",
        "全部",
        "本工作室成果",
        "您提交的",
        "发布员",
    ];
    let no_chinese = |what: &str, page: &str| {
        for zh in chinese {
            assert!(!page.contains(zh), "{what} still says {zh}: {page}");
        }
    };

    // The list, as the record's studio: states, steps, the adoption form.
    let list = get_as(&app, Some(&u.tunnel), "/requests?lang=en&done=created");
    assert_eq!(list.status, 200, "{}", list.body);
    for en in [
        "<html lang=\"en\"",
        "<h1>Adoption requests</h1>",
        "Request sent: the studio will get in touch",
        "Requests for your studio",
        ">All</a>",
        "New (0)",
        "Contacted (1)",
        "Requested by member1",
        "Requesting unit",
        "Purpose",
        ": New → Contacted (电话沟通)",
        "When adopted, add it to the record",
        "Chengdu Metro Line 9",
        "Mark “Adopted”",
        "Mark “Declined”",
    ] {
        assert!(list.body.contains(en), "the list lacks {en}: {}", list.body);
    }
    no_chinese("the list", &list.body);
    let mine = get_as(&app, Some(&u.member), "/requests?lang=en&done=state");
    assert!(mine.body.contains("The requests you made and where they stand."));
    assert!(mine.body.contains("Request state changed"));
    no_chinese("the asker's list", &mine.body);
    let staff = get_as(&app, Some(&u.staff), "/requests?lang=en&state=contacted");
    assert!(staff.body.contains("Requests the studios received"));
    no_chinese("staff's list", &staff.body);

    // The form, and the link to it on the record's page.
    let new = format!("/requests/new?record={}&lang=en", enc("bridge-li/hanging-basket"));
    let form = get_as(&app, Some(&u.member), &new);
    assert_eq!(form.status, 200, "{}", form.body);
    for en in [
        "<h1>Request to adopt</h1>",
        "Ask <strong>李明桥梁创新工作室</strong>",
        "Requesting unit",
        "Contact (name, phone or e-mail)",
        "Purpose (which project",
        "Send the request",
        "Only the publishers of the record",
    ] {
        assert!(form.body.contains(en), "the form lacks {en}: {}", form.body);
    }
    no_chinese("the form", &form.body);
    let record = get_as(&app, Some(&u.member), &format!("/records/{RECORD}?lang=en"));
    assert!(record.body.contains(">Request to adopt</a>"), "{}", record.body);
    assert!(!record.body.contains("申请对接"));

    // Chinese stays the default, word for word.
    let zh = get_as(&app, Some(&u.tunnel), "/requests?done=created").body;
    for s in [
        "<h1>对接申请</h1>",
        "申请已提交，工作室会通过您留下的联系方式与您联系",
        "本工作室成果收到的对接申请，以及您提交的申请。",
        "已联系（1）",
        "申请人 member1",
        "：新申请 → 已联系（电话沟通）",
        "成都地铁9号线",
        "改为“已应用”",
    ] {
        assert!(zh.contains(s), "the Chinese list lacks {s}: {zh}");
    }
    let zh = get_as(&app, Some(&u.member), &new.replace("&lang=en", "")).body;
    for s in [
        "<h1>申请对接</h1>",
        "联系方式（姓名、电话或邮箱）",
        "提交申请",
        "处理进度可在 ",
    ] {
        assert!(zh.contains(s), "the Chinese form lacks {s}: {zh}");
    }
}
