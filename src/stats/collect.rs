//! The figures of each record as the index holds them (`Facts`, written
//! into its document as JSON in a fast field), each index segment's facts
//! decoded once into plain arrays with its strings numbered
//! (`SegmentFacts`, kept while the segment lives), and the collector that
//! adds up the matches of a search (`Tally`). Counting a match is then a
//! few array loads and one map update per group it falls in; the strings
//! of a group are looked up once per segment, when the segments merge.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use super::{Dimension, Measures, StatsQuery, StudioInfo, Wan};
use crate::content::load::Profiles;
use crate::content::spec;
use crate::content::{Kind, Record};
use crate::search::segment_cache::SegmentCache;

/// The name of the fast field holding each record's facts.
pub const FACTS_FIELD: &str = "facts";

/// An award as counted: its level, year and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactAward {
    #[serde(rename = "l")]
    pub level: String,
    #[serde(rename = "y", default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    #[serde(rename = "n", default)]
    pub name: String,
}

/// An adoption (`applied_in`) as counted: project and year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactUse {
    #[serde(rename = "p")]
    pub project: String,
    #[serde(rename = "y", default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
}

/// What statistics need of one record, written into its index document.
/// Short names: it is stored once per record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    #[serde(rename = "k")]
    pub kind: String,
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(rename = "s")]
    pub studio: String,
    /// The studio's alliances when the record was indexed (a change of
    /// a studio's profile re-indexes its records).
    #[serde(rename = "a", default)]
    pub alliances: Vec<String>,
    /// Partner studios of a joint record: it counts once under each.
    #[serde(rename = "pa", default, skip_serializing_if = "Vec::is_empty")]
    pub partners: Vec<String>,
    #[serde(rename = "y")]
    pub year: i32,
    /// Economic benefit in 1/10000 万元 (`Wan`).
    #[serde(rename = "b", default)]
    pub benefit: i64,
    #[serde(rename = "t", default)]
    pub tags: Vec<String>,
    #[serde(rename = "pt", default, skip_serializing_if = "Option::is_none")]
    pub patent_type: Option<String>,
    #[serde(rename = "ps", default, skip_serializing_if = "Option::is_none")]
    pub patent_status: Option<String>,
    /// The year of a patent's grant, when it was granted.
    #[serde(rename = "g", default, skip_serializing_if = "Option::is_none")]
    pub grant_year: Option<i32>,
    #[serde(rename = "ml", default, skip_serializing_if = "Option::is_none")]
    pub method_level: Option<String>,
    #[serde(rename = "qs", default, skip_serializing_if = "Option::is_none")]
    pub problem_status: Option<String>,
    /// The year a solved problem was solved (its `solved_date`).
    #[serde(rename = "sv", default, skip_serializing_if = "Option::is_none")]
    pub solved_year: Option<i32>,
    #[serde(rename = "aw", default)]
    pub awards: Vec<FactAward>,
    #[serde(rename = "ap", default)]
    pub applied: Vec<FactUse>,
}

