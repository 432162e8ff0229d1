//! Atom feeds (RFC 4287, written with `atom_syndication`) of what an
//! anonymous visitor may see: new and changed records overall or under an
//! alliance, studio or kind, a saved search, and new open problems.
//!
//! Every list comes from a search made as `Viewer::anonymous()`, so the
//! visibility rule of the search applies and no members-only or
//! studio-only record reaches a feed reader, which cannot sign in. An
//! entry's id is the record's (`urn:zhihui:record:<id>`), so a reader
//! updates an entry instead of adding a copy; its `published` time is the
//! record's date and its `updated` time the later of that and its last
//! public version in the site's history. Times are Beijing time (+08:00),
//! the zone of the record's dates.

use std::collections::BTreeMap;

use atom_syndication::{Category, Entry, Feed, FixedDateTime, Generator, Link, Person, Text};

use crate::auth::Viewer;
use crate::publish::History;
use crate::search::{Card, Engine, FacetField, SearchError, SearchRequest, Sort};

/// Entries a feed holds at most: readers poll often, and older records
/// are a search away.
pub const MAX_ENTRIES: usize = 50;
/// Newest records looked at before changed ones are merged in.
const CANDIDATES: usize = 100;
/// Audit lines read for records changed through the site lately.
const AUDIT_LINES: usize = 1000;
/// Problem statuses that are no longer open.
pub const CLOSED_PROBLEM_STATES: [&str; 2] = ["solved", "closed"];

/// A record in a feed, with its times (seconds since 1970).
#[derive(Debug, Clone)]
pub struct Item {
    pub card: Card,
    pub published: i64,
    pub updated: i64,
}

/// What a feed is, besides its entries.
pub struct Meta {
    /// Stable, whatever the host: `urn:zhihui:feed:<path>`.
    pub id: String,
    pub title: String,
    /// The feed's own address and the page it follows, whole URLs.
    pub self_url: String,
    pub page_url: String,
}

/// The newest and lately changed records among `request`'s matches (its
/// words and filters), as a visitor sees them, changed first: at most
/// `MAX_ENTRIES`.
pub fn recent_records(engine: &Engine, history: &History, request: &SearchRequest) -> Result<Vec<Item>, SearchError> {
    let visitor = Viewer::anonymous();
    let mut newest = request.clone();
    newest.sort = Sort::Newest;
    newest.page = 1;
    newest.per_page = CANDIDATES;
    newest.facet_limit = 1;
    let results = engine.search(&newest, &visitor)?;
    let mut items: BTreeMap<String, Item> = BTreeMap::new();
    for hit in results.hits {
        items.insert(hit.card.id.clone(), item(hit.card, history));
    }
    // A record edited lately may be old by its date: the audit log names
    // what changed through the site. Matching words would need a search
    // per record, so a saved search lists the newest matches only.
    if request.q.trim().is_empty() {
        let snapshot = engine.snapshot();
        let changed = history
            .audit(AUDIT_LINES)
            .into_iter()
            .filter(|line| matches!(line["action"].as_str(), Some("create" | "update" | "approve")))
            .filter_map(|line| line["id"].as_str().map(str::to_string));
        for id in changed {
            if items.contains_key(&id) || items.len() >= CANDIDATES + MAX_ENTRIES {
                continue;
            }
            let Some(found) = engine.locate(&id, &visitor)? else {
                continue;
            };
            let card = found.card;
            let studios: Vec<&str> = std::iter::once(card.studio.as_str())
                .chain(card.partners.iter().map(|p| p.id.as_str()))
                .collect();
            let matches = request.filters.iter().all(|(field, values)| match field {
                FacetField::Kind => values.contains(&card.kind),
                FacetField::Studio => studios.iter().any(|s| values.iter().any(|v| v == s)),
                FacetField::Alliance => studios
                    .iter()
                    .any(|s| snapshot.profiles.alliances_of(s).iter().any(|a| values.contains(&a.id))),
                // Other filters are checked by the search only.
                _ => false,
            });
            if matches && card.review.is_none() {
                items.insert(card.id.clone(), item(card, history));
            }
        }
    }
    Ok(newest_first(items.into_values().collect()))
}

