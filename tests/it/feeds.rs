//! Atom feeds, read back with `atom_syndication`: the required elements,
//! only what a visitor may see, filtering by alliance, studio, kind and
//! search, open problems, changed records first, stable ids, public
//! links, and the pages that point to them.

use atom_syndication::Feed;

use crate::publish::{app_with_users, put};
use crate::support::{TestApp, enc, ids};

/// Records no visitor may see, in any feed.
const HIDDEN: [&str; 3] = [
    "tunnel-zhang/members-only",
    "tunnel-zhang/studio-only",
    "tunnel-zhang/default-visibility",
];

fn feed(app: &TestApp, path: &str) -> Feed {
    let r = app.get(path);
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    assert_eq!(
        r.header("content-type"),
        Some("application/atom+xml; charset=utf-8"),
        "{path}"
    );
    let feed: Feed = r
        .body
        .parse()
        .unwrap_or_else(|e| panic!("{path}: not Atom ({e}): {}", r.body));
    validate(path, &feed);
    feed
}

/// What RFC 4287 requires of a feed and its entries, and what readers need.
fn validate(path: &str, feed: &Feed) {
    assert!(feed.id().starts_with("urn:zhihui:feed:"), "{path}: {}", feed.id());
    assert!(feed.title().as_str().starts_with("智汇 · "), "{path}");
    assert!(feed.updated().timestamp() > 0, "{path}");
    assert!(feed.links().iter().any(|l| l.rel() == "self"), "{path}");
    assert!(feed.entries().len() <= 50, "{path}");
    for e in feed.entries() {
        assert!(e.id().starts_with("urn:zhihui:record:"), "{path}: {}", e.id());
        assert!(!e.title().as_str().is_empty(), "{path}");
        assert!(e.updated().timestamp() > 0, "{path}");
        assert_eq!(e.updated().offset().local_minus_utc(), 8 * 3600, "Beijing time");
        assert!(e.published().is_some_and(|p| p <= e.updated()), "{path}");
        let link = &e.links()[0];
        assert_eq!(link.rel(), "alternate");
        assert!(link.href().contains("/records/"), "{path}: {}", link.href());
        assert!(!e.authors().is_empty(), "{path}");
    }
}

