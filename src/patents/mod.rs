//! The patent watch (专利服务): for every patent a viewer may watch, the
//! next annual-fee date, the day its term ends and how long an
//! application has waited, gathered into what falls due in the next days,
//! what lapses soon and what has waited long, with a studio and alliance
//! for each; and the same dates as an iCalendar feed.
//!
//! Who watches what: staff every patent, a studio's publisher their own
//! studio's (the watch is a management task, so members and visitors have
//! none). The patents come from a search, so the visibility rule of the
//! index applies on top (`from_index`); `zhihui patents due` reads the
//! files instead (`from_files`), since it runs beside a server that holds
//! the index. The dates themselves are pure functions in `dates`.

pub mod dates;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use time::{Date, OffsetDateTime};

use crate::auth::{Role, Viewer};
use crate::content::load::{self, Profiles};
use crate::content::{Document, Kind, Section, parse_document};
use crate::search::{Card, Engine, FacetField, SearchError};

/// What the watch needs of one patent record.
#[derive(Debug, Clone)]
pub struct PatentFacts {
    pub id: String,
    pub title: String,
    pub studio: String,
    pub patent_type: Option<String>,
    pub status: Option<String>,
    pub application_no: Option<String>,
    pub filing_date: Option<Date>,
    pub grant_date: Option<Date>,
}

impl PatentFacts {
    pub fn of_card(card: &Card) -> PatentFacts {
        PatentFacts {
            id: card.id.clone(),
            title: card.title.clone(),
            studio: card.studio.clone(),
            patent_type: card.patent_type.clone(),
            status: card.status.clone(),
            application_no: card.code.clone(),
            filing_date: card.filing_date.as_deref().and_then(dates::parse_date),
            grant_date: card.grant_date.as_deref().and_then(dates::parse_date),
        }
    }
}

/// One patent with its computed dates.
#[derive(Debug, Clone, Serialize)]
pub struct Watched {
    pub id: String,
    pub title: String,
    pub studio: String,
    pub studio_name: String,
    /// The studio's alliances (ids).
    pub alliances: Vec<String>,
    pub patent_type: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", with = "iso_date::option")]
    pub filing_date: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none", with = "iso_date::option")]
    pub grant_date: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none", with = "iso_date::option")]
    pub term_end: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none", with = "iso_date::option")]
    pub next_fee: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_pending: Option<i64>,
    /// Days from today to the date the list it is in is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_left: Option<i64>,
}

/// How far ahead and how far back the watch looks.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub today: Date,
    /// Annual fees due within this many days.
    pub within: i64,
    /// Terms ending within this many days.
    pub lapse_within: i64,
    /// Applications pending for more than this many days.
    pub pending_over: i64,
    pub studio: Option<String>,
    pub alliance: Option<String>,
}

pub const DEFAULT_WITHIN: i64 = 60;
pub const DEFAULT_LAPSE_WITHIN: i64 = 365;
pub const DEFAULT_PENDING_OVER: i64 = 730;
/// The furthest any window may look (ten years), so a typo of a few zeros
/// cannot ask for dates no patent has.
pub const MAX_DAYS: i64 = 3660;

impl WatchOptions {
    pub fn new(today: Date) -> WatchOptions {
        WatchOptions {
            today,
            within: DEFAULT_WITHIN,
            lapse_within: DEFAULT_LAPSE_WITHIN,
            pending_over: DEFAULT_PENDING_OVER,
            studio: None,
            alliance: None,
        }
    }
}

/// The watch: three lists, each soonest (or longest waiting) first.
#[derive(Debug, Clone, Serialize)]
pub struct Watch {
    #[serde(with = "iso_date")]
    pub today: Date,
    pub within: i64,
    pub lapse_within: i64,
    pub pending_over: i64,
    /// Annual fees due within `within` days.
    pub fees_due: Vec<Watched>,
    /// Granted patents whose term ends within `lapse_within` days.
    pub lapsing: Vec<Watched>,
    /// Applications pending longer than `pending_over` days.
    pub long_pending: Vec<Watched>,
    /// Every patent looked at, with its dates (the calendar's source).
    #[serde(skip)]
    pub all: Vec<Watched>,
}

/// Today in Beijing time, the day every date here is counted in.
pub fn today_in_beijing() -> Date {
    OffsetDateTime::now_utc().to_offset(crate::content::BEIJING).date()
}