/// Open problems (status neither solved nor closed) a visitor may see,
/// under `alliance` if given, newest first.
pub fn open_problems(engine: &Engine, history: &History, alliance: Option<&str>) -> Result<Vec<Item>, SearchError> {
    let mut filters = BTreeMap::new();
    filters.insert(FacetField::Kind, vec!["problem".to_string()]);
    if let Some(a) = alliance {
        filters.insert(FacetField::Alliance, vec![a.to_string()]);
    }
    let cards = engine.all_cards(&filters, &Viewer::anonymous())?;
    let mut open: Vec<Item> = cards
        .into_iter()
        .filter(|c| c.review.is_none())
        .filter(|c| !c.status.as_deref().is_some_and(|s| CLOSED_PROBLEM_STATES.contains(&s)))
        .map(|c| item(c, history))
        .collect();
    // New problems first: by their date, not by their last edit.
    open.sort_by(|a, b| b.published.cmp(&a.published).then_with(|| a.card.id.cmp(&b.card.id)));
    open.truncate(MAX_ENTRIES);
    Ok(open)
}

fn newest_first(mut items: Vec<Item>) -> Vec<Item> {
    items.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| a.card.id.cmp(&b.card.id)));
    items.truncate(MAX_ENTRIES);
    items
}

fn item(card: Card, history: &History) -> Item {
    let published = date_seconds(&card.date).unwrap_or(0);
    let visitor = Viewer::anonymous();
    let changed = history
        .versions(&card.id)
        .iter()
        .filter(|v| matches!(v.action.as_str(), "create" | "update" | "approve") && v.visible_to(&visitor))
        .map(|v| i64::try_from(v.time).unwrap_or(0))
        .max()
        .unwrap_or(0);
    Item {
        updated: published.max(changed),
        published,
        card,
    }
}

