//! Statistics over the records a search matches (统计): counts and sums by
//! one or two dimensions, the annual report built from them, and the same
//! figures as CSV and XLSX files. It knows no HTTP.
//!
//! Figures are computed inside the search, like facet counts: the same
//! query text, filters and visibility rule as `/api/search` choose the
//! records (`Engine::collect_matching`), and each record's figures come
//! from a compact summary written into its index document (`Facts`),
//! decoded once per index segment (`collect.rs`), never from the files.
//! Each figure counts by its own date: a record (and its benefit) by its
//! `date`, an award by its `year`, a patent grant by its `grant_date`, a
//! solved problem by its `solved_date`, an adoption by its `year`. A record
//! in several groups (a studio in two alliances, several tags) counts in
//! each; a total counts every record once. Money is kept in whole 1/10000
//! 万元 (`Wan`), so sums never drift.
//!
//! Other pages take figures from here too: `studio_figures` gives one
//! studio's by kind (records, patents granted, benefit, awards by level,
//! adoptions), and `Engine::stats` with `by=studio` every studio's in one
//! pass, for a directory.

mod collect;
pub mod export;
pub mod report;

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

pub use collect::{FACTS_FIELD, FactAward, FactUse, Facts, FactsCache, Tally};

use crate::auth::Viewer;
use crate::content::load::Profiles;
use crate::content::spec::{self, Choice};
use crate::search::{Engine, FacetField, SearchError, SearchRequest};

/// What figures can be grouped by (`by=`, one or two at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    Kind,
    Category,
    Alliance,
    Studio,
    /// The year of each figure's own date (see the module's doc).
    Year,
    AwardLevel,
    AwardYear,
    PatentType,
    PatentStatus,
    GrantYear,
    MethodLevel,
    ProblemStatus,
    StudioStars,
    StudioType,
    Tag,
}