/// Whether a viewer has a patent watch, and over which studio: `Some(None)`
/// for staff (every studio), `Some(Some(id))` for a studio's publisher.
pub fn scope(viewer: &Viewer) -> Option<Option<&str>> {
    match &viewer.role {
        Role::Staff => Some(None),
        Role::Publisher { studio } => Some(Some(studio.as_str())),
        _ => None,
    }
}

/// A patent's term end and next annual-fee date (on or after `today`),
/// as far as its type, filing date and status tell.
pub fn term_and_fee(
    patent_type: Option<&str>,
    filing: Option<Date>,
    status: Option<&str>,
    today: Date,
) -> (Option<Date>, Option<Date>) {
    match (patent_type.and_then(dates::PatentType::parse), filing) {
        (Some(kind), Some(filed)) => (
            Some(dates::term_end(kind, filed)),
            dates::next_fee(kind, filed, status.unwrap_or(""), today),
        ),
        _ => (None, None),
    }
}

/// A content date as a calendar date.
pub fn to_date(date: crate::content::Date) -> Option<Date> {
    let month = time::Month::try_from(u8::try_from(date.month).ok()?).ok()?;
    Date::from_calendar_date(date.year, month, u8::try_from(date.day).ok()?).ok()
}

/// Computes each patent's dates and sorts them into the watch's lists.
pub fn watch(facts: &[PatentFacts], profiles: &Profiles, options: &WatchOptions) -> Watch {
    let today = options.today;
    let mut all = Vec::new();
    for fact in facts {
        let studio = profiles.studios.get(&fact.studio);
        if options.studio.as_ref().is_some_and(|s| *s != fact.studio)
            || options
                .alliance
                .as_ref()
                .is_some_and(|a| !studio.is_some_and(|s| s.alliances.contains(a)))
        {
            continue;
        }
        let status = fact.status.clone().unwrap_or_default();
        let (term_end, next_fee) = term_and_fee(fact.patent_type.as_deref(), fact.filing_date, Some(&status), today);
        all.push(Watched {
            id: fact.id.clone(),
            title: fact.title.clone(),
            studio: fact.studio.clone(),
            studio_name: studio.map_or_else(|| fact.studio.clone(), |s| s.name.clone()),
            alliances: studio.map(|s| s.alliances.clone()).unwrap_or_default(),
            patent_type: fact.patent_type.clone().unwrap_or_default(),
            status: status.clone(),
            application_no: fact.application_no.clone(),
            filing_date: fact.filing_date,
            grant_date: fact.grant_date,
            term_end,
            next_fee,
            days_pending: fact.filing_date.and_then(|f| dates::days_pending(f, &status, today)),
            days_left: None,
        });
    }
    let days_to = |date: Date| (date - today).whole_days();
    let mut fees_due: Vec<Watched> = all
        .iter()
        .filter_map(|w| {
            let left = days_to(w.next_fee?);
            (left <= options.within).then(|| Watched {
                days_left: Some(left),
                ..w.clone()
            })
        })
        .collect();
    fees_due.sort_by_key(|w| (w.next_fee, w.id.clone()));
    let mut lapsing: Vec<Watched> = all
        .iter()
        .filter(|w| dates::in_force(&w.status))
        .filter_map(|w| {
            let left = days_to(w.term_end?);
            (0..=options.lapse_within).contains(&left).then(|| Watched {
                days_left: Some(left),
                ..w.clone()
            })
        })
        .collect();
    lapsing.sort_by_key(|w| (w.term_end, w.id.clone()));
    let mut long_pending: Vec<Watched> = all
        .iter()
        .filter(|w| w.days_pending.is_some_and(|d| d > options.pending_over))
        .cloned()
        .collect();
    long_pending.sort_by_key(|w| (std::cmp::Reverse(w.days_pending), w.id.clone()));
    Watch {
        today,
        within: options.within,
        lapse_within: options.lapse_within,
        pending_over: options.pending_over,
        fees_due,
        lapsing,
        long_pending,
        all,
    }
}

/// The patents a viewer may watch, from the index: staff's all, a
/// publisher's their studio's; the search applies the visibility rule.
pub fn from_index(engine: &Engine, viewer: &Viewer) -> Result<Vec<PatentFacts>, SearchError> {
    let Some(studio) = scope(viewer) else {
        return Ok(Vec::new());
    };
    let mut filters = BTreeMap::new();
    filters.insert(FacetField::Kind, vec![Kind::Patent.as_str().to_string()]);
    if let Some(studio) = studio {
        filters.insert(FacetField::Studio, vec![studio.to_string()]);
    }
    let mut facts: Vec<PatentFacts> = engine
        .all_cards(&filters, viewer)?
        .iter()
        .map(PatentFacts::of_card)
        .collect();
    facts.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(facts)
}

