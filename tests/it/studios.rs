//! The studio directory (facets against a hand count of
//! `fixtures/studios`, sorts, the table view), studio pages (figures per
//! viewer, contact for signed-in viewers only), the patent watch per role,
//! its calendar feed read back with an iCalendar parser, and `zhihui
//! patents due`.

use serde_json::{Value, json};
use time::{Date, Duration, Month};

use crate::chrome::{Browser, chromium};
use crate::publish::get_as;
use crate::support::{TestApp, run};

fn facet(body: &Value, field: &str) -> Value {
    body["facets"][field].clone()
}

fn studio_ids(body: &Value) -> Vec<String> {
    body["studios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

/// Accounts over a copy of `fixtures/studios`, with patents whose dates
/// are set from today (the watch counts from the real date): a granted
/// invention of `s-five` (studio only) whose fee falls due in 20 days and
/// a granted utility model of `s-three` whose term ends in 30 days.
struct Watched {
    app: TestApp,
    member: String,
    pub_five: String,
    pub_three: String,
    staff: String,
    fee_day: Date,
    lapse_day: Date,
}

fn years_before(day: Date, years: i32) -> Date {
    // 29 February has no twin in a common year; the 28th stands in.
    day.replace_year(day.year() - years)
        .unwrap_or_else(|_| Date::from_calendar_date(day.year() - years, Month::February, 28).unwrap())
}

fn watched_app() -> Watched {
    let dir = crate::support::fixture_copy("studios");
    let today = zhihui::patents::today_in_beijing();
    let fee_day = today + Duration::days(20);
    let lapse_day = today + Duration::days(30);
    let content = dir.path().join("content");
    std::fs::write(
        content.join("s-five/fee-soon.md"),
        format!(
            "---\ntitle: 年费将至的发明\nkind: patent\nstudio: s-five\ndate: 2024-01-01\nvisibility: studio\npatent_type: invention\napplication_no: CN202110099999.1\nfiling_date: {}\ngrant_date: {}\nstatus: granted\n---\n正文。\n",
            years_before(fee_day, 3),
            years_before(fee_day, 2)
        ),
    )
    .unwrap();
    std::fs::write(
        content.join("s-three/lapse-soon.md"),
        format!(
            "---\ntitle: 即将届满的实用新型\nkind: patent\nstudio: s-three\ndate: 2017-01-01\nvisibility: public\npatent_type: utility\napplication_no: CN201620099999.2\nfiling_date: {}\ngrant_date: {}\nstatus: granted\n---\n正文。\n",
            years_before(lapse_day, 10),
            years_before(lapse_day, 9)
        ),
    )
    .unwrap();
    TestApp::add_user(dir.path(), "member1", "member", None);
    TestApp::add_user(dir.path(), "pub-five", "publisher", Some("s-five"));
    TestApp::add_user(dir.path(), "pub-three", "publisher", Some("s-three"));
    TestApp::add_user(dir.path(), "staff1", "staff", None);
    let member = TestApp::token(dir.path(), "member1");
    let pub_five = TestApp::token(dir.path(), "pub-five");
    let pub_three = TestApp::token(dir.path(), "pub-three");
    let staff = TestApp::token(dir.path(), "staff1");
    Watched {
        app: TestApp::serve(dir),
        member,
        pub_five,
        pub_three,
        staff,
        fee_day,
        lapse_day,
    }
}

#[test]
fn directory_facets_equal_a_hand_count_of_the_fixture() {
    let app = TestApp::start("studios");
    let all = app.get("/api/studios").json();
    assert_eq!(all["total"], 5);
    assert_eq!(facet(&all, "stars"), json!({"5": 1, "4": 2, "3": 1}));
    assert_eq!(
        facet(&all, "studio_type"),
        json!({"research": 2, "five-small": 1, "management": 1})
    );
    assert_eq!(
        facet(&all, "naming_level"),
        json!({"national": 1, "provincial": 1, "municipal": 1, "enterprise": 1})
    );
    // s-four-a is in both alliances; s-none in none.
    assert_eq!(facet(&all, "alliance"), json!({"tunnel": 2, "bridge": 3}));
    assert_eq!(
        facet(&all, "unit"),
        json!({"中铁隧道局": 1, "中铁大桥局": 2, "电气化局": 2})
    );

    // A field's own counts ignore its filter; the other fields apply it.
    let four = app.get("/api/studios?stars=4").json();
    assert_eq!(studio_ids(&four), ["s-four-b", "s-four-a"]);
    assert_eq!(facet(&four, "stars"), json!({"5": 1, "4": 2, "3": 1}));
    assert_eq!(facet(&four, "alliance"), json!({"tunnel": 1, "bridge": 2}));
    assert_eq!(facet(&four, "unit"), json!({"中铁大桥局": 2}));
    // Values of one field are alternatives, fields all apply.
    assert_eq!(app.get("/api/studios?stars=4&stars=3").json()["total"], 3);
    let both = app.get("/api/studios?alliance=bridge&studio_type=research").json();
    assert_eq!(studio_ids(&both), ["s-three"]);
    assert_eq!(
        app.get("/api/studios?unit=%E7%94%B5%E6%B0%94%E5%8C%96%E5%B1%80").json()["total"],
        2
    );
    assert_eq!(app.get("/api/studios?naming_level=nowhere").json()["total"], 0);

    // The page shows the same counts with labels from the spec.
    let page = app.get("/studios?stars=4");
    assert_eq!(page.status, 200);
    for text in [
        "4星级</a> <span class=\"count\">2</span>",
        "五小创新型",
        "省级",
        "桥梁联盟</a> <span class=\"count\">2</span>",
    ] {
        assert!(page.body.contains(text), "{text}");
    }
    assert!(!page.body.contains("five-small</a>"), "a raw code shown");
    assert!(page.body.contains("四星乙工作室") && !page.body.contains("五星盾构工作室</a></h3>"));
}

#[test]
fn directory_sorts_by_name_founding_and_figures_seen_by_the_viewer() {
    let dir = crate::support::fixture_copy("studios");
    TestApp::add_user(dir.path(), "staff1", "staff", None);
    let staff = TestApp::token(dir.path(), "staff1");
    let app = TestApp::serve(dir);
    let order =
        |token: Option<&str>, sort: &str| studio_ids(&get_as(&app, token, &format!("/api/studios?sort={sort}")).json());
    assert_eq!(
        order(None, "founded"),
        ["s-five", "s-four-a", "s-four-b", "s-three", "s-none"]
    );
    assert_eq!(order(None, "stars")[0], "s-five");
    // Visitors see 4 records of s-five and s-three (a tie, then by name).
    assert_eq!(
        order(None, "records"),
        ["s-three", "s-five", "s-four-b", "s-four-a", "s-none"]
    );
    // Staff also see s-five's members and studio records.
    assert_eq!(order(Some(&staff), "records")[0], "s-five");
    assert_eq!(
        order(None, "patents"),
        ["s-three", "s-four-b", "s-five", "s-four-a", "s-none"]
    );
    let staff_view = get_as(&app, Some(&staff), "/api/studios?sort=records").json();
    assert_eq!(staff_view["studios"][0]["records"], 6);
    assert_eq!(staff_view["studios"][0]["patents_granted"], 1);
    let visitor_view = app.get("/api/studios?sort=records").json();
    let five = visitor_view["studios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "s-five")
        .unwrap()
        .clone();
    assert_eq!(five["records"], 4);
    // Benefit is summed inside the search as the viewer may see: 100 万元
    // of s-five's public method for visitors, its members' and studio
    // records' too for staff; everyone else has none and follows by name.
    assert_eq!(order(None, "benefit")[0], "s-five");
    assert_eq!(five["benefit"], 100.0);
    let by_benefit = get_as(&app, Some(&staff), "/api/studios?sort=benefit").json();
    assert_eq!(by_benefit["studios"][0]["id"], "s-five");
    assert_eq!(by_benefit["studios"][0]["benefit"], 1150.5);
    assert_eq!(by_benefit["studios"][1]["benefit"], 0.0);

    for bad in ["/api/studios?sort=size", "/studios?sort=%3Cb%3E", "/studios?view=grid"] {
        let r = app.get(bad);
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.body.contains("无效"), "{bad}: {}", r.body);
        assert!(!r.body.contains("<b>"), "{bad}");
    }

    let table = app.get("/studios?view=table&sort=patents");
    assert_eq!(table.status, 200);
    assert!(table.body.contains("<table class=\"directory\">"));
    assert_eq!(
        table.body.matches("<tr>").count(),
        1 + 5,
        "a header and a row per studio"
    );
    assert!(
        table.body.contains("<td class=\"num\">100</td>"),
        "the benefit column as a visitor sees it"
    );
    let first = table.body.find("三星工作室").unwrap();
    assert!(first < table.body.find("五星盾构工作室").unwrap());
    assert!(table.body.contains("全国（2019）"));
}

#[test]
fn contact_is_shown_to_signed_in_viewers_only() {
    let dir = crate::support::fixture_copy("studios");
    TestApp::add_user(dir.path(), "member1", "member", None);
    let member = TestApp::token(dir.path(), "member1");
    let app = TestApp::serve(dir);
    let phone = "13800000000";

    let anonymous = app.get("/api/studios");
    assert!(!anonymous.body.contains(phone) && !anonymous.body.contains("13900000000"));
    assert!(
        anonymous.json()["studios"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s.get("contact").is_none())
    );
    let page = app.get("/studios/s-five");
    assert_eq!(page.status, 200);
    assert!(!page.body.contains(phone));
    assert!(page.body.contains("登录后可见"));
    assert!(!app.get("/studios?view=table").body.contains(phone));

    let signed = get_as(&app, Some(&member), "/api/studios").json();
    let five = signed["studios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "s-five")
        .unwrap()
        .clone();
    assert_eq!(five["contact"], "王工 13800000000");
    assert_eq!(five["naming_level"], "national");
    assert_eq!(five["star_history"], json!({"2022": 4, "2023": 5, "2024": 5}));
    let (cookie, _) = crate::publish::sign_in(&app, "member1");
    let page = app
        .request("GET", "/studios/s-five", &[("cookie", &cookie)], None)
        .unwrap();
    assert!(page.body.contains(phone), "signed in by cookie");
    // A studio without a contact shows no one else's.
    let page = app
        .request("GET", "/studios/s-four-b", &[("cookie", &cookie)], None)
        .unwrap();
    assert!(!page.body.contains(phone) && !page.body.contains("13900000000"));
}

/// The text of the element with this class on a page.
fn cell(body: &str, class: &str) -> String {
    let start = body
        .find(&format!("class=\"{class}\">"))
        .unwrap_or_else(|| panic!("{class}"))
        + class.len()
        + 9;
    body[start..].split('<').next().unwrap().trim().to_string()
}

#[test]
fn studio_figures_count_only_what_the_viewer_may_see() {
    let dir = crate::support::fixture_copy("studios");
    TestApp::add_user(dir.path(), "member1", "member", None);
    TestApp::add_user(dir.path(), "pub-five", "publisher", Some("s-five"));
    TestApp::add_user(dir.path(), "staff1", "staff", None);
    let member = TestApp::token(dir.path(), "member1");
    let publisher = TestApp::token(dir.path(), "pub-five");
    let staff = TestApp::token(dir.path(), "staff1");
    let app = TestApp::serve(dir);
    // (records, benefit, adoptions) of s-five for each kind of viewer.
    for (token, records, benefit, adoptions) in [
        (None, "4", "100 万元", "2 项"),
        (Some(&member), "5", "150.5 万元", "3 项"),
        (Some(&publisher), "6", "1150.5 万元", "3 项"),
        (Some(&staff), "6", "1150.5 万元", "3 项"),
    ] {
        let page = get_as(&app, token.map(String::as_str), "/studios/s-five");
        assert_eq!(page.status, 200);
        assert!(
            cell(&page.body, "fig-records").starts_with(records),
            "{token:?}: {}",
            cell(&page.body, "fig-records")
        );
        assert_eq!(cell(&page.body, "fig-benefit"), benefit, "{token:?}");
        assert_eq!(cell(&page.body, "fig-adoptions"), adoptions, "{token:?}");
        assert_eq!(cell(&page.body, "fig-patents"), "1");
        assert_eq!(cell(&page.body, "fig-solved"), "1");
        // s-four-a's problem was solved by s-five's method.
        assert_eq!(cell(&page.body, "fig-helped"), "1");
        assert!(page.body.contains("国家级 1"), "method and award levels by label");
    }
    let page = app.get("/studios/s-five");
    assert!(page.body.contains("<td>2022</td><td class=\"stars\">★★★★</td>"));
    assert!(page.body.find("<td>2024</td>").unwrap() < page.body.find("<td>2022</td>").unwrap());
    assert!(page.body.contains("隧道联盟") && page.body.contains("全国（2019）"));
    let helped = app.get("/studios/s-four-a");
    assert_eq!(cell(&helped.body, "fig-helped"), "1");
    assert_eq!(cell(&helped.body, "fig-solved"), "1");
    // A granted patent's page shows its term end and next annual fee; an
    // application or a lapsed patent shows neither.
    let leap = app.get("/records/s-three/patent-leap");
    assert!(
        leap.body.contains("<dt>期满日</dt><dd>2040-02-29</dd>"),
        "{}",
        leap.body
    );
    let fee = leap.body.split("<dt>下次年费</dt><dd>").nth(1).unwrap();
    assert!(
        fee.starts_with("20") && (fee[4..].starts_with("-02-28") || fee[4..].starts_with("-02-29")),
        "{fee}"
    );
    for id in [
        "s-three/patent-rejected",
        "s-three/patent-expired",
        "s-five/patent-pending",
    ] {
        let page = app.get(&format!("/records/{id}"));
        assert_eq!(page.status, 200);
        assert!(!page.body.contains("期满日") && !page.body.contains("下次年费"), "{id}");
    }
    // Cards show the counts they are sorted by.
    let cards = app.get("/studios?sort=patents");
    assert!(cards.body.contains("记录 4 · 授权专利 2"), "s-three");
    assert!(!app.get("/studios").body.contains("授权专利 2"));
    let three = app.get("/studios/s-three");
    assert_eq!(cell(&three.body, "fig-patents"), "2");
    assert_eq!(cell(&three.body, "fig-helped"), "0");
    assert_eq!(app.get("/studios/nobody").status, 404);
}

fn watch_ids(body: &Value, list: &str) -> Vec<String> {
    body[list]
        .as_array()
        .unwrap_or_else(|| panic!("{list}: {body}"))
        .iter()
        .map(|w| w["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_patent_watch_shows_each_role_its_own() {
    let w = watched_app();
    let app = &w.app;
    let anonymous = get_as(app, None, "/api/patents");
    assert_eq!(anonymous.status, 401);
    assert!(anonymous.json()["error"].as_str().unwrap().contains("登录"));
    let member = get_as(app, Some(&w.member), "/api/patents");
    assert_eq!(member.status, 403);
    assert_eq!(get_as(app, Some(&w.member), "/patents").status, 403);
    assert_eq!(app.get("/patents").status, 401);

    let staff = get_as(app, Some(&w.staff), "/api/patents").json();
    let fee = staff["fees_due"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "s-five/fee-soon")
        .unwrap();
    assert_eq!(fee["next_fee"], w.fee_day.to_string());
    assert_eq!(fee["days_left"], 20);
    assert_eq!(fee["alliances"], json!(["tunnel"]));
    assert_eq!(fee["studio_name"], "五星盾构工作室");
    assert!(watch_ids(&staff, "lapsing").contains(&"s-three/lapse-soon".to_string()));
    let lapse = staff["lapsing"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "s-three/lapse-soon")
        .unwrap();
    assert_eq!(lapse["term_end"], w.lapse_day.to_string());
    assert_eq!(watch_ids(&staff, "long_pending"), ["s-five/patent-pending"]);

    // A publisher watches their own studio, studio-only patents included.
    let five = get_as(app, Some(&w.pub_five), "/api/patents").json();
    assert!(watch_ids(&five, "fees_due").contains(&"s-five/fee-soon".to_string()));
    for list in ["fees_due", "lapsing", "long_pending"] {
        assert!(
            watch_ids(&five, list).iter().all(|id| id.starts_with("s-five/")),
            "{list}: {five}"
        );
    }
    assert_eq!(watch_ids(&five, "long_pending"), ["s-five/patent-pending"]);
    let three = get_as(app, Some(&w.pub_three), "/api/patents?within=365").json();
    for list in ["fees_due", "lapsing", "long_pending"] {
        assert!(
            watch_ids(&three, list).iter().all(|id| id.starts_with("s-three/")),
            "{list}: {three}"
        );
    }
    assert!(watch_ids(&three, "fees_due").contains(&"s-three/patent-leap".to_string()));
    assert!(
        !get_as(app, Some(&w.pub_three), "/patents")
            .body
            .contains("年费将至的发明")
    );

    // Per studio and alliance.
    let bridge = get_as(app, Some(&w.staff), "/api/patents?alliance=bridge&within=365").json();
    assert!(!watch_ids(&bridge, "fees_due").contains(&"s-five/fee-soon".to_string()));
    assert!(watch_ids(&bridge, "fees_due").contains(&"s-four-b/design-old".to_string()));
    let only = get_as(app, Some(&w.staff), "/api/patents?studio=s-five").json();
    assert!(!watch_ids(&only, "lapsing").contains(&"s-three/lapse-soon".to_string()));
    let none = get_as(app, Some(&w.staff), "/api/patents?within=0&pending_over=3660").json();
    assert!(!watch_ids(&none, "fees_due").contains(&"s-five/fee-soon".to_string()));
    assert!(watch_ids(&none, "long_pending").is_empty());

    let page = get_as(app, Some(&w.staff), "/patents");
    assert_eq!(page.status, 200);
    for text in [
        "年费将至的发明",
        "即将届满的实用新型",
        "盾构导向专利",
        "实用新型",
        "已授权",
        "五星盾构工作室",
    ] {
        assert!(page.body.contains(text), "{text}");
    }
    assert!(!page.body.contains(">utility<") && !page.body.contains(">granted<"));

    for bad in [
        "/api/patents?within=abc",
        "/api/patents?within=-1",
        "/api/patents?lapse_within=99999",
        "/api/patents?studio=nobody",
        "/api/patents?alliance=x",
    ] {
        let r = get_as(app, Some(&w.staff), bad);
        assert_eq!(r.status, 400, "{bad}");
        let message = r.json()["error"].as_str().unwrap().to_string();
        assert!(
            message.contains("应为") || message.contains("找不到"),
            "{bad}: {message}"
        );
    }
}

/// Each event of a feed as (summary, DTSTART, URL).
fn events(ics: &str) -> Vec<(String, String, String)> {
    let unfolded = icalendar::parser::unfold(ics);
    let calendar = icalendar::parser::read_calendar(&unfolded).unwrap_or_else(|e| panic!("{e}\n{ics}"));
    calendar
        .components
        .iter()
        .filter(|c| c.name.as_str() == "VEVENT")
        .map(|c| {
            let prop = |name: &str| {
                c.find_prop(name)
                    .map(|p| p.val.as_str().to_string())
                    .unwrap_or_default()
            };
            assert!(!prop("UID").is_empty() && !prop("DTEND").is_empty());
            (prop("SUMMARY"), prop("DTSTART"), prop("URL"))
        })
        .collect()
}

fn ics_day(day: Date) -> String {
    format!("{:04}{:02}{:02}", day.year(), u8::from(day.month()), day.day())
}

#[test]
fn the_calendar_feed_parses_and_holds_the_expected_events() {
    let w = watched_app();
    let app = &w.app;
    let feed = |name: &str| {
        let out = run(&["token", "new", name, "--label", "calendar", "--feed"], &app.root);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let staff_feed = feed("staff1");
    let r = app.get(&format!("/patents.ics?token={staff_feed}"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.header("content-type").unwrap().starts_with("text/calendar"));
    let all = events(&r.body);
    let find = |summary: &str| all.iter().find(|e| e.0.contains(summary)).cloned();
    let fee = find("专利年费：年费将至的发明").expect("fee event");
    assert_eq!(fee.1, ics_day(w.fee_day));
    assert!(fee.2.ends_with("/records/s-five/fee-soon"), "{}", fee.2);
    assert!(fee.2.starts_with(&app.base), "links back to the server: {}", fee.2);
    let term = find("专利期满：即将届满的实用新型").expect("term event");
    assert_eq!(term.1, ics_day(w.lapse_day));
    // A 29 February filing pays on 28 February in a common year.
    let leap = find("专利年费：闰日申请的发明").expect("leap-day fee");
    let year: i32 = leap.1[..4].parse().unwrap();
    let leap_year = time::util::is_leap_year(year);
    assert_eq!(&leap.1[4..], if leap_year { "0229" } else { "0228" }, "{leap:?}");
    // Each granted patent in force: one fee event (unless its last year
    // has come) and one term event; nothing for the rest.
    for gone in [
        "patent-rejected",
        "patent-expired",
        "patent-withdrawn",
        "patent-pending",
    ] {
        assert!(all.iter().all(|e| !e.2.contains(gone)), "{gone}");
    }
    let terms: Vec<&str> = all
        .iter()
        .filter(|e| e.0.starts_with("专利期满"))
        .map(|e| e.2.rsplit("/records/").next().unwrap())
        .collect();
    for id in [
        "s-five/patent-granted",
        "s-five/fee-soon",
        "s-four-b/design-old",
        "s-four-b/design-new",
        "s-three/patent-leap",
        "s-three/lapse-soon",
    ] {
        assert_eq!(terms.iter().filter(|t| **t == id).count(), 1, "{id}: {terms:?}");
    }
    // The fixture's own lapsing model ends on 2027-01-20; after that day its
    // term is no longer ahead.
    assert!(
        terms.len() == 6 || (terms.len() == 7 && terms.contains(&"s-three/patent-lapsing")),
        "{terms:?}"
    );

    // A publisher's feed holds their studio's dates only.
    let five = events(&app.get(&format!("/patents.ics?token={}", feed("pub-five"))).body);
    assert!(
        !five.is_empty() && five.iter().all(|e| e.2.contains("/records/s-five/")),
        "{five:?}"
    );
    // A member has no watch; a signed-in staff cookie needs no token.
    assert_eq!(app.get(&format!("/patents.ics?token={}", feed("member1"))).status, 403);
    let (cookie, _) = crate::publish::sign_in(app, "staff1");
    let by_cookie = app
        .request("GET", "/patents.ics", &[("cookie", &cookie)], None)
        .unwrap();
    assert_eq!(events(&by_cookie.body).len(), all.len());

    // Anything but a live feed token is refused, and a feed token opens
    // nothing else.
    assert_eq!(app.get("/patents.ics").status, 401);
    assert_eq!(
        app.get(&format!("/patents.ics?token={}", w.staff)).status,
        401,
        "an API token in a URL"
    );
    assert_eq!(app.get("/patents.ics?token=zh_0123456789abcdef").status, 401);
    assert_eq!(get_as(app, Some(&staff_feed), "/api/search?q=").status, 401);
    assert_eq!(get_as(app, Some(&staff_feed), "/api/patents").status, 401);
    let out = run(&["token", "revoke", "staff1", "calendar"], &app.root);
    assert!(out.status.success());
    assert_eq!(
        app.get(&format!("/patents.ics?token={staff_feed}")).status,
        401,
        "revoked"
    );
}

#[test]
fn patents_due_prints_the_watch_for_scripts() {
    let dir = crate::support::fixture_copy("studios");
    let json_out = run(
        &[
            "patents",
            "due",
            "--within",
            "180",
            "--today",
            "2026-12-07",
            "--format",
            "json",
        ],
        dir.path(),
    );
    assert!(
        json_out.status.success(),
        "{}",
        String::from_utf8_lossy(&json_out.stderr)
    );
    let watch: Value = serde_json::from_slice(&json_out.stdout).unwrap();
    assert_eq!(
        watch_ids(&watch, "fees_due"),
        ["s-three/patent-leap", "s-four-b/design-old", "s-four-b/design-new"]
    );
    let dates: Vec<&str> = watch["fees_due"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["next_fee"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2027-02-28", "2027-05-31", "2027-06-01"]);
    // The design filed on 2021-06-01 runs 15 years, the day before 10.
    let terms: Vec<&str> = watch["fees_due"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["term_end"].as_str().unwrap())
        .collect();
    assert_eq!(terms, ["2040-02-29", "2031-05-31", "2036-06-01"]);
    assert_eq!(watch_ids(&watch, "lapsing"), ["s-three/patent-lapsing"]);
    assert_eq!(watch["lapsing"][0]["term_end"], "2027-01-20");
    assert_eq!(watch_ids(&watch, "long_pending"), ["s-five/patent-pending"]);
    assert_eq!(watch["long_pending"][0]["days_pending"], 1792);

    let table = run(
        &["patents", "due", "--within", "60", "--today", "2026-12-07"],
        dir.path(),
    );
    assert!(table.status.success());
    let text = String::from_utf8(table.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("事项\t日期\t天数"));
    assert!(!text.contains("年费\t"), "nothing due within 60 days: {text}");
    assert!(
        text.contains("期满\t2027-01-20\t44\ts-three/patent-lapsing\t即将期满的实用新型\t实用新型\t"),
        "{text}"
    );
    let leap = run(
        &[
            "patents",
            "due",
            "--within",
            "90",
            "--today",
            "2026-12-07",
            "--studio",
            "s-three",
        ],
        dir.path(),
    );
    let text = String::from_utf8(leap.stdout).unwrap();
    assert!(text.contains("年费\t2027-02-28\t83\ts-three/patent-leap"), "{text}");
    assert!(!text.contains("s-four-b"));

    for bad in [
        vec!["--within", "-5"],
        vec!["--within", "abc"],
        vec!["--today", "2026-02-30"],
        vec!["--format", "xml"],
        vec!["--studio", "nobody"],
    ] {
        let mut args = vec!["patents", "due"];
        args.extend(bad.iter().copied());
        let out = run(&args, dir.path());
        assert!(!out.status.success(), "{bad:?}");
        assert!(out.stdout.is_empty(), "{bad:?}");
    }
}

/// The studio profile table in the docs is the one the code uses.
#[test]
fn the_documented_studio_fields_are_the_ones_the_code_knows() {
    let out = run(
        &["fields", "--studio"],
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
    );
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("| `star_history` |") && table.contains("`municipal` 市级"),
        "{table}"
    );
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/content-format.md")).unwrap();
    let documented = docs
        .split("<!-- studio-fields:begin -->\n")
        .nth(1)
        .and_then(|rest| rest.split("<!-- studio-fields:end -->").next())
        .unwrap();
    assert_eq!(
        documented, table,
        "run `zhihui fields --studio` and paste its table into docs/content-format.md"
    );
}

#[test]
fn check_reports_bad_profile_fields_with_their_lines() {
    let dir = crate::support::fixture_copy("studios");
    std::fs::write(
        dir.path().join("content/studios/s-bad.md"),
        "---\nkind: studio\nname: 坏资料工作室\nstars: 4\nnaming_level: 国家级\nnaming_year: 1800\nmembers: 0\ncontact: [a, b]\nstar_history: {2023: 6, 2024: 3}\n---\n",
    )
    .unwrap();
    let out = run(&["check"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "s-bad.md:5: naming_level:",
        "s-bad.md:6: naming_year:",
        "s-bad.md:7: members:",
        "s-bad.md:8: contact:",
        "s-bad.md:9: star_history: 2023 年的星级应为 1 到 5 之间的整数",
    ] {
        assert!(text.contains(expected), "{expected}\n{text}");
    }
    std::fs::write(
        dir.path().join("content/studios/s-bad.md"),
        "---\nkind: studio\nname: 星级不一致工作室\nstars: 5\nstar_history: {2023: 5, 2024: 4}\n---\n",
    )
    .unwrap();
    let out = run(&["check"], dir.path());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("s-bad.md:4: stars: 警告：stars: 5 与 star_history 中最近一年（2024 年：4 星）不一致"),
        "{text}"
    );
}

#[test]
fn the_directory_table_prints_and_fits_a_phone_in_chromium() {
    let Some(binary) = chromium() else { return };
    let app = TestApp::start("studios");
    let mut b = Browser::start(binary);
    b.goto(&format!("{}/studios?view=table&sort=founded", app.base));
    assert_eq!(
        b.eval("document.querySelectorAll('table.directory tbody tr').length"),
        5
    );
    let pdf = b.print_pdf();
    assert!(pdf.starts_with(b"%PDF"));
    let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
    // The rows oldest first, each with its naming year, founding year and
    // figures (records, granted patents, benefit), after the count of
    // studios: the numbers in the order they print. (Without a Chinese
    // font the Chinese text prints as nothing; with one, cells may wrap.)
    let numbers: Vec<&str> = text
        .split_whitespace()
        .map(|t| t.trim_matches(|c: char| !c.is_ascii_digit()))
        .filter(|t| !t.is_empty())
        .collect();
    assert_eq!(
        numbers,
        [
            "5", "2019", "2012", "4", "1", "100", "2017", "2016", "2", "0", "0", "2018", "2", "2", "0", "2021", "2020",
            "4", "2", "0", "0", "0", "0"
        ],
        "{text}"
    );
    assert_eq!(text.matches('★').count(), 5 + 4 + 4 + 3, "{text}");

    // On a phone the page does not scroll sideways; a wide table scrolls
    // inside its own box.
    b.viewport(375, 800, true);
    for path in ["/studios", "/studios?view=table", "/studios/s-five"] {
        b.goto(&format!("{}{path}", app.base));
        assert_eq!(
            b.eval("document.documentElement.scrollWidth <= window.innerWidth + 1"),
            true,
            "{path} overflows a phone"
        );
    }
    let png = b.screenshot();
    assert!(png.starts_with(b"\x89PNG"));
}