impl Dimension {
    pub const ALL: [Dimension; 15] = [
        Dimension::Kind,
        Dimension::Category,
        Dimension::Alliance,
        Dimension::Studio,
        Dimension::Year,
        Dimension::AwardLevel,
        Dimension::AwardYear,
        Dimension::PatentType,
        Dimension::PatentStatus,
        Dimension::GrantYear,
        Dimension::MethodLevel,
        Dimension::ProblemStatus,
        Dimension::StudioStars,
        Dimension::StudioType,
        Dimension::Tag,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Dimension::Kind => "kind",
            Dimension::Category => "category",
            Dimension::Alliance => "alliance",
            Dimension::Studio => "studio",
            Dimension::Year => "year",
            Dimension::AwardLevel => "award_level",
            Dimension::AwardYear => "award_year",
            Dimension::PatentType => "patent_type",
            Dimension::PatentStatus => "patent_status",
            Dimension::GrantYear => "grant_year",
            Dimension::MethodLevel => "method_level",
            Dimension::ProblemStatus => "problem_status",
            Dimension::StudioStars => "studio_stars",
            Dimension::StudioType => "studio_type",
            Dimension::Tag => "tag",
        }
    }

    pub fn parse(name: &str) -> Option<Dimension> {
        Self::ALL.into_iter().find(|d| d.name() == name)
    }

    /// Its name in the interface.
    pub fn zh(self) -> &'static str {
        match self {
            Dimension::Kind => "类型",
            Dimension::Category => "成果类别",
            Dimension::Alliance => "联盟",
            Dimension::Studio => "工作室",
            Dimension::Year => "年度",
            Dimension::AwardLevel => "获奖级别",
            Dimension::AwardYear => "获奖年度",
            Dimension::PatentType => "专利类型",
            Dimension::PatentStatus => "专利状态",
            Dimension::GrantYear => "授权年度",
            Dimension::MethodLevel => "工法等级",
            Dimension::ProblemStatus => "难题状态",
            Dimension::StudioStars => "工作室星级",
            Dimension::StudioType => "工作室类型",
            Dimension::Tag => "关键词",
        }
    }

    /// The search filter that lists exactly the records a group of this
    /// dimension counts, where there is one (not for the years of awards
    /// and grants, nor for a studio's stars or type).
    pub fn filter(self) -> Option<FacetField> {
        Some(match self {
            Dimension::Kind => FacetField::Kind,
            Dimension::Category => FacetField::Category,
            Dimension::Alliance => FacetField::Alliance,
            Dimension::Studio => FacetField::Studio,
            Dimension::Year => FacetField::Year,
            Dimension::AwardLevel => FacetField::AwardLevel,
            Dimension::PatentType => FacetField::PatentType,
            Dimension::PatentStatus | Dimension::ProblemStatus => FacetField::Status,
            Dimension::MethodLevel => FacetField::Level,
            Dimension::Tag => FacetField::Tag,
            Dimension::AwardYear | Dimension::GrantYear | Dimension::StudioStars | Dimension::StudioType => {
                return None;
            }
        })
    }

    /// The values of this dimension in the content format's order, when
    /// it has a fixed list.
    fn choices(self) -> &'static [Choice] {
        match self {
            Dimension::Kind => spec::KINDS,
            Dimension::Category => spec::CATEGORIES,
            Dimension::AwardLevel => spec::AWARD_LEVELS,
            Dimension::PatentType => spec::PATENT_TYPES,
            Dimension::PatentStatus => spec::PATENT_STATUSES,
            Dimension::MethodLevel => spec::METHOD_LEVELS,
            Dimension::ProblemStatus => spec::PROBLEM_STATUSES,
            Dimension::StudioType => spec::STUDIO_TYPES,
            _ => &[],
        }
    }

    fn numeric(self) -> bool {
        matches!(
            self,
            Dimension::Year | Dimension::AwardYear | Dimension::GrantYear | Dimension::StudioStars
        )
    }

    /// How people read a value: a choice's label, a studio's or alliance's
    /// name, a year, stars.
    pub fn label(self, value: &str, profiles: &Profiles) -> String {
        if let Some(choice) = self.choices().iter().find(|c| c.value == value) {
            return choice.zh.to_string();
        }
        match self {
            Dimension::Alliance => profiles.alliances.get(value).map(|a| a.name.clone()),
            Dimension::Studio => profiles.studios.get(value).map(|s| s.name.clone()),
            Dimension::Year | Dimension::AwardYear | Dimension::GrantYear => Some(format!("{value}年")),
            Dimension::StudioStars => value.parse::<usize>().ok().map(|n| format!("{}星级", star_word(n))),
            _ => None,
        }
        .unwrap_or_else(|| value.to_string())
    }

    /// Orders two values as tables show them: years ascending, choices in
    /// the format's order, names alphabetically.
    fn compare(self, a: &str, b: &str) -> Ordering {
        if self.numeric() {
            let n = |s: &str| s.parse::<i64>().unwrap_or(i64::MAX);
            return n(a).cmp(&n(b));
        }
        let choices = self.choices();
        let at = |s: &str| choices.iter().position(|c| c.value == s).unwrap_or(usize::MAX);
        at(a).cmp(&at(b)).then_with(|| a.cmp(b))
    }
}

/// 一 … 五, as stars are said.
pub fn star_word(n: usize) -> &'static str {
    ["零", "一", "二", "三", "四", "五"].get(n).copied().unwrap_or("")
}

/// An amount of 万元, exact: whole 1/10000 万元 (one yuan).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Wan(pub i64);

impl Wan {
    pub const UNIT: i64 = 10_000;

    /// From a record's `benefit` (a number of 万元 as written): to the yuan.
    pub fn from_number(value: f64) -> Wan {
        Wan((value * Self::UNIT as f64).round() as i64)
    }

    /// The decimal value as a number, for JSON and spreadsheets: the
    /// nearest double to the exact decimal, so it prints as written.
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / Self::UNIT as f64
    }

    /// In 亿元 when at least one 亿, else in 万元, with the unit; exact.
    pub fn headline(self) -> String {
        if self.0 >= Self::UNIT * Self::UNIT {
            format!("{}亿元", decimal(self.0, 8))
        } else {
            format!("{self}万元")
        }
    }
}

impl fmt::Display for Wan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&decimal(self.0, 4))
    }
}

impl Serialize for Wan {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_f64())
    }
}