/// Every patent record under a content folder, read from the files (for
/// the command line: a running server holds the index). Files with errors
/// are left out, as the index leaves them out.
pub fn from_files(root: &Path) -> std::io::Result<(Vec<PatentFacts>, Profiles)> {
    let scan = load::scan(root)?;
    let profiles = load::load_profiles(root, &scan);
    let known = profiles.known_ids(None);
    let mut facts = Vec::new();
    for file in scan.documents.iter().filter(|d| d.section == Section::Records) {
        let Ok(text) = std::fs::read_to_string(root.join(&file.rel)) else {
            continue;
        };
        if let Ok((Document::Record(r), _)) = parse_document(&file.id, &text, &known)
            && r.kind == Kind::Patent
        {
            facts.push(PatentFacts {
                filing_date: r.filing_date.and_then(to_date),
                grant_date: r.grant_date.and_then(to_date),
                id: r.id,
                title: r.title,
                studio: r.studio,
                patent_type: r.patent_type,
                status: r.status,
                application_no: r.application_no,
            });
        }
    }
    facts.sort_by(|a, b| a.id.cmp(&b.id));
    Ok((facts, profiles))
}

/// The watch's dates as an iCalendar feed: each in-force patent's next
/// annual fee and the end of its term, as all-day events linking to the
/// record under `base_url`. Uids stay the same from one fetch to the next,
/// so a calendar app updates its events instead of adding copies.
pub fn calendar(watch: &Watch, base_url: &str, label: &dyn Fn(&str, &str) -> String) -> String {
    use icalendar::{Calendar, Component, Event, Property};
    let mut calendar = Calendar::new();
    calendar.name("智汇 专利提醒").description("年费缴纳日与专利期满日");
    // How often a subscribed calendar should fetch the feed again (RFC 7986,
    // and the older name most apps read): dates change a few times a year.
    calendar.append_property(
        Property::new("REFRESH-INTERVAL", "PT12H")
            .add_parameter("VALUE", "DURATION")
            .done(),
    );
    calendar.append_property(Property::new("X-PUBLISHED-TTL", "PT12H"));
    let base = base_url.trim_end_matches('/');
    for w in &watch.all {
        let url = format!("{base}/records/{}", encode_path(&w.id));
        let no = w.application_no.clone().unwrap_or_default();
        let about = format!(
            "{}（{}）{} {}\n{}\n{url}",
            w.title,
            label("patent_type", &w.patent_type),
            no,
            w.studio_name,
            label("status", &w.status),
        );
        let mut add = |kind: &str, summary: String, date: Date| {
            // All-day events, written as dates (`VALUE=DATE`), which every
            // calendar shows on that day whatever its time zone.
            let day = format!("{:04}{:02}{:02}", date.year(), u8::from(date.month()), date.day());
            let next = date.next_day().unwrap_or(date);
            let after = format!("{:04}{:02}{:02}", next.year(), u8::from(next.month()), next.day());
            let event = Event::new()
                .uid(&format!(
                    "{kind}-{}-{day}@zhihui",
                    &blake3::hash(w.id.as_bytes()).to_hex()[..16]
                ))
                .summary(&summary)
                .description(&about)
                .url(&url)
                .append_property(Property::new("DTSTART", &day).add_parameter("VALUE", "DATE").done())
                .append_property(Property::new("DTEND", &after).add_parameter("VALUE", "DATE").done())
                .done();
            calendar.push(event);
        };
        if let Some(date) = w.next_fee {
            add("fee", format!("专利年费：{}", w.title), date);
        }
        if dates::in_force(&w.status)
            && let Some(date) = w.term_end
            && date >= watch.today
        {
            add("term", format!("专利期满：{}", w.title), date);
        }
    }
    calendar.done().to_string()
}

/// An id as a URL path: each part percent-encoded, the slashes kept.
fn encode_path(id: &str) -> String {
    id.split('/')
        .map(|part| form_urlencoded::byte_serialize(part.as_bytes()).collect::<String>())
        .collect::<Vec<_>>()
        .join("/")
        .replace('+', "%20")
}