impl Facts {
    pub fn of(record: &Record, profiles: &Profiles) -> Facts {
        let year = |y: Option<i64>| y.and_then(|y| i32::try_from(y).ok());
        let patent = record.kind == Kind::Patent;
        // A grant date on a refused or withdrawn application is a slip,
        // not a grant.
        let granted = patent && !matches!(record.status.as_deref(), Some("pending" | "rejected" | "withdrawn"));
        let solved = record.kind == Kind::Problem && record.status.as_deref() == Some("solved");
        Facts {
            kind: record.kind.as_str().to_string(),
            category: record.category.clone(),
            studio: record.studio.clone(),
            alliances: {
                let mut all: Vec<String> = Vec::new();
                for s in std::iter::once(&record.studio).chain(&record.partners) {
                    for a in profiles.alliances_of(s) {
                        if !all.contains(&a.id) {
                            all.push(a.id.clone());
                        }
                    }
                }
                all
            },
            partners: record.partners.clone(),
            year: record.date.year,
            benefit: record.benefit.map_or(0, |b| Wan::from_number(b).0),
            tags: record.tags.clone(),
            patent_type: record.patent_type.clone().filter(|_| patent),
            patent_status: record.status.clone().filter(|_| patent),
            grant_year: record.grant_date.filter(|_| granted).map(|d| d.year),
            method_level: record.level.clone().filter(|_| record.kind == Kind::Method),
            problem_status: record.status.clone().filter(|_| record.kind == Kind::Problem),
            solved_year: record.solved_date.filter(|_| solved).map(|d| d.year),
            awards: record
                .awards
                .iter()
                .map(|a| FactAward {
                    level: a.level.clone(),
                    year: year(a.year),
                    name: a.name.clone(),
                })
                .collect(),
            applied: record
                .applied_in
                .iter()
                .map(|a| FactUse {
                    project: a.project.clone(),
                    year: year(a.year),
                })
                .collect(),
        }
    }
}

const NONE: u32 = u32::MAX;
const NO_PLACE: u8 = u8::MAX;

/// One document's facts with its strings as numbers (`SegmentFacts::strings`)
/// and its lists as ranges of the segment's shared arrays.
#[derive(Debug, Clone, Copy)]
struct DocFacts {
    kind: u32,
    category: u32,
    studio: u32,
    year: i32,
    benefit: i64,
    patent_type: u32,
    patent_status: u32,
    /// 0 when none (`Date` years start at 1900).
    grant_year: i32,
    method_level: u32,
    problem_status: u32,
    solved_year: i32,
    /// The places of the patent type and method level in their choice
    /// lists (`NO_PLACE` when none), which the figures are kept by.
    patent_place: u8,
    method_place: u8,
    alliances: (u32, u32),
    partners: (u32, u32),
    tags: (u32, u32),
    awards: (u32, u32),
    applied: (u32, u32),
}

const EMPTY: DocFacts = DocFacts {
    kind: NONE,
    category: NONE,
    studio: NONE,
    year: 0,
    benefit: 0,
    patent_type: NONE,
    patent_status: NONE,
    grant_year: 0,
    method_level: NONE,
    problem_status: NONE,
    solved_year: 0,
    patent_place: NO_PLACE,
    method_place: NO_PLACE,
    alliances: (0, 0),
    partners: (0, 0),
    tags: (0, 0),
    awards: (0, 0),
    applied: (0, 0),
};

/// Every document's facts in one segment, decoded.
pub struct SegmentFacts {
    strings: Vec<String>,
    docs: Vec<DocFacts>,
    /// Alliances and tags of every document.
    lists: Vec<u32>,
    /// (level as its place in `AWARD_LEVELS`, year or 0).
    awards: Vec<(u8, i32)>,
    /// (project, year or 0).
    applied: Vec<(u32, i32)>,
}

#[derive(Default)]
struct Strings {
    list: Vec<String>,
    numbers: HashMap<String, u32>,
}

impl Strings {
    fn number(&mut self, s: &str) -> u32 {
        if let Some(&n) = self.numbers.get(s) {
            return n;
        }
        let n = self.list.len() as u32;
        self.list.push(s.to_string());
        self.numbers.insert(s.to_string(), n);
        n
    }

    fn optional(&mut self, s: &Option<String>) -> u32 {
        s.as_deref().map_or(NONE, |s| self.number(s))
    }
}

fn place(choices: &[spec::Choice], value: &str) -> Option<usize> {
    choices.iter().position(|c| c.value == value)
}