/// `units` / 10^`places` written out exactly, without trailing zeros.
fn decimal(units: i64, places: u32) -> String {
    let scale = 10i64.pow(places);
    let sign = if units < 0 { "-" } else { "" };
    let (whole, frac) = (units.unsigned_abs() / scale as u64, units.unsigned_abs() % scale as u64);
    if frac == 0 {
        return format!("{sign}{whole}");
    }
    let frac = format!("{frac:0width$}", width = places as usize);
    format!("{sign}{whole}.{}", frac.trim_end_matches('0'))
}

/// Which figures a statistics request asks for: the dimensions, and the
/// years each figure's own date must fall in (none: every year).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsQuery {
    pub by: Vec<Dimension>,
    pub from: Option<i32>,
    pub to: Option<i32>,
}

impl StatsQuery {
    pub const MAX_DIMENSIONS: usize = 2;

    pub fn by(by: &[Dimension]) -> StatsQuery {
        StatsQuery {
            by: by.to_vec(),
            ..StatsQuery::default()
        }
    }

    pub fn year(mut self, year: i32) -> StatsQuery {
        self.from = Some(year);
        self.to = Some(year);
        self
    }

    /// Whether a figure dated in `year` counts: any year when no range
    /// is asked for; an undated figure only then.
    pub fn counts(&self, year: Option<i32>) -> bool {
        if self.from.is_none() && self.to.is_none() {
            return true;
        }
        year.is_some_and(|y| self.from.is_none_or(|f| y >= f) && self.to.is_none_or(|t| y <= t))
    }
}

/// `by` as written (names, or names separated by commas), checked: each a
/// known dimension, at most two; the message says what is wrong.
pub fn parse_dimensions<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Vec<Dimension>, String> {
    let mut by = Vec::new();
    for name in names.into_iter().flat_map(|n| n.split(',')).map(str::trim) {
        if name.is_empty() {
            continue;
        }
        let d = Dimension::parse(name).ok_or_else(|| {
            let names: Vec<&str> = Dimension::ALL.iter().map(|d| d.name()).collect();
            format!("未知的统计维度“{name}”，应为 {} 之一", names.join(" | "))
        })?;
        if !by.contains(&d) {
            by.push(d);
        }
    }
    if by.len() > StatsQuery::MAX_DIMENSIONS {
        return Err(format!(
            "最多同时按 {} 个维度统计，收到 {} 个",
            StatsQuery::MAX_DIMENSIONS,
            by.len()
        ));
    }
    Ok(by)
}

/// Counts of the four award levels, in `spec::AWARD_LEVELS` order.
pub type LevelCounts = [u64; 4];

/// The figures of one group (or of the total).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Measures {
    /// Records dated in the years asked for.
    pub count: u64,
    /// Their economic benefit.
    pub benefit: Wan,
    /// Records with an award of each level dated in those years.
    pub awarded: LevelCounts,
    /// Awards of each level dated in those years.
    pub awards: LevelCounts,
    /// Records with an award at provincial level or above dated in those
    /// years (each once, whatever awards it has).
    pub awarded_high: u64,
    /// Patents granted in those years, by `spec::PATENT_TYPES`.
    pub granted: [u64; 3],
    /// Methods dated in those years, by `spec::METHOD_LEVELS`.
    pub methods: [u64; 3],
    /// Problems solved in those years.
    pub solved: u64,
    /// Adoptions (`applied_in` entries) dated in those years.
    pub adoptions: u64,
    /// Distinct projects of those adoptions.
    pub projects: u64,
}

impl Measures {
    /// Awards at provincial level and above (国家级 + 省部级).
    pub fn high_awards(&self) -> u64 {
        self.awards[0] + self.awards[1]
    }

    /// Methods at provincial level and above.
    pub fn high_methods(&self) -> u64 {
        self.methods[0] + self.methods[1]
    }

    pub fn is_empty(&self) -> bool {
        *self == Measures::default()
    }
}

/// One row of a table: the values of its dimensions and its figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub key: Vec<String>,
    pub measures: Measures,
}

/// The answer to a statistics request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsTable {
    pub query: StatsQuery,
    /// Groups with any figure, ordered by their values.
    pub groups: Vec<Group>,
    /// Every matching record counted once, whatever groups it is in.
    pub total: Measures,
}