/// Dates as `YYYY-MM-DD` in JSON.
mod iso_date {
    use serde::Serializer;
    use time::Date;

    pub fn serialize<S: Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!(
            "{:04}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        ))
    }

    pub mod option {
        use serde::Serializer;
        use time::Date;

        pub fn serialize<S: Serializer>(date: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
            match date {
                Some(date) => super::serialize(date, s),
                None => s.serialize_none(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::Studio;

    fn d(text: &str) -> Date {
        dates::parse_date(text).unwrap()
    }

    fn fact(id: &str, studio: &str, kind: &str, status: &str, filed: &str) -> PatentFacts {
        PatentFacts {
            id: id.into(),
            title: id.into(),
            studio: studio.into(),
            patent_type: Some(kind.into()),
            status: Some(status.into()),
            application_no: None,
            filing_date: Some(d(filed)),
            grant_date: None,
        }
    }

    fn profiles() -> Profiles {
        let mut profiles = Profiles::default();
        for (id, alliance) in [("a", "tunnel"), ("b", "bridge")] {
            profiles.studios.insert(
                id.into(),
                Studio {
                    id: id.into(),
                    name: format!("{id}工作室"),
                    unit: String::new(),
                    leader: String::new(),
                    stars: 3,
                    studio_type: String::new(),
                    alliances: vec![alliance.into()],
                    founded: None,
                    naming_level: None,
                    naming_year: None,
                    members: None,
                    contact: None,
                    star_history: Default::default(),
                    body: String::new(),
                },
            );
        }
        profiles
    }

    #[test]
    fn the_lists_hold_what_falls_due_lapses_and_waits() {
        let facts = vec![
            fact("a/fee-soon", "a", "invention", "granted", "2018-01-20"),
            fact("a/fee-later", "a", "invention", "granted", "2018-06-20"),
            fact("b/lapsing", "b", "utility", "granted", "2017-03-01"),
            fact("b/waiting", "b", "invention", "pending", "2023-01-01"),
            fact("b/recent", "b", "invention", "pending", "2026-01-01"),
            fact("a/rejected", "a", "invention", "rejected", "2018-01-10"),
        ];
        let options = WatchOptions::new(d("2026-12-07"));
        let w = watch(&facts, &profiles(), &options);
        let ids = |list: &[Watched]| list.iter().map(|w| w.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&w.fees_due), ["a/fee-soon"]);
        assert_eq!(w.fees_due[0].next_fee, Some(d("2027-01-20")));
        assert_eq!(w.fees_due[0].days_left, Some(44));
        assert_eq!(ids(&w.lapsing), ["b/lapsing"]);
        assert_eq!(w.lapsing[0].term_end, Some(d("2027-03-01")));
        assert_eq!(ids(&w.long_pending), ["b/waiting"]);
        assert_eq!(w.all.len(), 6);
        let rejected = w.all.iter().find(|w| w.id == "a/rejected").unwrap();
        assert_eq!(rejected.next_fee, None);

        let only_b = WatchOptions {
            alliance: Some("bridge".into()),
            ..options.clone()
        };
        let w = watch(&facts, &profiles(), &only_b);
        assert!(w.all.iter().all(|w| w.studio == "b"));
        assert_eq!(w.all.len(), 3);
        let only_a = WatchOptions {
            studio: Some("a".into()),
            within: 365,
            ..options
        };
        let w = watch(&facts, &profiles(), &only_a);
        assert_eq!(ids(&w.fees_due), ["a/fee-soon", "a/fee-later"]);
    }

    #[test]
    fn the_calendar_holds_fee_and_term_events_linking_to_records() {
        let facts = vec![
            fact("a/专利 一", "a", "utility", "granted", "2017-03-01"),
            fact("a/gone", "a", "utility", "expired", "2010-03-01"),
        ];
        let w = watch(&facts, &profiles(), &WatchOptions::new(d("2026-12-07")));
        let ics = calendar(&w, "https://zh.example/", &|_, v| v.to_string());
        assert!(ics.contains("BEGIN:VCALENDAR"), "{ics}");
        assert_eq!(ics.matches("BEGIN:VEVENT").count(), 1, "{ics}");
        assert!(ics.contains("DTSTART;VALUE=DATE:20270301"), "{ics}");
        assert!(
            ics.contains("https://zh.example/records/a/%E4%B8%93%E5%88%A9%20%E4%B8%80"),
            "{ics}"
        );
    }
}