impl SegmentFacts {
    fn load(segment: &SegmentReader) -> tantivy::Result<SegmentFacts> {
        let max_doc = segment.max_doc() as usize;
        let mut out = SegmentFacts {
            strings: Vec::new(),
            docs: vec![EMPTY; max_doc],
            lists: Vec::new(),
            awards: Vec::new(),
            applied: Vec::new(),
        };
        let Some(column) = segment.fast_fields().bytes(FACTS_FIELD)? else {
            return Ok(out);
        };
        let mut strings = Strings::default();
        // Each distinct value once, in the dictionary's order (its ordinals).
        let mut by_ord = Vec::with_capacity(column.num_terms());
        let mut stream = column.dictionary().stream()?;
        while stream.advance() {
            let facts: Facts = serde_json::from_slice(stream.key()).unwrap_or_default();
            by_ord.push(out.add(&facts, &mut strings));
        }
        for (doc, slot) in out.docs.iter_mut().enumerate() {
            if let Some(ord) = column.ords().first(doc as DocId) {
                *slot = by_ord.get(ord as usize).copied().unwrap_or(EMPTY);
            }
        }
        out.strings = strings.list;
        Ok(out)
    }

    fn add(&mut self, f: &Facts, strings: &mut Strings) -> DocFacts {
        let range = |from: usize, to: usize| (from as u32, to as u32);
        let start = self.lists.len();
        for a in &f.alliances {
            let n = strings.number(a);
            self.lists.push(n);
        }
        let alliances = range(start, self.lists.len());
        let start = self.lists.len();
        for p in &f.partners {
            let n = strings.number(p);
            self.lists.push(n);
        }
        let partners = range(start, self.lists.len());
        let start = self.lists.len();
        for t in &f.tags {
            let n = strings.number(t);
            self.lists.push(n);
        }
        let tags = range(start, self.lists.len());
        let start = self.awards.len();
        for a in &f.awards {
            if let Some(level) = place(spec::AWARD_LEVELS, &a.level) {
                self.awards.push((level as u8, a.year.unwrap_or(0)));
            }
        }
        let awards = range(start, self.awards.len());
        let start = self.applied.len();
        for a in &f.applied {
            let project = strings.number(&a.project);
            self.applied.push((project, a.year.unwrap_or(0)));
        }
        let applied = range(start, self.applied.len());
        DocFacts {
            kind: strings.number(&f.kind),
            category: strings.optional(&f.category),
            studio: strings.number(&f.studio),
            year: f.year,
            benefit: f.benefit,
            patent_type: strings.optional(&f.patent_type),
            patent_status: strings.optional(&f.patent_status),
            grant_year: f.grant_year.unwrap_or(0),
            method_level: strings.optional(&f.method_level),
            problem_status: strings.optional(&f.problem_status),
            solved_year: f.solved_year.unwrap_or(0),
            patent_place: f
                .patent_type
                .as_deref()
                .and_then(|t| place(spec::PATENT_TYPES, t))
                .map_or(NO_PLACE, |p| p as u8),
            method_place: f
                .method_level
                .as_deref()
                .and_then(|l| place(spec::METHOD_LEVELS, l))
                .map_or(NO_PLACE, |p| p as u8),
            alliances,
            partners,
            tags,
            awards,
            applied,
        }
    }

    fn list(&self, (from, to): (u32, u32)) -> &[u32] {
        &self.lists[from as usize..to as usize]
    }

    fn string(&self, n: u32) -> Option<&str> {
        self.strings.get(n as usize).map(String::as_str)
    }
}

/// The decoded facts of the segments in use, by segment.
#[derive(Default)]
pub struct FactsCache(SegmentCache<(), SegmentFacts>);

impl FactsCache {
    /// Forgets the segments gone: called whenever the searcher changes.
    /// Segments are decoded when statistics first ask for them.
    pub fn refresh(&self, segments: &[SegmentReader]) {
        self.0.retain(segments);
    }

    fn get(&self, segment: &SegmentReader) -> tantivy::Result<Arc<SegmentFacts>> {
        self.0.get(segment, &(), || SegmentFacts::load(segment))
    }
}

