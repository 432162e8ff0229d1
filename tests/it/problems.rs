//! The 劳模帮帮团 problem board: offering help, accepting it, setting the
//! lead, moving the state and marking a problem solved through HTTP, each
//! step on disk, in the history and the audit log; wrong roles and bad
//! transitions refused with nothing written; what visitors see of the
//! board, its counts and its suggestions; the board in Chromium and its
//! printed list on A4.

use serde_json::{Value, json};

use crate::chrome::{Browser, chromium};
use crate::publish::{Users, get_as, post_as, sign_in};
use crate::support::{TestApp, enc};

const PROBLEM: &str = "tunnel-zhang/shield-problem";
const SECRET: &str = "tunnel-zhang/secret-problem";
/// B's record that solves A's problem.
const SOLUTION: &str = "bridge-li/hanging-basket";

/// The basic fixture with accounts and three problems of tunnel-zhang: a
/// public one to work on, a members-only one, and an overdue low one.
fn app() -> (TestApp, Users) {
    let dir = crate::support::fixture_copy("basic");
    let content = dir.path().join("content");
    std::fs::write(
        content.join(format!("{PROBLEM}.md")),
        "---\ntitle: 盾构掘进参数与管片错台难题\nkind: problem\nstudio: tunnel-zhang\ndate: 2024-01-10\ntags: [盾构, 管片]\nvisibility: public\nstatus: open\npriority: high\ndue: 2099-12-31\n---\n\n盾构掘进参数不稳，管片错台频发，求掘进参数和错台修复的经验。\n",
    )
    .unwrap();
    std::fs::write(
        content.join(format!("{SECRET}.md")),
        "---\ntitle: 机密难题乙之盾构掘进\nkind: problem\nstudio: tunnel-zhang\ndate: 2024-02-01\nvisibility: members\nstatus: open\npriority: high\n---\n\n机密难题乙：盾构掘进参数。\n",
    )
    .unwrap();
    std::fs::write(
        content.join("tunnel-zhang/overdue-problem.md"),
        "---\ntitle: 逾期的隧道渗水难题\nkind: problem\nstudio: tunnel-zhang\ndate: 2020-01-01\nvisibility: public\nstatus: open\npriority: low\ndue: 2020-06-30\n---\n\n隧道渗水。\n",
    )
    .unwrap();
    TestApp::add_user(dir.path(), "member1", "member", None);
    TestApp::add_user(dir.path(), "pub-tunnel", "publisher", Some("tunnel-zhang"));
    TestApp::add_user(dir.path(), "pub-bridge", "publisher", Some("bridge-li"));
    TestApp::add_user(dir.path(), "pub-power", "publisher", Some("power-chen"));
    TestApp::add_user(dir.path(), "staff1", "staff", None);
    let users = Users {
        member: TestApp::token(dir.path(), "member1"),
        tunnel: TestApp::token(dir.path(), "pub-tunnel"),
        bridge: TestApp::token(dir.path(), "pub-bridge"),
        staff: TestApp::token(dir.path(), "staff1"),
    };
    (TestApp::serve(dir), users)
}

fn file(app: &TestApp, id: &str) -> String {
    std::fs::read_to_string(app.content().join(format!("{id}.md"))).unwrap()
}