/// Record ids of a feed, in its order.
fn record_ids(feed: &Feed) -> Vec<String> {
    feed.entries()
        .iter()
        .map(|e| {
            let id = e.id().strip_prefix("urn:zhihui:record:").unwrap();
            id.split('/')
                .map(|p| {
                    form_urlencoded::parse(format!("x={p}").as_bytes())
                        .next()
                        .unwrap()
                        .1
                        .into_owned()
                })
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn feeds_hold_what_visitors_see_filtered_as_named() {
    let (app, u) = app_with_users();
    // Hand counts over the fixture's public records.
    let all = feed(&app, "/feeds/records.atom");
    assert_eq!(all.title().as_str(), "智汇 · 最新记录");
    assert_eq!(
        sorted(record_ids(&all)),
        [
            "bridge-li/anchor-patent",
            "bridge-li/hanging-basket",
            "bridge-li/long-method",
            "power-chen/catenary-manual",
            "power-chen/open-problem",
            "tunnel-zhang/grouting-qc",
            "tunnel-zhang/segment-repair",
        ]
    );
    // Newest first, by the record's date.
    assert_eq!(record_ids(&all)[0], "power-chen/open-problem");
    let tunnel = feed(&app, "/feeds/alliances/tunnel.atom");
    assert_eq!(tunnel.title().as_str(), "智汇 · 隧道工程创新工作室联盟 · 最新记录");
    assert_eq!(record_ids(&tunnel).len(), 5);
    assert!(
        record_ids(&tunnel)
            .iter()
            .all(|id| id.starts_with("tunnel-zhang/") || id.starts_with("bridge-li/"))
    );
    let electric = feed(&app, "/feeds/alliances/four-electric.atom");
    assert_eq!(
        sorted(record_ids(&electric)),
        ["power-chen/catenary-manual", "power-chen/open-problem"]
    );
    let studio = feed(&app, "/feeds/studios/bridge-li.atom");
    assert_eq!(studio.title().as_str(), "智汇 · 李明桥梁创新工作室 · 最新记录");
    assert_eq!(record_ids(&studio).len(), 3);
    assert_eq!(studio.entries()[0].authors()[0].name(), "李明桥梁创新工作室");
    let methods = feed(&app, "/feeds/kinds/method.atom");
    assert_eq!(methods.title().as_str(), "智汇 · 工法 · 最新记录");
    assert_eq!(
        sorted(record_ids(&methods)),
        [
            "bridge-li/hanging-basket",
            "bridge-li/long-method",
            "power-chen/catenary-manual",
            "tunnel-zhang/segment-repair",
        ]
    );
    assert!(
        methods
            .entries()
            .iter()
            .all(|e| e.categories()[0].label() == Some("工法"))
    );
    // Query parameters do the same, combined.
    let both = feed(&app, "/feeds/records.atom?alliance=tunnel&kind=method");
    assert_eq!(
        sorted(record_ids(&both)),
        [
            "bridge-li/hanging-basket",
            "bridge-li/long-method",
            "tunnel-zhang/segment-repair"
        ]
    );
    // A saved search: the search's own matches, as a visitor.
    for q in ["管片", "接触网", "kind:method 挂篮"] {
        let path = format!("/search.atom?q={}", enc(q));
        let saved = feed(&app, &path);
        assert!(saved.title().as_str().contains(q), "{q}");
        let found = ids(&app.search(&format!("q={}&per_page=100", enc(q))));
        assert!(!found.is_empty(), "{q}");
        assert_eq!(sorted(record_ids(&saved)), sorted(found), "{q}");
    }
    let filtered = feed(&app, &format!("/search.atom?q={}&studio=power-chen", enc("接触网")));
    assert!(record_ids(&filtered).iter().all(|id| id.starts_with("power-chen/")));
    assert_eq!(record_ids(&filtered).len(), 2);
    // A word only members' records hold finds nothing in a feed.
    let secret = feed(&app, &format!("/search.atom?q={}", enc("机密词丙")));
    assert!(secret.entries().is_empty());
    // Unknown names are 404, not empty feeds.
    for path in [
        "/feeds/alliances/nowhere.atom",
        "/feeds/studios/nobody.atom",
        "/feeds/kinds/poem.atom",
        "/feeds/alliances/tunnel.rss",
        "/feeds/things/tunnel.atom",
        "/feeds/alliances/nowhere/problems.atom",
        "/feeds/problems.atom?alliance=nowhere",
        "/feeds/records.atom?alliance=nowhere",
        "/feeds/records.atom?studio=nobody",
        "/feeds/records.atom?kind=poem",
        "/feeds/records.atom?kind=%E4",
        "/feeds/records.atom?kind=method&studio=nobody",
    ] {
        assert_eq!(app.get(path).status, 404, "{path}");
    }

    // No hidden record in any feed, even when the request is signed in.
    let paths = [
        "/feeds/records.atom",
        "/feeds/alliances/tunnel.atom",
        "/feeds/studios/tunnel-zhang.atom",
        "/feeds/kinds/achievement.atom",
        "/search.atom",
        "/feeds/problems.atom",
    ];
    for path in paths {
        let signed_in = app
            .request("GET", path, &[("authorization", &format!("Bearer {}", u.staff))], None)
            .unwrap();
        let feed: Feed = signed_in.body.parse().unwrap();
        let found = record_ids(&feed);
        for hidden in HIDDEN {
            assert!(!found.iter().any(|id| id == hidden), "{path} holds {hidden}");
        }
    }
    let studio_feed = record_ids(&feed(&app, "/feeds/studios/tunnel-zhang.atom"));
    assert_eq!(
        sorted(studio_feed),
        ["tunnel-zhang/grouting-qc", "tunnel-zhang/segment-repair"]
    );

    // A changed old record comes first, updated after its date; a
    // submission waiting for review changes nothing.
    let old = "bridge-li/hanging-basket";
    let text = std::fs::read_to_string(app.content().join("bridge-li/hanging-basket.md")).unwrap();
    let r = put(
        &app,
        &u.staff,
        old,
        &text.replace("挂篮悬臂浇筑连续梁，待处理事项包括线形控制。", "新增摘要"),
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let pending = put(
        &app,
        &u.tunnel,
        "tunnel-zhang/new-public",
        &crate::publish::record("tunnel-zhang", "待审核的新成果", "待审词", "public"),
        &[],
    );
    assert_eq!(pending.status, 201, "{}", pending.body);
    let changed = feed(&app, "/feeds/records.atom");
    assert_eq!(record_ids(&changed)[0], old);
    let first = &changed.entries()[0];
    assert!(first.updated() > first.published().unwrap());
    assert!(first.summary().unwrap().as_str().contains("新增摘要"));
    assert!(!record_ids(&changed).iter().any(|id| id == "tunnel-zhang/new-public"));
    assert_eq!(changed.updated(), first.updated());
    assert_eq!(record_ids(&feed(&app, "/feeds/studios/bridge-li.atom"))[0], old);
    assert_eq!(
        record_ids(&feed(&app, "/feeds/studios/power-chen.atom")).len(),
        2,
        "not another studio's"
    );
    // The members-only record edited by staff stays out.
    let members = std::fs::read_to_string(app.content().join("tunnel-zhang/members-only.md")).unwrap();
    let r = put(
        &app,
        &u.staff,
        "tunnel-zhang/members-only",
        &members.replace("\n---\n", "\nsummary: 改过\n---\n"),
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        !record_ids(&feed(&app, "/feeds/records.atom"))
            .iter()
            .any(|id| id == "tunnel-zhang/members-only")
    );
}

#[test]
fn open_problems_per_alliance_and_stable_public_links() {
    let dir = crate::support::fixture_copy("basic");
    let folder = dir.path().join("content/power-chen");
    let problem = |name: &str, status: &str, visibility: &str, date: &str| {
        let text = format!(
            "---\ntitle: 难题{name}\nkind: problem\nstudio: power-chen\ndate: {date}\nvisibility: {visibility}\nstatus: {status}\ntags: [难题]\n---\n\n难题{name}的描述。\n"
        );
        std::fs::write(folder.join(format!("{name}.md")), text).unwrap();
    };
    problem("solved", "solved", "public", "2025-02-01");
    problem("secret", "open", "members", "2025-02-02");
    problem("newer", "open", "public", "2025-03-01");
    // Another alliance's problem.
    let folder = dir.path().join("content/bridge-li");
    std::fs::write(
        folder.join("claimed.md"),
        "---\ntitle: 桥梁难题\nkind: problem\nstudio: bridge-li\ndate: 2024-12-01\nvisibility: public\nstatus: open\n---\n\n桥梁的难题。\n",
    )
    .unwrap();
    let app = TestApp::serve_with(dir, &["--public-url", "https://zhihui.example.cn/"]);
    let electric = feed(&app, "/feeds/alliances/four-electric/problems.atom");
    assert_eq!(electric.title().as_str(), "智汇 · 四电工程创新工作室联盟 · 待解决难题");
    assert_eq!(
        record_ids(&electric),
        ["power-chen/newer", "power-chen/open-problem"],
        "open, public, newest first"
    );
    let same = feed(&app, "/feeds/problems.atom?alliance=four-electric");
    assert_eq!(record_ids(&same), record_ids(&electric));
    assert_eq!(same.id(), electric.id(), "one feed, one id");
    let tunnel = feed(&app, "/feeds/alliances/tunnel/problems.atom");
    assert_eq!(record_ids(&tunnel), ["bridge-li/claimed"]);
    let every = feed(&app, "/feeds/problems.atom");
    assert_eq!(record_ids(&every).len(), 3);
    // Links use --public-url; ids do not depend on the address used.
    let entry = &electric.entries()[0];
    assert_eq!(
        entry.links()[0].href(),
        "https://zhihui.example.cn/records/power-chen/newer"
    );
    assert!(
        electric.links().iter().any(|l| l.rel() == "self"
            && l.href() == "https://zhihui.example.cn/feeds/alliances/four-electric/problems.atom")
    );
    let again = app
        .request(
            "GET",
            "/feeds/alliances/four-electric/problems.atom",
            &[("host", "other.example:8080")],
            None,
        )
        .unwrap();
    let again: Feed = again.body.parse().unwrap();
    assert_eq!(again.entries()[0].id(), entry.id());
    assert_eq!(again.entries()[0].updated(), entry.updated());
    assert_eq!(entry.updated().to_rfc3339(), "2025-03-01T00:00:00+08:00");
}

#[test]
fn pages_point_to_their_feeds() {
    let app = TestApp::start("basic");
    let alternate = |path: &str| -> Vec<String> {
        let body = app.get(path).body;
        body.split("<link rel=\"alternate\" type=\"application/atom+xml\"")
            .skip(1)
            .map(|rest| {
                rest.split("href=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
                    .replace("&amp;", "&")
                    .replace("&#38;", "&")
            })
            .collect()
    };
    let search = alternate(&format!("/search?q={}&kind=method&page=2&sort=newest", enc("管片")));
    assert_eq!(search, [format!("/search.atom?q={}&kind=method", enc("管片"))]);
    assert_eq!(alternate("/search"), ["/search.atom"]);
    assert_eq!(alternate("/studios/bridge-li"), ["/feeds/studios/bridge-li.atom"]);
    assert_eq!(
        alternate("/alliances/tunnel"),
        ["/feeds/alliances/tunnel.atom", "/feeds/alliances/tunnel/problems.atom"]
    );
    // Each link answers a feed.
    for path in search.iter().chain(&alternate("/alliances/tunnel")) {
        feed(&app, path);
    }
}