/// Midnight of a `YYYY-MM-DD` date in Beijing time, as seconds since 1970.
fn date_seconds(date: &str) -> Option<i64> {
    let mut parts = date.split('-').map(|p| p.parse::<i32>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    let month = time::Month::try_from(u8::try_from(m).ok()?).ok()?;
    let date = time::Date::from_calendar_date(y, month, u8::try_from(d).ok()?).ok()?;
    let offset = crate::content::BEIJING;
    Some(date.midnight().assume_offset(offset).unix_timestamp())
}

/// RFC 3339 in Beijing time, as Atom's dates are.
pub fn rfc3339(secs: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp(secs)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(crate::content::BEIJING);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+08:00",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

fn atom_time(secs: i64) -> FixedDateTime {
    FixedDateTime::parse_from_rfc3339(&rfc3339(secs)).unwrap_or_default()
}

/// A record id as a URL path: each part percent-encoded, slashes kept.
pub fn encode_path(id: &str) -> String {
    id.split('/')
        .map(|part| form_urlencoded::byte_serialize(part.as_bytes()).collect::<String>())
        .collect::<Vec<_>>()
        .join("/")
        .replace('+', "%20")
}

/// The feed as Atom XML. `base` is the site's address (no trailing
/// slash); `label` gives a kind's Chinese name.
pub fn write(meta: &Meta, items: &[Item], base: &str, label: &dyn Fn(&str, &str) -> String, now: i64) -> String {
    let updated = items.iter().map(|i| i.updated).max().unwrap_or(now);
    let entries: Vec<Entry> = items
        .iter()
        .map(|i| {
            let c = &i.card;
            let kind = label("kind", &c.kind);
            let mut summary = format!("{kind} · {}", c.studio_name);
            if let Some(status) = &c.status {
                summary.push_str(&format!(" · {}", label("status", status)));
            }
            if !c.summary.is_empty() {
                summary.push_str(&format!("：{}", c.summary));
            }
            let mut link = Link::default();
            link.set_href(format!("{base}/records/{}", encode_path(&c.id)));
            link.set_rel("alternate");
            link.set_mime_type(Some("text/html".to_string()));
            let mut author = Person::default();
            author.set_name(c.studio_name.clone());
            author.set_uri(Some(format!("{base}/studios/{}", encode_path(&c.studio))));
            let mut category = Category::default();
            category.set_term(c.kind.clone());
            category.set_label(Some(kind));
            let mut entry = Entry::default();
            entry.set_id(format!("urn:zhihui:record:{}", encode_path(&c.id)));
            entry.set_title(Text::plain(c.title.clone()));
            entry.set_updated(atom_time(i.updated));
            entry.set_published(Some(atom_time(i.published)));
            entry.set_links(vec![link]);
            entry.set_authors(vec![author]);
            entry.set_categories(vec![category]);
            entry.set_summary(Some(Text::plain(summary)));
            entry
        })
        .collect();
    let mut this = Link::default();
    this.set_href(meta.self_url.clone());
    this.set_rel("self");
    this.set_mime_type(Some("application/atom+xml".to_string()));
    let mut page = Link::default();
    page.set_href(meta.page_url.clone());
    page.set_rel("alternate");
    page.set_mime_type(Some("text/html".to_string()));
    let mut author = Person::default();
    author.set_name("智汇");
    let mut generator = Generator::default();
    generator.set_value("智汇 Zhihui");
    let mut feed = Feed::default();
    feed.set_id(meta.id.clone());
    feed.set_title(Text::plain(meta.title.clone()));
    feed.set_updated(atom_time(updated));
    feed.set_links(vec![this, page]);
    feed.set_authors(vec![author]);
    feed.set_generator(Some(generator));
    feed.set_lang(Some("zh-CN".to_string()));
    feed.set_entries(entries);
    feed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_beijing_midnight_in_rfc3339() {
        let secs = date_seconds("2024-02-29").unwrap();
        assert_eq!(rfc3339(secs), "2024-02-29T00:00:00+08:00");
        assert_eq!(rfc3339(0), "1970-01-01T08:00:00+08:00");
        assert_eq!(date_seconds("2023-02-29"), None);
        assert_eq!(date_seconds("明年"), None);
        assert_eq!(atom_time(secs).to_rfc3339(), "2024-02-29T00:00:00+08:00");
    }

    #[test]
    fn a_feed_reads_back_with_its_required_elements() {
        let card: Card = serde_json::from_value(serde_json::json!({
            "id": "tunnel-zhang/管片 修复", "title": "管片修复", "kind": "method", "studio": "tunnel-zhang",
            "studio_name": "张伟工作室", "date": "2023-06-18", "tags": [], "summary": "摘要",
            "visibility": "public", "authors": []
        }))
        .unwrap();
        let items = vec![Item {
            published: date_seconds("2023-06-18").unwrap(),
            updated: date_seconds("2023-07-01").unwrap(),
            card,
        }];
        let meta = Meta {
            id: "urn:zhihui:feed:/feeds/records.atom".into(),
            title: "智汇 · 最新记录".into(),
            self_url: "https://zh.example/feeds/records.atom".into(),
            page_url: "https://zh.example/search".into(),
        };
        let label = |_: &str, v: &str| {
            if v == "method" {
                "工法".to_string()
            } else {
                v.to_string()
            }
        };
        let xml = write(&meta, &items, "https://zh.example", &label, 0);
        let feed: Feed = xml.parse().unwrap();
        assert_eq!(feed.title().as_str(), "智汇 · 最新记录");
        assert_eq!(feed.updated().to_rfc3339(), "2023-07-01T00:00:00+08:00");
        let e = &feed.entries()[0];
        assert_eq!(
            e.id(),
            "urn:zhihui:record:tunnel-zhang/%E7%AE%A1%E7%89%87%20%E4%BF%AE%E5%A4%8D"
        );
        assert_eq!(
            e.links()[0].href(),
            "https://zh.example/records/tunnel-zhang/%E7%AE%A1%E7%89%87%20%E4%BF%AE%E5%A4%8D"
        );
        assert_eq!(e.categories()[0].label(), Some("工法"));
        assert!(e.summary().unwrap().as_str().starts_with("工法 · 张伟工作室"));
    }
}