fn audit(app: &TestApp) -> Vec<Value> {
    std::fs::read_to_string(app.root.join("data/audit.log"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn step(app: &TestApp, token: Option<&str>, id: &str, action: &str, body: Value) -> crate::support::Response {
    match token {
        Some(t) => post_as(app, t, &format!("/api/records/{id}/{action}"), &body),
        None => {
            let text = body.to_string();
            app.request(
                "POST",
                &format!("/api/records/{id}/{action}"),
                &[("content-type", "application/json")],
                Some(text.as_bytes()),
            )
            .unwrap()
        }
    }
}

/// The board as `token` sees it.
fn board(app: &TestApp, token: Option<&str>, query: &str) -> Value {
    let r = get_as(app, token, &format!("/api/problems{query}"));
    assert_eq!(r.status, 200, "{query}: {}", r.body);
    r.json()
}

fn board_ids(board: &Value) -> Vec<String> {
    board["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

fn item<'a>(board: &'a Value, id: &str) -> &'a Value {
    board["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("{id} not on the board: {board}"))
}

#[test]
fn a_problem_is_helped_led_and_solved_step_by_step_with_history_and_audit() {
    let (app, u) = app();
    let before = file(&app, PROBLEM);
    let versions = |app: &TestApp| {
        std::fs::read_to_string(app.root.join(format!("data/history/{PROBLEM}/versions.jsonl")))
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    let help = json!({"comment": "可派两名盾构司机驻场，并提供掘进参数库"});

    // Wrong roles for offering help: nothing is written.
    for (who, token, status) in [
        ("visitor", None, 401),
        ("member", Some(u.member.as_str()), 403),
        ("the problem's own studio", Some(u.tunnel.as_str()), 403),
        ("staff, who speak for no studio", Some(u.staff.as_str()), 403),
    ] {
        let r = step(&app, token, PROBLEM, "help", help.clone());
        assert_eq!(r.status, status, "{who}: {}", r.body);
        assert!(r.json()["error"].as_str().is_some_and(|e| !e.is_empty()), "{who}");
    }
    // An offer says what it offers.
    let r = step(&app, Some(&u.bridge), PROBLEM, "help", json!({"comment": "  "}));
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["errors"][0]["field"], "comment");
    assert_eq!(file(&app, PROBLEM), before, "refused steps write nothing");
    assert_eq!(versions(&app), 0);

    // B offers help.
    let r = step(&app, Some(&u.bridge), PROBLEM, "help", help.clone());
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["helpers"][0]["studio"], "bridge-li");
    assert_eq!(r.json()["helpers"][0]["accepted"], false);
    let on_disk = file(&app, PROBLEM);
    assert!(
        on_disk.contains("studio: bridge-li") && on_disk.contains("accepted: false"),
        "{on_disk}"
    );
    assert!(on_disk.contains("可派两名盾构司机驻场"), "{on_disk}");
    // Every other line is kept as it was.
    assert!(on_disk.starts_with("---\ntitle: 盾构掘进参数与管片错台难题\nkind: problem\n"));
    assert!(on_disk.ends_with("求掘进参数和错台修复的经验。\n"));
    // Searchable at once: the board shows the offer.
    let b = board(&app, None, "");
    assert_eq!(item(&b, PROBLEM)["helpers"][0]["accepted"], false);
    assert_eq!(item(&b, PROBLEM)["helpers"][0]["studio"]["name"], "李明桥梁创新工作室");
    // Twice is refused.
    assert_eq!(step(&app, Some(&u.bridge), PROBLEM, "help", help.clone()).status, 422);

    // Only A's publisher or staff accept, lead and move the state.
    let snapshot = file(&app, PROBLEM);
    for (action, body) in [
        ("accept", json!({"studio": "bridge-li"})),
        ("lead", json!({"studio": "bridge-li"})),
        ("state", json!({"state": "closed"})),
        ("solve", json!({"solved_by": [SOLUTION]})),
    ] {
        assert_eq!(step(&app, None, PROBLEM, action, body.clone()).status, 401, "{action}");
        assert_eq!(
            step(&app, Some(&u.member), PROBLEM, action, body.clone()).status,
            403,
            "{action}"
        );
        let r = step(&app, Some(&u.bridge), PROBLEM, action, body);
        assert_eq!(r.status, 403, "{action}: {}", r.body);
    }
    assert_eq!(file(&app, PROBLEM), snapshot, "refused steps write nothing");
    assert_eq!(versions(&app), 1);

    // A accepts and sets the lead: an open problem is then claimed.
    let r = step(&app, Some(&u.tunnel), PROBLEM, "accept", json!({"studio": "bridge-li"}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(file(&app, PROBLEM).contains("accepted: true"));
    assert_eq!(
        step(
            &app,
            Some(&u.tunnel),
            PROBLEM,
            "accept",
            json!({"studio": "power-chen"})
        )
        .status,
        422,
        "a studio that offered nothing"
    );
    let r = step(&app, Some(&u.tunnel), PROBLEM, "lead", json!({"studio": "power-chen"}));
    assert_eq!(r.status, 422, "a lead must be the studio or a helper: {}", r.body);
    let r = step(&app, Some(&u.tunnel), PROBLEM, "lead", json!({"studio": "bridge-li"}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "claimed");
    let on_disk = file(&app, PROBLEM);
    assert!(
        on_disk.contains("lead: bridge-li") && on_disk.contains("status: claimed"),
        "{on_disk}"
    );
    assert_eq!(item(&board(&app, None, ""), PROBLEM)["lead"]["id"], "bridge-li");

    // Bad transitions are a 422 with the reason, and write nothing.
    let snapshot = file(&app, PROBLEM);
    for (action, body, says) in [
        ("state", json!({"state": "claimed"}), "已是"),
        ("state", json!({"state": "finished"}), "不是难题状态"),
        ("state", json!({"state": "solved"}), "解决方案"),
        ("solve", json!({"solved_by": []}), "请填写"),
        ("solve", json!({"solved_by": [SECRET]}), "难题"),
        ("solve", json!({"solved_by": ["bridge-li/nothing-here"]}), "找不到记录"),
        (
            "solve",
            json!({"solved_by": [SOLUTION], "solved_date": "2099-01-01"}),
            "晚于今天",
        ),
        (
            "solve",
            json!({"solved_by": [SOLUTION], "solved_date": "2023-01-01"}),
            "早于",
        ),
        (
            "solve",
            json!({"solved_by": [SOLUTION], "solved_date": "昨天"}),
            "不是有效日期",
        ),
    ] {
        let r = step(&app, Some(&u.tunnel), PROBLEM, action, body.clone());
        assert_eq!(r.status, 422, "{action} {body}: {}", r.body);
        assert!(r.body.contains(says), "{action} {body}: {}", r.body);
    }
    assert_eq!(file(&app, PROBLEM), snapshot);

    let r = step(&app, Some(&u.tunnel), PROBLEM, "state", json!({"state": "in_progress"}));
    assert_eq!(r.status, 200, "{}", r.body);
    // Staff mark it solved with B's record.
    let r = step(&app, Some(&u.staff), PROBLEM, "solve", json!({"solved_by": SOLUTION}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "solved");
    assert_eq!(r.json()["solved_by"], json!([SOLUTION]));
    let solved_date = r.json()["solved_date"].as_str().unwrap().to_string();
    assert_eq!(solved_date.len(), 10);
    let on_disk = file(&app, PROBLEM);
    assert!(on_disk.contains("status: solved") && on_disk.contains(&format!("solved_date: {solved_date}")));
    assert!(on_disk.contains(SOLUTION));
    // A solved problem is final, and takes no more offers.
    let r = step(&app, Some(&u.staff), PROBLEM, "state", json!({"state": "open"}));
    assert_eq!(r.status, 422);
    assert!(r.body.contains("已解决的难题不能再改变状态"), "{}", r.body);
    assert_eq!(step(&app, Some(&u.bridge), PROBLEM, "help", help.clone()).status, 422);
    // Off the default board, on the solved one; counted as solved.
    assert!(!board_ids(&board(&app, None, "")).contains(&PROBLEM.to_string()));
    let solved = board(&app, None, "?state=solved");
    assert_eq!(item(&solved, PROBLEM)["status_label"], "已解决");
    assert_eq!(
        get_as(
            &app,
            None,
            "/api/search?kind=problem&status=solved&q=%E7%AE%A1%E7%89%87%E9%94%99%E5%8F%B0"
        )
        .json()["total"],
        1
    );
    // The solution's page says which problem it solved, linked.
    let page = get_as(&app, None, &format!("/records/{SOLUTION}")).body;
    assert!(page.contains("解决了难题："), "{page}");
    assert!(page.contains(&format!("href=\"/records/{PROBLEM}\">盾构掘进参数与管片错台难题</a>")));

    // History and audit hold each step, by whom, in order.
    let history = get_as(&app, Some(&u.staff), &format!("/history/{PROBLEM}")).body;
    for label in ["提出协助", "接受协助", "指定牵头", "更改状态", "标记为已解决"] {
        assert!(history.contains(label), "history lacks {label}");
    }
    assert_eq!(versions(&app), 5);
    let steps: Vec<(String, String)> = audit(&app)
        .iter()
        .filter(|l| l["id"] == PROBLEM)
        .map(|l| {
            (
                l["action"].as_str().unwrap().into(),
                l["actor"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("help", "pub-bridge"),
        ("accept_helper", "pub-tunnel"),
        ("set_lead", "pub-tunnel"),
        ("state", "pub-tunnel"),
        ("solve", "staff1"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(steps, expected);
    let help_line = audit(&app).into_iter().find(|l| l["action"] == "help").unwrap();
    assert_eq!(help_line["comment"], "可派两名盾构司机驻场，并提供掘进参数库");

    // `zhihui check` accepts every file the steps wrote.
    app.kill();
    let out = crate::support::run(&["check", "--content", "content"], &app.root);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(!said.contains("shield-problem"), "{said}");
}

#[test]
fn visitors_never_see_a_members_only_problem_its_count_or_hidden_suggestions() {
    let (app, u) = app();
    let anonymous = board(&app, None, "?state=all");
    let member = board(&app, Some(&u.member), "?state=all");
    assert!(!board_ids(&anonymous).contains(&SECRET.to_string()));
    assert!(board_ids(&member).contains(&SECRET.to_string()));
    assert_eq!(
        anonymous["total"].as_u64().unwrap() + 1,
        member["total"].as_u64().unwrap(),
        "the hidden problem is not counted for visitors"
    );
    assert_eq!(
        anonymous["by_state"]["open"].as_u64().unwrap() + 1,
        member["by_state"]["open"].as_u64().unwrap()
    );
    for path in [
        "/problems",
        "/problems?state=all",
        "/problems/print",
        "/problems?alliance=tunnel",
    ] {
        let page = get_as(&app, None, path).body;
        assert!(!page.contains("机密难题乙"), "{path}");
        let shown = get_as(&app, Some(&u.member), path).body;
        assert!(shown.contains("机密难题乙"), "{path} for a member");
    }
    let count = |page: &str| -> u64 {
        let at = page.find("共 ").unwrap() + "共 ".len();
        page[at..].split(' ').next().unwrap().parse().unwrap()
    };
    assert_eq!(
        count(&get_as(&app, None, "/problems").body) + 1,
        count(&get_as(&app, Some(&u.member), "/problems").body)
    );
    // A hidden problem answers like a missing one, to offers too.
    assert_eq!(get_as(&app, None, &format!("/records/{SECRET}")).status, 404);
    std::fs::write(
        app.content().join("tunnel-zhang/studio-problem.md"),
        "---\ntitle: 仅本室可见的难题\nkind: problem\nstudio: tunnel-zhang\ndate: 2024-02-01\nvisibility: studio\nstatus: open\n---\n\n正文。\n",
    )
    .unwrap();
    assert!(app.wait_for(std::time::Duration::from_secs(10), |a| {
        board_ids(&board(a, Some(&u.staff), "")).contains(&"tunnel-zhang/studio-problem".to_string())
    }));
    let r = step(
        &app,
        Some(&u.bridge),
        "tunnel-zhang/studio-problem",
        "help",
        json!({"comment": "帮忙"}),
    );
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(!board_ids(&board(&app, Some(&u.bridge), "")).contains(&"tunnel-zhang/studio-problem".to_string()));

    // Suggestions: existing records like the problem, never problems, and
    // only what the viewer may see; each says why.
    let suggested = |b: &Value| -> Vec<(String, String)> {
        item(b, PROBLEM)["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["id"].as_str().unwrap().to_string(),
                    s["kind"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let for_visitors = suggested(&anonymous);
    let for_members = suggested(&member);
    assert!(
        for_visitors.iter().any(|(id, _)| id == "tunnel-zhang/segment-repair"),
        "{for_visitors:?}"
    );
    assert!(
        !for_visitors.iter().any(|(id, _)| id == "tunnel-zhang/members-only"),
        "{for_visitors:?}"
    );
    assert!(
        for_members.iter().any(|(id, _)| id == "tunnel-zhang/members-only"),
        "{for_members:?}"
    );
    assert!(
        for_visitors
            .iter()
            .chain(&for_members)
            .all(|(_, kind)| kind != "problem")
    );
    let first = &item(&anonymous, PROBLEM)["suggestions"][0];
    assert!(!first["shared_words"].as_array().unwrap().is_empty(), "{first}");
    let page = get_as(&app, None, &format!("/records/{PROBLEM}")).body;
    assert!(page.contains("可能可用的已有成果") && page.contains("共有词："));
    assert!(
        !page.contains("联盟内部盾构掘进参数库"),
        "a members-only suggestion on a visitor's page"
    );
    assert!(
        get_as(&app, Some(&u.member), &format!("/records/{PROBLEM}"))
            .body
            .contains("联盟内部盾构掘进参数库")
    );

    // A solution's page names only the solved problems the viewer may see.
    std::fs::write(
        app.content().join("tunnel-zhang/secret-solved.md"),
        "---\ntitle: 成员可见的已解决难题丙\nkind: problem\nstudio: tunnel-zhang\ndate: 2024-02-01\nvisibility: members\nstatus: solved\nsolved_by: [tunnel-zhang/segment-repair]\nsolved_date: 2024-03-01\n---\n\n正文。\n",
    )
    .unwrap();
    assert!(app.wait_for(std::time::Duration::from_secs(10), |a| {
        board_ids(&board(a, Some(&u.member), "?state=solved")).contains(&"tunnel-zhang/secret-solved".to_string())
    }));
    let for_member = get_as(&app, Some(&u.member), "/records/tunnel-zhang/segment-repair").body;
    assert!(for_member.contains("解决了难题：") && for_member.contains("成员可见的已解决难题丙"));
    let for_visitor = get_as(&app, None, "/records/tunnel-zhang/segment-repair").body;
    assert!(!for_visitor.contains("成员可见的已解决难题丙") && !for_visitor.contains("解决了难题："));
}

#[test]
fn the_board_filters_and_refuses_unknown_values_with_a_reason() {
    let (app, u) = app();
    let all = board(&app, Some(&u.staff), "");
    let ids = board_ids(&all);
    // By alliance, among what each may see.
    assert_eq!(
        all["by_alliance"],
        json!([{"id": "tunnel", "name": "隧道工程创新工作室联盟", "count": 3}, {"id": "four-electric", "name": "四电工程创新工作室联盟", "count": 1}])
    );
    assert_eq!(board(&app, None, "")["by_alliance"][0]["count"], 2);
    // Default: the problems still being worked on, highest priority first.
    assert!(ids.contains(&PROBLEM.to_string()) && ids.contains(&"power-chen/open-problem".to_string()));
    assert_eq!(ids[0], PROBLEM, "high priority first: {ids:?}");
    assert_eq!(
        ids.last().unwrap(),
        "tunnel-zhang/overdue-problem",
        "low priority last: {ids:?}"
    );
    let overdue = item(&all, "tunnel-zhang/overdue-problem");
    assert_eq!(overdue["overdue"], true);
    assert!(overdue["age_days"].as_i64().unwrap() > 365);
    assert_eq!(item(&all, PROBLEM)["overdue"], false);
    assert_eq!(item(&all, PROBLEM)["alliances"][0]["id"], "tunnel");

    let only = |query: &str| board_ids(&board(&app, Some(&u.staff), query));
    assert_eq!(only("?overdue=1"), vec!["tunnel-zhang/overdue-problem"]);
    assert_eq!(only("?priority=low"), vec!["tunnel-zhang/overdue-problem"]);
    assert!(
        only("?alliance=four-electric")
            .iter()
            .all(|id| id.starts_with("power-chen/"))
    );
    assert!(!only("?alliance=four-electric").is_empty());
    assert!(!only("?alliance=tunnel").iter().any(|id| id.starts_with("power-chen/")));
    assert!(only("?state=solved").is_empty());
    assert!(only("?studio=bridge-li").is_empty());
    // A helping studio finds the problems it helps with.
    assert_eq!(
        step(&app, Some(&u.bridge), PROBLEM, "help", json!({"comment": "可以帮忙"})).status,
        200
    );
    assert_eq!(only("?studio=bridge-li"), vec![PROBLEM]);
    assert_eq!(only("?studio=bridge-li&priority=low"), Vec::<String>::new());

    for (query, says) in [
        ("?state=done", "状态“done”无效"),
        ("?priority=urgent", "优先级“urgent”无效"),
        ("?alliance=nowhere", "找不到联盟"),
        ("?studio=bridge-lee", "是否应为“bridge-li”"),
        ("?overdue=maybe", "取值“maybe”无效"),
    ] {
        let r = get_as(&app, None, &format!("/api/problems{query}"));
        assert_eq!(r.status, 400, "{query}");
        assert!(
            r.json()["error"].as_str().unwrap().contains(says),
            "{query}: {}",
            r.body
        );
        let page = get_as(&app, None, &format!("/problems{query}"));
        assert_eq!(page.status, 400, "{query}");
        assert!(page.body.contains(says), "{query}");
    }
    // Labels are the field table's Chinese words, never codes.
    let page = get_as(&app, None, "/problems").body;
    assert!(page.contains("优先级：高") && page.contains("待解决") && page.contains("已逾期"));
    assert!(!page.contains(">high<") && !page.contains(">open<"));
}

#[test]
fn the_board_forms_need_the_csrf_token_and_come_back() {
    let (app, _u) = app();
    let (cookie, csrf) = sign_in(&app, "pub-bridge");
    let post = |body: &str| {
        app.request(
            "POST",
            &format!("/problems/{PROBLEM}"),
            &[
                ("cookie", &cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Some(body.as_bytes()),
        )
        .unwrap()
    };
    let before = file(&app, PROBLEM);
    let r = post(&format!("action=help&comment={}&back=%2Fproblems", enc("派人")));
    assert_eq!(r.status, 403, "no CSRF token");
    assert_eq!(file(&app, PROBLEM), before);
    let r = post(&format!(
        "action=help&csrf={csrf}&comment={}&back={}",
        enc("派人支援"),
        enc("https://evil.example/")
    ));
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some(&*format!("/records/{PROBLEM}?done=help")));
    assert!(file(&app, PROBLEM).contains("派人支援"));
    let page = app
        .request(
            "GET",
            &format!("/records/{PROBLEM}?done=help"),
            &[("cookie", &cookie)],
            None,
        )
        .unwrap()
        .body;
    assert!(page.contains("已提出协助"));
    // A form error is a page that says what is wrong.
    let r = post(&format!(
        "action=help&csrf={csrf}&comment={}&back=%2Fproblems",
        enc("再来")
    ));
    assert_eq!(r.status, 422);
    assert!(r.body.contains("本工作室已在协作名单中"), "{}", r.body);
    // A problem with a Chinese id comes back to its own page.
    let id = "tunnel-zhang/渗水难题";
    std::fs::write(
        app.content().join(format!("{id}.md")),
        "---\ntitle: 中文编号的难题\nkind: problem\nstudio: tunnel-zhang\ndate: 2024-02-01\nvisibility: public\nstatus: open\n---\n\n正文。\n",
    )
    .unwrap();
    assert!(app.wait_for(std::time::Duration::from_secs(10), |a| {
        board_ids(&board(a, None, "")).contains(&id.to_string())
    }));
    let r = app
        .request(
            "POST",
            &format!("/problems/{}", enc(id).replace("%2F", "/")),
            &[
                ("cookie", &cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Some(
                format!(
                    "action=help&csrf={csrf}&comment={}&back={}",
                    enc("派人"),
                    enc(&format!("/records/{id}"))
                )
                .as_bytes(),
            ),
        )
        .unwrap();
    assert_eq!(r.status, 303, "{}", r.body);
    let back = r.header("location").unwrap().to_string();
    assert_eq!(back, format!("/records/{}?done=help", enc(id).replace("%2F", "/")));
    let page = app.request("GET", &back, &[("cookie", &cookie)], None).unwrap();
    assert_eq!(page.status, 200);
    assert!(page.body.contains("已提出协助") && page.body.contains("中文编号的难题"));
    // The same step as a form to the JSON route (scripts): the CSRF header.
    let r = app
        .request(
            "POST",
            &format!("/api/records/{PROBLEM}/help"),
            &[
                ("cookie", &cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Some(b"comment=x"),
        )
        .unwrap();
    assert_eq!(r.status, 403, "{}", r.body);
}

#[test]
fn in_chromium_the_board_filters_takes_help_shows_the_change_and_prints_on_a4() {
    let Some(binary) = chromium() else { return };
    let (app, _u) = app();
    let mut b = Browser::start(binary);
    b.viewport(390, 844, true);
    crate::chrome::sign_in(&mut b, &app, "pub-bridge", "/problems");
    let problems = |b: &mut Browser| -> Vec<String> {
        serde_json::from_value(b.eval("[...document.querySelectorAll('article.problem')].map(a => a.dataset.id)"))
            .unwrap()
    };
    let all = problems(&mut b);
    assert!(all.contains(&PROBLEM.to_string()) && all.contains(&"power-chen/open-problem".to_string()));
    // Every control of the filters and of the offer form is a 24 px target.
    let small = b.eval(
        "[...document.querySelectorAll('.board-filters select, .board-filters input, .board-filters button, .problem-action input:not([type=hidden]), .problem-action button')].filter(e => { const r = e.getBoundingClientRect(); return r.height < 24 || r.width < 24; }).map(e => e.name || e.textContent)",
    );
    assert_eq!(small, json!([]), "targets under 24 px");
    assert!(
        b.eval("document.querySelectorAll('.problem-action input[name=comment]').length")
            .as_u64()
            .unwrap()
            >= 1
    );
    // No sideways scroll on a phone.
    let widths = b.eval("[document.documentElement.scrollWidth, window.innerWidth]");
    assert!(
        widths[0].as_f64().unwrap() <= widths[1].as_f64().unwrap() + 1.0,
        "{widths}"
    );
    // Filter: the four-electric alliance only, through the form.
    b.eval("document.querySelector('select[name=alliance]').value = 'four-electric'; document.querySelector('form.board-filters').submit(); true");
    b.wait_for(
        "location.search.includes('alliance=four-electric') && document.readyState === 'complete'",
        "filtered",
    );
    assert_eq!(problems(&mut b), vec!["power-chen/open-problem".to_string()]);
    b.eval("document.querySelector('select[name=alliance]').value = ''; document.querySelector('select[name=priority]').value = 'low'; document.querySelector('form.board-filters').submit(); true");
    b.wait_for(
        "location.search.includes('priority=low') && document.readyState === 'complete'",
        "filtered by priority",
    );
    assert_eq!(problems(&mut b), vec!["tunnel-zhang/overdue-problem".to_string()]);
    assert_eq!(b.eval("document.querySelectorAll('.badge.overdue').length"), 1);

    // Offer help on the board; the page comes back with the change shown.
    b.goto(&format!("{}/problems", app.base));
    let form = format!("article[data-id='{PROBLEM}'] form.help");
    assert_eq!(b.eval(&format!("!!document.querySelector(\"{form}\")")), true);
    b.eval(&format!(
        "document.querySelector(\"{form} input[name=comment]\").value = '可提供挂篮施工经验'; document.querySelector(\"{form}\").submit(); true"
    ));
    b.wait_for(
        "location.search.includes('done=help') && document.readyState === 'complete'",
        "offered",
    );
    let helpers = b.eval(&format!(
        "document.querySelector(\"article[data-id='{PROBLEM}'] .helpers\").textContent"
    ));
    assert!(
        helpers.as_str().unwrap().contains("李明桥梁创新工作室（待接受）"),
        "{helpers}"
    );
    assert_eq!(
        b.eval(&format!("!!document.querySelector(\"{form}\")")),
        false,
        "offered once"
    );
    assert!(file(&app, PROBLEM).contains("可提供挂篮施工经验"));

    // A's publisher accepts and sets the lead on the record's page.
    let mut a = Browser::start(binary);
    a.viewport(1280, 900, false);
    crate::chrome::sign_in(&mut a, &app, "pub-tunnel", &format!("/records/{PROBLEM}"));
    a.eval("document.querySelector('form.accept').submit(); true");
    a.wait_for(
        "location.search.includes('done=accept_helper') && document.readyState === 'complete'",
        "accepted",
    );
    a.eval("document.querySelector('form.lead select').value = 'bridge-li'; document.querySelector('form.lead').submit(); true");
    a.wait_for(
        "location.search.includes('done=set_lead') && document.readyState === 'complete'",
        "lead set",
    );
    let state = a.eval("document.querySelector('article.problem .badge.state').textContent");
    assert_eq!(state, "已认领");
    let lead = a.eval("document.querySelector('article.problem .lead').textContent");
    assert_eq!(lead, "李明桥梁创新工作室");
    // B sees the new state on the board.
    b.goto(&format!("{}/problems", app.base));
    let state = b.eval(&format!(
        "document.querySelector(\"article[data-id='{PROBLEM}'] .badge.state\").textContent"
    ));
    assert_eq!(state, "已认领");

    // The list for the alliance meeting prints on A4 (landscape), every
    // problem in a row with the head repeated.
    b.goto(&format!("{}/problems/print", app.base));
    b.wait_for("document.fonts.status === 'loaded'", "fonts");
    let rows = b.eval("document.querySelectorAll('table.print-list tbody tr').length");
    assert_eq!(rows.as_u64().unwrap() as usize, all.len());
    let pdf = b.print_pdf();
    let doc = lopdf::Document::load_mem(&pdf).expect("a PDF");
    let pages = doc.get_pages();
    assert!(!pages.is_empty());
    for &page in pages.values() {
        let dict = doc.get_dictionary(page).unwrap();
        let media = dict.get(b"MediaBox").unwrap().as_array().unwrap();
        let n = |i: usize| {
            media[i]
                .as_float()
                .or_else(|_| media[i].as_i64().map(|v| v as f32))
                .unwrap()
        };
        let (w, h) = (n(2) - n(0), n(3) - n(1));
        assert!(
            (w - 842.0).abs() < 2.0 && (h - 595.0).abs() < 2.0,
            "A4 landscape is 842×595 pt, got {w}×{h}"
        );
    }
    let text = pdf_extract::extract_text_from_mem(&pdf).unwrap_or_default();
    assert!(text.contains("过堂"), "{text}");
}

#[test]
fn board_fields_are_checked_when_published_and_kept_by_the_form() {
    let (app, u) = app();
    let problem = |extra: &str| {
        format!(
            "---\ntitle: 新难题\nkind: problem\nstudio: tunnel-zhang\ndate: 2025-05-05\nvisibility: public\n{extra}---\n\n正文。\n"
        )
    };
    for (extra, field, says) in [
        ("status: open\nlead: bridg-li\n", "lead", "是否应为“bridge-li”"),
        (
            "status: open\nhelpers: [tunnel-zhang]\n",
            "helpers",
            "就是提出难题的工作室",
        ),
        ("status: open\nhelpers: [bridge-li, bridge-li]\n", "helpers", "重复"),
        (
            "status: open\nhelpers: [power-chan]\n",
            "helpers",
            "是否应为“power-chen”",
        ),
        ("status: open\npriority: urgent\n", "priority", "不是可选值"),
        ("status: open\ndue: 2025-01-01\n", "due", "早于"),
        (
            "status: open\nsolved_by: [bridge-li/hanging-basket]\n",
            "solved_by",
            "只有已解决",
        ),
        (
            "status: solved\nsolved_by: [power-chen/open-problem]\n",
            "solved_by",
            "是另一个难题",
        ),
    ] {
        let r = crate::publish::put(&app, &u.staff, "tunnel-zhang/new-problem", &problem(extra), &[]);
        assert_eq!(r.status, 422, "{extra}: {}", r.body);
        let errors = r.json()["errors"].as_array().unwrap().clone();
        assert!(
            errors
                .iter()
                .any(|e| e["field"] == field && e["message"].as_str().unwrap().contains(says)),
            "{extra}: {errors:?}"
        );
    }
    assert!(!app.content().join("tunnel-zhang/new-problem.md").exists());
    // A problem as the spec first wrote it is still fine.
    let r = crate::publish::put(
        &app,
        &u.staff,
        "tunnel-zhang/new-problem",
        &problem("status: open\n"),
        &[],
    );
    assert_eq!(r.status, 201, "{}", r.body);

    // The form shows a problem's board fields and keeps them when saved.
    let r = step(&app, Some(&u.bridge), PROBLEM, "help", json!({"comment": "可以帮忙"}));
    assert_eq!(r.status, 200);
    let offered_on = r.json()["helpers"][0]["date"].as_str().unwrap().to_string();
    let (cookie, csrf) = sign_in(&app, "staff1");
    let page = app
        .request(
            "GET",
            &format!("/publish?id={}", enc(PROBLEM)),
            &[("cookie", &cookie)],
            None,
        )
        .unwrap()
        .body;
    let line = format!("bridge-li | 可以帮忙 | {offered_on} | 待接受");
    assert!(page.contains(&line), "{line}");
    assert!(page.contains("<option value=\"high\" selected>高</option>"));
    assert!(page.contains("name=\"due\" type=\"date\"") && page.contains("value=\"2099-12-31\""));
    assert!(page.contains("牵头工作室") && page.contains("协作工作室"));
    let body = [
        ("csrf", csrf.as_str()),
        ("id", PROBLEM),
        ("kind", "problem"),
        ("title", "盾构掘进参数与管片错台难题（修订）"),
        ("studio", "tunnel-zhang"),
        ("date", "2024-01-10"),
        ("visibility", "public"),
        ("status", "open"),
        ("priority", "medium"),
        ("due", "2099-12-31"),
        ("helpers", line.as_str()),
        ("body", "修订后的正文。"),
        ("action", "submit"),
    ]
    .iter()
    .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
    .collect::<Vec<_>>()
    .join("&");
    let r = app
        .request(
            "POST",
            "/publish",
            &[
                ("cookie", &cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Some(body.as_bytes()),
        )
        .unwrap();
    assert_eq!(r.status, 303, "{}", r.body);
    let record = get_as(&app, None, &format!("/api/records/{PROBLEM}")).json();
    assert_eq!(record["priority"], "medium");
    assert_eq!(record["helpers"][0]["studio"], "bridge-li");
    assert_eq!(record["helpers"][0]["accepted"], false);
    assert_eq!(record["helpers"][0]["comment"], "可以帮忙");
    assert_eq!(record["helpers"][0]["date"], offered_on);
}

#[test]
fn a_step_needs_no_review_and_reaches_a_change_waiting_for_it() {
    let (app, u) = app();
    // A's publisher changes the published problem: the change waits.
    let changed = file(&app, PROBLEM).replace("求掘进参数和错台修复的经验。", "补充：已换用新型盾尾刷。");
    let r = crate::publish::put(&app, &u.tunnel, PROBLEM, &changed, &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    let waiting = app.content().join("tunnel-zhang/.shield-problem.pending.md");
    assert!(waiting.is_file());
    // B's offer is written to the published file at once, and to the change.
    let r = step(&app, Some(&u.bridge), PROBLEM, "help", json!({"comment": "派人支援"}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["pending"], Value::Null);
    let published = file(&app, PROBLEM);
    assert!(
        published.contains("派人支援") && !published.contains("review:"),
        "{published}"
    );
    assert!(!published.contains("新型盾尾刷"), "the change still waits");
    let pending = std::fs::read_to_string(&waiting).unwrap();
    assert!(pending.contains("派人支援") && pending.contains("review: pending") && pending.contains("新型盾尾刷"));
    // Approving the change keeps the offer.
    let r = post_as(&app, &u.staff, &format!("/api/records/{PROBLEM}/approve"), &json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    let published = file(&app, PROBLEM);
    assert!(
        published.contains("派人支援") && published.contains("新型盾尾刷"),
        "{published}"
    );

    // A problem awaiting review stays so through a step of its own studio,
    // and is not there for other studios to help with.
    let new = "---\ntitle: 待审的难题\nkind: problem\nstudio: tunnel-zhang\ndate: 2025-05-05\nvisibility: public\nstatus: open\n---\n\n正文。\n";
    assert_eq!(
        crate::publish::put(&app, &u.tunnel, "tunnel-zhang/waiting-problem", new, &[]).status,
        201
    );
    let r = step(
        &app,
        Some(&u.bridge),
        "tunnel-zhang/waiting-problem",
        "help",
        json!({"comment": "帮忙"}),
    );
    assert_eq!(r.status, 404, "{}", r.body);
    let r = step(
        &app,
        Some(&u.tunnel),
        "tunnel-zhang/waiting-problem",
        "state",
        json!({"state": "closed"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let text = file(&app, "tunnel-zhang/waiting-problem");
    assert!(
        text.contains("status: closed") && text.contains("review: pending"),
        "{text}"
    );
    assert!(!board_ids(&board(&app, None, "?state=all")).contains(&"tunnel-zhang/waiting-problem".to_string()));
    // A step on a record that is not a problem is refused.
    let r = step(&app, Some(&u.staff), SOLUTION, "state", json!({"state": "closed"}));
    assert_eq!(r.status, 422, "{}", r.body);
}

#[test]
fn the_board_its_print_list_and_a_problem_page_switch_to_english() {
    let (app, u) = app();
    let offered = step(
        &app,
        Some(&u.bridge),
        PROBLEM,
        "help",
        json!({"comment": "提供管片修复经验"}),
    );
    assert_eq!(offered.status, 200, "{}", offered.body);
    let record = format!("/records/{PROBLEM}");
    // Chinese strings of the board, its item, the print list and a
    // problem's page; none may stay on the English pages.
    let chinese = [
        "劳模帮帮团",
        "难题榜",
        "一家有难题",
        "全部联盟",
        "未解决（默认）",
        "只看已逾期",
        "打印过堂清单",
        "按联盟",
        "优先级",
        "已逾期",
        "北京时间",
        "牵头",
        "协作",
        "待接受",
        "提出协助",
        "我们来帮忙",
        "接受 ",
        "指定牵头",
        "更改状态",
        "状态改为",
        "标记为已解决",
        "可能可用的已有成果",
        "共有词",
        "过堂",
        "序号",
        "打印日期",
        "已发布",
        "返回难题榜",
        "对接申请",
        "已提出协助",
    ];
    let no_chinese = |what: &str, page: &str| {
        for zh in chinese {
            assert!(!page.contains(zh), "{what} still says {zh}: {page}");
        }
    };

    // The board, as the problem's studio (it manages) and as the helper.
    let own = get_as(&app, Some(&u.tunnel), "/problems?lang=en&done=help");
    assert_eq!(own.status, 200, "{}", own.body);
    for en in [
        "<html lang=\"en\"",
        "Model-worker help team · Problem board",
        "All alliances",
        "Unsolved (default)",
        "Overdue only",
        "Print the meeting list (A4)",
        "Beijing time",
        "Priority: ",
        "Raised by",
        "Lead",
        "Helpers",
        "(offer pending)",
        "Accept help from 李明桥梁创新工作室",
        "Set the lead",
        "Overdue",
        "Help offered: waiting for the problem",
        "Adoption requests",
    ] {
        assert!(own.body.contains(en), "the board lacks {en}: {}", own.body);
    }
    assert!(own.body.contains(" problems</strong>"), "{}", own.body);
    no_chinese("the board", &own.body);
    // The helper may still offer help on the overdue problem.
    let other = get_as(&app, Some(&u.bridge), "/problems?lang=en");
    assert!(other.body.contains("Offer help"), "{}", other.body);
    assert!(other.body.contains("We can help: what we offer"));
    no_chinese("the board for another studio", &other.body);

    // The printed list.
    let print = get_as(&app, Some(&u.member), "/problems/print?lang=en");
    assert_eq!(print.status, 200, "{}", print.body);
    for en in [
        "<html lang=\"en\">",
        "Problem meeting list",
        "← Back to the problem board",
        "Alliance meeting · problems, item by item",
        "Unsolved · ",
        "overdue · Printed",
        "Raised by / alliance",
        "Meeting notes",
        "(offer pending)",
        " days</td>",
    ] {
        assert!(print.body.contains(en), "the print list lacks {en}: {}", print.body);
    }
    no_chinese("the print list", &print.body);

    // A problem's page.
    let page = get_as(&app, Some(&u.tunnel), &format!("{record}?lang=en&done=help"));
    assert_eq!(page.status, 200, "{}", page.body);
    for en in [
        "Model-worker help team",
        "See the problem board",
        "Posted",
        "days ago",
        "Accept help from",
        "Help offered",
    ] {
        assert!(page.body.contains(en), "the record page lacks {en}: {}", page.body);
    }
    no_chinese("the record page", &page.body);

    // Chinese stays the default, word for word.
    let zh = get_as(&app, Some(&u.tunnel), "/problems?done=help").body;
    for s in [
        "劳模帮帮团 · 难题榜",
        "打印过堂清单（A4）",
        "只看已逾期",
        "（截至 ",
        "（待接受）",
        "接受 李明桥梁创新工作室 的协助",
        "指定牵头",
        "已提出协助，等待难题所在工作室接受",
        "对接申请",
    ] {
        assert!(zh.contains(s), "the Chinese board lacks {s}");
    }
    let zh = get_as(&app, None, "/problems/print").body;
    for s in [
        "联盟例会 · 难题逐项过堂清单",
        "过堂意见",
        "未解决 · 共 ",
        "打印日期",
        "<html lang=\"zh-CN\">",
    ] {
        assert!(zh.contains(s), "the Chinese print list lacks {s}: {zh}");
    }
    let zh = get_as(&app, Some(&u.tunnel), &record).body;
    for s in ["<h2>劳模帮帮团</h2>", "查看难题榜", "（已 ", "牵头"] {
        assert!(zh.contains(s), "the Chinese record page lacks {s}");
    }
}