/// Adds up the figures of the matching documents, by group and in total.
pub struct Tally<'a> {
    pub cache: &'a FactsCache,
    pub query: &'a StatsQuery,
    pub studios: &'a StudioInfo,
}

pub struct SegmentTally {
    facts: Arc<SegmentFacts>,
    docs: Vec<DocId>,
}

/// A group's key within a segment: one number per dimension (a string's
/// number, a year, stars, a choice's place).
type Key = [u64; 2];

/// Groups by key. Keys (and the projects counted per group) are numbers
/// made here, not input an attacker chooses, so a multiply-rotate hash
/// does instead of SipHash, whose cost is paid on every match.
type Groups = HashMap<Key, Acc, BuildHasherDefault<KeyHasher>>;

#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A group's figures while counting; projects by their numbers.
#[derive(Default)]
struct Acc {
    measures: Measures,
    projects: HashSet<u32, BuildHasherDefault<KeyHasher>>,
}

/// One segment's groups and total, still to be named.
pub struct SegmentFruit {
    facts: Arc<SegmentFacts>,
    groups: Groups,
    total: Acc,
}

/// The groups by their values, and the total.
pub type Tallied = (HashMap<Vec<String>, Measures>, Measures);

impl Collector for Tally<'_> {
    type Fruit = Tallied;
    type Child = TallyChild;

    fn for_segment(&self, _: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<Self::Child> {
        let facts = self.cache.get(segment)?;
        let studios = studio_codes(&facts, self.studios, &self.query.by);
        Ok(TallyChild {
            seg: SegmentTally {
                facts,
                docs: Vec::new(),
            },
            query: self.query.clone(),
            studios,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<SegmentFruit>) -> tantivy::Result<Tallied> {
        let mut groups: HashMap<Vec<String>, Acc> = HashMap::new();
        let mut total: Acc = Acc::default();
        // Projects are numbered anew across segments (each segment numbers
        // its own strings), by name, without copying the names.
        let mut projects: HashMap<&str, u32> = HashMap::new();
        for fruit in &fruits {
            let facts = &fruit.facts;
            let mut renumber = |n: &u32| {
                let name = facts.string(*n).unwrap_or("");
                let next = projects.len() as u32;
                *projects.entry(name).or_insert(next)
            };
            for (key, acc) in &fruit.groups {
                let names: Vec<String> = self
                    .query
                    .by
                    .iter()
                    .enumerate()
                    .map(|(i, d)| value_name(*d, key[i], facts))
                    .collect();
                let into = groups.entry(names).or_default();
                add_measures(&mut into.measures, &acc.measures);
                into.projects.extend(acc.projects.iter().map(&mut renumber));
            }
            add_measures(&mut total.measures, &fruit.total.measures);
            total.projects.extend(fruit.total.projects.iter().map(&mut renumber));
        }
        let finish = |mut acc: Acc| {
            acc.measures.projects = acc.projects.len() as u64;
            acc.measures
        };
        Ok((
            groups
                .into_iter()
                .map(|(k, acc)| (k, finish(acc)))
                .filter(|(_, m)| !m.is_empty())
                .collect(),
            finish(total),
        ))
    }
}

/// Per studio number of the segment, its (stars, type's place) when a
/// dimension needs them.
fn studio_codes(facts: &SegmentFacts, studios: &StudioInfo, by: &[Dimension]) -> HashMap<u32, (u64, u64)> {
    if !by
        .iter()
        .any(|d| matches!(d, Dimension::StudioStars | Dimension::StudioType))
    {
        return HashMap::new();
    }
    let mut out = HashMap::new();
    for doc in &facts.docs {
        if doc.studio == NONE || out.contains_key(&doc.studio) {
            continue;
        }
        if let Some((stars, kind)) = facts.string(doc.studio).and_then(|s| studios.get(s)) {
            let kind = place(spec::STUDIO_TYPES, kind).map_or(u64::from(NONE), |p| p as u64);
            out.insert(doc.studio, (u64::from(*stars), kind));
        }
    }
    out
}

fn value_name(dimension: Dimension, code: u64, facts: &SegmentFacts) -> String {
    match dimension {
        Dimension::Year | Dimension::AwardYear | Dimension::GrantYear | Dimension::StudioStars => code.to_string(),
        Dimension::AwardLevel => spec::AWARD_LEVELS
            .get(code as usize)
            .map_or("", |c| c.value)
            .to_string(),
        Dimension::StudioType => spec::STUDIO_TYPES
            .get(code as usize)
            .map_or("", |c| c.value)
            .to_string(),
        _ => facts.string(code as u32).unwrap_or("").to_string(),
    }
}

fn add_measures(into: &mut Measures, from: &Measures) {
    into.count += from.count;
    into.benefit.0 += from.benefit.0;
    for i in 0..4 {
        into.awarded[i] += from.awarded[i];
        into.awards[i] += from.awards[i];
    }
    into.awarded_high += from.awarded_high;
    for i in 0..3 {
        into.granted[i] += from.granted[i];
        into.methods[i] += from.methods[i];
    }
    into.solved += from.solved;
    into.adoptions += from.adoptions;
}

/// The per-segment side of `Tally`: it owns what it needs, since tantivy
/// may keep it beyond the collector.
pub struct TallyChild {
    seg: SegmentTally,
    query: StatsQuery,
    studios: HashMap<u32, (u64, u64)>,
}

impl SegmentCollector for TallyChild {
    type Fruit = SegmentFruit;

    fn collect(&mut self, doc: DocId, _: Score) {
        self.seg.docs.push(doc);
    }

    fn harvest(self) -> SegmentFruit {
        let facts = self.seg.facts;
        let mut counter = Counter {
            facts: &facts,
            query: &self.query,
            studios: &self.studios,
            year_at: self.query.by.iter().position(|d| *d == Dimension::Year),
            groups: Groups::default(),
            total: Acc::default(),
            combos: Vec::new(),
            first: Vec::new(),
            second: Vec::new(),
        };
        for &doc in &self.seg.docs {
            if let Some(f) = facts.docs.get(doc as usize)
                && f.kind != NONE
            {
                counter.count(f);
            }
        }
        let Counter { groups, total, .. } = counter;
        SegmentFruit { facts, groups, total }
    }
}

/// Counts one segment's matches.
struct Counter<'a> {
    facts: &'a SegmentFacts,
    query: &'a StatsQuery,
    studios: &'a HashMap<u32, (u64, u64)>,
    /// Where the year of each figure goes in a key, when grouping by year.
    year_at: Option<usize>,
    groups: Groups,
    total: Acc,
    /// The current document's keys (the year left 0), and its values in
    /// each dimension: kept to be reused, document after document.
    combos: Vec<Key>,
    first: Vec<u64>,
    second: Vec<u64>,
}

/// What one dated figure adds.
#[derive(Clone, Copy)]
enum Figure {
    /// The record itself, in the year of its date.
    Record,
    Grant,
    Solved,
    Adoption(u32),
}

impl Counter<'_> {
    /// The values `f` has in `dimension` (none: it is in no group of it).
    fn values(&self, f: &DocFacts, dimension: Dimension, out: &mut Vec<u64>) {
        let one = |n: u32, out: &mut Vec<u64>| {
            if n != NONE {
                out.push(u64::from(n));
            }
        };
        match dimension {
            Dimension::Kind => one(f.kind, out),
            Dimension::Category => one(f.category, out),
            Dimension::Alliance => out.extend(self.facts.list(f.alliances).iter().map(|&n| u64::from(n))),
            Dimension::Studio => {
                one(f.studio, out);
                out.extend(self.facts.list(f.partners).iter().map(|&n| u64::from(n)));
            }
            // Filled in per figure.
            Dimension::Year => out.push(0),
            Dimension::AwardLevel | Dimension::AwardYear => {
                for &(level, year) in &self.facts.awards[f.awards.0 as usize..f.awards.1 as usize] {
                    let v = if dimension == Dimension::AwardLevel {
                        u64::from(level)
                    } else if year > 0 {
                        year as u64
                    } else {
                        continue;
                    };
                    if !out.contains(&v) {
                        out.push(v);
                    }
                }
            }
            Dimension::PatentType => one(f.patent_type, out),
            Dimension::PatentStatus => one(f.patent_status, out),
            Dimension::GrantYear => {
                if f.grant_year > 0 {
                    out.push(f.grant_year as u64);
                }
            }
            Dimension::MethodLevel => one(f.method_level, out),
            Dimension::ProblemStatus => one(f.problem_status, out),
            Dimension::StudioStars | Dimension::StudioType => {
                if let Some(&(stars, kind)) = self.studios.get(&f.studio) {
                    let v = if dimension == Dimension::StudioStars {
                        stars
                    } else {
                        kind
                    };
                    if v != u64::from(NONE) {
                        out.push(v);
                    }
                }
            }
            Dimension::Tag => out.extend(self.facts.list(f.tags).iter().map(|&n| u64::from(n))),
        }
    }

    fn count(&mut self, f: &DocFacts) {
        self.combos.clear();
        let mut first = std::mem::take(&mut self.first);
        let mut second = std::mem::take(&mut self.second);
        first.clear();
        second.clear();
        match self.query.by.as_slice() {
            [] => {}
            [a] => {
                self.values(f, *a, &mut first);
                self.combos.extend(first.iter().map(|&v| [v, 0]));
            }
            [a, b, ..] => {
                self.values(f, *a, &mut first);
                self.values(f, *b, &mut second);
                for &x in &first {
                    self.combos.extend(second.iter().map(|&y| [x, y]));
                }
            }
        }
        self.first = first;
        self.second = second;
        let year = |y: i32| (y > 0).then_some(y);
        if self.query.counts(Some(f.year)) {
            self.add(Some(f.year), Figure::Record, f);
        }
        // An award adds to a record's "awarded" once per level (and year
        // when grouping by year).
        let mut awarded: Vec<(Option<i32>, u8)> = Vec::new();
        for &(level, award_year) in &self.facts.awards[f.awards.0 as usize..f.awards.1 as usize] {
            let award_year = year(award_year);
            if !self.query.counts(award_year) {
                continue;
            }
            // National and provincial are the first two levels.
            let high = level < 2;
            let first_in_total = !awarded.iter().any(|&(_, l)| l == level);
            let first_high_in_total = high && !awarded.iter().any(|&(_, l)| l < 2);
            let grouped_year = if self.year_at.is_some() { award_year } else { None };
            let first_in_group = !awarded.iter().any(|&(y, l)| l == level && y == grouped_year);
            let first_high_in_group = high && !awarded.iter().any(|&(y, l)| l < 2 && y == grouped_year);
            awarded.push((grouped_year, level));
            let level = level as usize;
            let m = &mut self.total.measures;
            m.awards[level] += 1;
            m.awarded[level] += u64::from(first_in_total);
            m.awarded_high += u64::from(first_high_in_total);
            self.each_group(award_year, |acc| {
                acc.measures.awards[level] += 1;
                acc.measures.awarded[level] += u64::from(first_in_group);
                acc.measures.awarded_high += u64::from(first_high_in_group);
            });
        }
        if f.grant_year > 0 && self.query.counts(Some(f.grant_year)) {
            self.add(Some(f.grant_year), Figure::Grant, f);
        }
        if f.solved_year > 0 && self.query.counts(Some(f.solved_year)) {
            self.add(Some(f.solved_year), Figure::Solved, f);
        }
        for &(project, use_year) in &self.facts.applied[f.applied.0 as usize..f.applied.1 as usize] {
            let use_year = year(use_year);
            if self.query.counts(use_year) {
                self.add(use_year, Figure::Adoption(project), f);
            }
        }
    }

    /// Adds `figure`, dated `year`, to the total and to each of the
    /// document's groups.
    fn add(&mut self, year: Option<i32>, figure: Figure, f: &DocFacts) {
        let apply = |acc: &mut Acc| {
            let m = &mut acc.measures;
            match figure {
                Figure::Record => {
                    m.count += 1;
                    m.benefit.0 += f.benefit;
                    if let Some(n) = m.methods.get_mut(f.method_place as usize) {
                        *n += 1;
                    }
                }
                Figure::Grant => {
                    if let Some(n) = m.granted.get_mut(f.patent_place as usize) {
                        *n += 1;
                    }
                }
                Figure::Solved => m.solved += 1,
                Figure::Adoption(project) => {
                    m.adoptions += 1;
                    acc.projects.insert(project);
                }
            }
        };
        apply(&mut self.total);
        self.each_group(year, apply);
    }

    fn each_group(&mut self, year: Option<i32>, mut apply: impl FnMut(&mut Acc)) {
        let at = self.year_at;
        if at.is_some() && year.is_none() {
            // An undated figure has no year's group.
            return;
        }
        for i in 0..self.combos.len() {
            let mut key = self.combos[i];
            if let (Some(at), Some(year)) = (at, year) {
                key[at] = year as u64;
            }
            apply(self.groups.entry(key).or_default());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{Application, Award, Date, KnownIds, parse_document};

    fn record(text: &str) -> Record {
        let known = KnownIds {
            studios: ["s".to_string()].into(),
            ..KnownIds::default()
        };
        match parse_document("s/r", text, &known) {
            Ok((crate::content::Document::Record(r), _)) => *r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn facts_count_a_grant_or_a_solution_only_when_there_was_one() {
        let patent = |status: &str| {
            record(&format!(
                "---\ntitle: 专利\nkind: patent\nstudio: s\ndate: 2023-01-01\npatent_type: invention\ngrant_date: 2024-06-01\nstatus: {status}\nbenefit: 0.1\n---\n"
            ))
        };
        let profiles = Profiles::default();
        assert_eq!(Facts::of(&patent("granted"), &profiles).grant_year, Some(2024));
        assert_eq!(Facts::of(&patent("expired"), &profiles).grant_year, Some(2024));
        for refused in ["pending", "rejected", "withdrawn"] {
            assert_eq!(Facts::of(&patent(refused), &profiles).grant_year, None, "{refused}");
        }
        let facts = Facts::of(&patent("granted"), &profiles);
        assert_eq!((facts.benefit, facts.year), (1000, 2023));
        assert_eq!(facts.method_level, None);

        let mut problem = record(
            "---\ntitle: 难题\nkind: problem\nstudio: s\ndate: 2023-01-01\nstatus: solved\nsolved_date: 2024-02-02\n---\n",
        );
        assert_eq!(Facts::of(&problem, &profiles).solved_year, Some(2024));
        problem.solved_date = Some(Date {
            year: 2025,
            month: 1,
            day: 1,
        });
        problem.status = Some("open".into());
        assert_eq!(Facts::of(&problem, &profiles).solved_year, None);

        problem.awards.push(Award {
            name: "奖".into(),
            level: "provincial".into(),
            year: Some(2024),
        });
        problem.applied_in.push(Application {
            project: "甲".into(),
            year: None,
            note: None,
        });
        let facts = Facts::of(&problem, &profiles);
        let round: Facts = serde_json::from_slice(&serde_json::to_vec(&facts).unwrap()).unwrap();
        assert_eq!(round, facts);
        assert_eq!(round.awards[0].year, Some(2024));
        assert_eq!(round.applied[0].year, None);
    }
}