impl StatsTable {
    /// The group with these values, if any figure falls in it.
    pub fn group(&self, key: &[&str]) -> Option<&Measures> {
        self.groups
            .iter()
            .find(|g| g.key.iter().map(String::as_str).eq(key.iter().copied()))
            .map(|g| &g.measures)
    }

    fn sort(&mut self) {
        let by = self.query.by.clone();
        self.groups.sort_by(|a, b| {
            by.iter()
                .enumerate()
                .map(|(i, d)| d.compare(&a.key[i], &b.key[i]))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        });
    }
}

/// The stars and type of each studio, as the profiles say.
pub(crate) type StudioInfo = HashMap<String, (u8, String)>;

fn studio_info(profiles: &Profiles) -> StudioInfo {
    profiles
        .studios
        .values()
        .map(|s| (s.id.clone(), (s.stars, s.studio_type.clone())))
        .collect()
}

impl Engine {
    /// The figures of the records `request` matches that `viewer` may see,
    /// grouped as `query` asks; computed inside the search.
    pub fn stats(
        &self,
        request: &SearchRequest,
        viewer: &Viewer,
        query: &StatsQuery,
    ) -> Result<StatsTable, SearchError> {
        let studios = studio_info(&self.snapshot().profiles);
        let cache = self.stats_cache();
        let tally = || Tally {
            cache,
            query,
            studios: &studios,
        };
        let (groups, total) = self.collect_matching(request, viewer, tally)?;
        let mut table = StatsTable {
            query: query.clone(),
            groups: groups
                .into_iter()
                .map(|(key, measures)| Group { key, measures })
                .collect(),
            total,
        };
        table.sort();
        Ok(table)
    }
}

/// One studio's figures by kind, every year (or those given), as `viewer`
/// may see them; `total` is the studio's.
pub fn studio_figures(
    engine: &Engine,
    viewer: &Viewer,
    studio: &str,
    years: Option<(i32, i32)>,
) -> Result<StatsTable, SearchError> {
    let query = StatsQuery {
        by: vec![Dimension::Kind],
        from: years.map(|(from, _)| from),
        to: years.map(|(_, to)| to),
    };
    engine.stats(&SearchRequest::filtered(FacetField::Studio, studio), viewer, &query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_exact_decimals() {
        assert_eq!(Wan::from_number(85.6).to_string(), "85.6");
        let sum = [0.1, 0.2, 85.6, 1234.5678]
            .iter()
            .map(|&v| Wan::from_number(v).0)
            .sum::<i64>();
        assert_eq!(Wan(sum).to_string(), "1320.4678");
        assert_eq!(Wan(sum).as_f64().to_string(), "1320.4678");
        assert_eq!(Wan(0).to_string(), "0");
        assert_eq!(Wan(120_000_000).headline(), "1.2亿元");
        assert_eq!(Wan(1_000_000).headline(), "100万元");
        assert_eq!(Wan(-5_000).to_string(), "-0.5");
    }

    #[test]
    fn a_year_range_counts_only_dated_figures_within_it() {
        let all = StatsQuery::default();
        assert!(all.counts(None) && all.counts(Some(1990)));
        let y = StatsQuery::default().year(2024);
        assert!(y.counts(Some(2024)));
        assert!(!y.counts(Some(2023)) && !y.counts(None));
        let from = StatsQuery {
            from: Some(2023),
            ..StatsQuery::default()
        };
        assert!(from.counts(Some(2030)) && !from.counts(Some(2022)));
    }

    #[test]
    fn dimensions_have_names_labels_and_order() {
        for d in Dimension::ALL {
            assert_eq!(Dimension::parse(d.name()), Some(d));
            assert!(!d.zh().is_empty());
        }
        let profiles = Profiles::default();
        assert_eq!(Dimension::Kind.label("patent", &profiles), "专利");
        assert_eq!(Dimension::StudioStars.label("5", &profiles), "五星级");
        assert_eq!(Dimension::GrantYear.label("2024", &profiles), "2024年");
        assert_eq!(Dimension::Year.compare("2023", "2100"), Ordering::Less);
        assert_eq!(Dimension::Kind.compare("patent", "achievement"), Ordering::Greater);
        assert_eq!(Dimension::GrantYear.filter(), None);
    }
}
