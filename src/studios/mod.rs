//! The studio directory (工作室名录): studio profiles filtered and counted
//! by stars, type, naming level, alliance and unit, sorted by name,
//! founding year or their figures; and each studio's figures (records by
//! kind, patents granted, methods and awards by level, benefit, adoptions,
//! problems solved and helped).
//!
//! Profiles are few and public, so the directory filters and counts them
//! in memory. Figures count records, so they come from searches made as
//! the viewer: what a viewer may not see is never counted. `figures` and
//! `all_figures` are the only two ways in, so that they can move onto
//! aggregations inside the search without their callers changing.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::auth::Viewer;
use crate::content::load::Profiles;
use crate::content::{Kind, Studio};
use crate::search::{Engine, FacetField, SearchError, SearchRequest, SearchResults};
use crate::stats::{Dimension, StatsQuery, Wan};

/// The directory's facets, in the order the sidebar shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DirField {
    Stars,
    StudioType,
    NamingLevel,
    Alliance,
    Unit,
}

impl DirField {
    pub const ALL: [DirField; 5] = [
        DirField::Stars,
        DirField::StudioType,
        DirField::NamingLevel,
        DirField::Alliance,
        DirField::Unit,
    ];

    /// The name in URLs and JSON, which is the profile field's name.
    pub fn name(self) -> &'static str {
        match self {
            DirField::Stars => "stars",
            DirField::StudioType => "studio_type",
            DirField::NamingLevel => "naming_level",
            DirField::Alliance => "alliance",
            DirField::Unit => "unit",
        }
    }

    pub fn parse(name: &str) -> Option<DirField> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    /// A studio's values of this field (a studio may be in several
    /// alliances; one without the field has none).
    fn values(self, studio: &Studio) -> Vec<String> {
        let one = |s: &str| if s.is_empty() { vec![] } else { vec![s.to_string()] };
        match self {
            DirField::Stars if studio.stars > 0 => vec![studio.stars.to_string()],
            DirField::Stars => vec![],
            DirField::StudioType => one(&studio.studio_type),
            DirField::NamingLevel => one(studio.naming_level.as_deref().unwrap_or("")),
            DirField::Alliance => studio.alliances.clone(),
            DirField::Unit => one(&studio.unit),
        }
    }
}

/// How the directory is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DirSort {
    /// By name (the default).
    #[default]
    Name,
    /// Oldest first.
    Founded,
    /// Most records first, then the rest by name.
    Records,
    /// Most granted patents first.
    Patents,
    /// Most economic benefit first.
    Benefit,
    /// Most stars first.
    Stars,
}

impl DirSort {
    pub const ALL: [DirSort; 6] = [
        DirSort::Name,
        DirSort::Stars,
        DirSort::Founded,
        DirSort::Records,
        DirSort::Patents,
        DirSort::Benefit,
    ];

    pub fn parse(text: &str) -> Option<DirSort> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DirSort::Name => "name",
            DirSort::Founded => "founded",
            DirSort::Records => "records",
            DirSort::Patents => "patents",
            DirSort::Benefit => "benefit",
            DirSort::Stars => "stars",
        }
    }

    /// Whether this order needs the studios' figures.
    pub fn needs_figures(self) -> bool {
        matches!(self, DirSort::Records | DirSort::Patents | DirSort::Benefit)
    }
}

/// What the directory is asked for: values of one field are alternatives,
/// different fields all apply.
#[derive(Debug, Clone, Default)]
pub struct DirectoryRequest {
    pub filters: BTreeMap<DirField, Vec<String>>,
    pub sort: DirSort,
}

/// The counts of one facet: each value with how many studios have it.
#[derive(Debug, Clone, Serialize)]
pub struct DirFacet {
    pub field: DirField,
    pub values: Vec<(String, usize)>,
}

/// The studios a request lets through, in its order, with the facets.
#[derive(Debug, Clone)]
pub struct Directory<'a> {
    pub studios: Vec<&'a Studio>,
    pub facets: Vec<DirFacet>,
}

fn passes(studio: &Studio, filters: &BTreeMap<DirField, Vec<String>>, except: Option<DirField>) -> bool {
    filters
        .iter()
        .filter(|(field, wanted)| Some(**field) != except && !wanted.is_empty())
        .all(|(field, wanted)| field.values(studio).iter().any(|v| wanted.contains(v)))
}

/// Filters, counts and sorts the profiles. Each facet counts the studios
/// that pass every *other* field's filter, so a chosen value's
/// alternatives keep their counts and can be added to it. `figures` are
/// needed only by the orders by figures (`DirSort::needs_figures`); a
/// studio missing from them counts as zero.
pub fn directory<'a>(
    profiles: &'a Profiles,
    request: &DirectoryRequest,
    figures: &BTreeMap<String, DirFigures>,
) -> Directory<'a> {
    let all: Vec<&Studio> = profiles.studios.values().collect();
    let facets = DirField::ALL
        .into_iter()
        .map(|field| {
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for studio in all.iter().filter(|s| passes(s, &request.filters, Some(field))) {
                for value in field.values(studio) {
                    *counts.entry(value).or_default() += 1;
                }
            }
            let mut values: Vec<(String, usize)> = counts.into_iter().collect();
            match field {
                // Stars read best from five down; the others by how many.
                DirField::Stars => values.sort_by(|a, b| b.0.cmp(&a.0)),
                _ => values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0))),
            }
            DirFacet { field, values }
        })
        .collect();
    let mut studios: Vec<&Studio> = all.into_iter().filter(|s| passes(s, &request.filters, None)).collect();
    let zero = DirFigures::default();
    let of = |s: &Studio| figures.get(&s.id).unwrap_or(&zero).clone();
    studios.sort_by(|a, b| {
        let by_name = a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id));
        let first = match request.sort {
            DirSort::Name => std::cmp::Ordering::Equal,
            DirSort::Stars => b.stars.cmp(&a.stars),
            // A studio without a founding year goes last.
            DirSort::Founded => a.founded.unwrap_or(i64::MAX).cmp(&b.founded.unwrap_or(i64::MAX)),
            DirSort::Records => of(b).records.cmp(&of(a).records),
            DirSort::Patents => of(b).patents_granted.cmp(&of(a).patents_granted),
            DirSort::Benefit => of(b).benefit.cmp(&of(a).benefit),
        };
        first.then(by_name)
    });
    Directory { studios, facets }
}

/// What the directory shows and sorts by of each studio.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DirFigures {
    pub records: u64,
    pub patents_granted: u64,
    /// Summed inside the search by the statistics (`stats`), exact.
    pub benefit: Wan,
}

/// Every studio's figures among the records the viewer may see: records
/// and granted patents from the facet counts of two searches, benefit
/// from the statistics by studio (summed inside the search, exact).
pub fn all_figures(engine: &Engine, viewer: &Viewer) -> Result<BTreeMap<String, DirFigures>, SearchError> {
    let mut figures: BTreeMap<String, DirFigures> = BTreeMap::new();
    let everything = SearchRequest {
        per_page: 1,
        ..SearchRequest::default()
    };
    for (studio, n) in engine.search(&everything, viewer)?.facet(FacetField::Studio) {
        figures.entry(studio.clone()).or_default().records = *n;
    }
    let mut granted = SearchRequest::filtered(FacetField::Kind, Kind::Patent.as_str());
    granted.filters.insert(FacetField::Status, vec!["granted".into()]);
    granted.per_page = 1;
    for (studio, n) in engine.search(&granted, viewer)?.facet(FacetField::Studio) {
        figures.entry(studio.clone()).or_default().patents_granted = *n;
    }
    let by_studio = engine.stats(&everything, viewer, &StatsQuery::by(&[Dimension::Studio]))?;
    for group in by_studio.groups {
        if let Some(studio) = group.key.into_iter().next() {
            figures.entry(studio).or_default().benefit = group.measures.benefit;
        }
    }
    Ok(figures)
}

/// A studio's figures, over the records the viewer may see.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StudioFigures {
    pub records: usize,
    /// Kind → records, most first.
    pub by_kind: Vec<(String, u64)>,
    pub patents_granted: u64,
    /// Method level → methods.
    pub methods_by_level: Vec<(String, u64)>,
    /// Award level → records with an award of that level.
    pub awards_by_level: Vec<(String, u64)>,
    /// 万元, summed over the records that state one.
    pub benefit: Wan,
    /// Adoptions (应用推广 entries) over its records.
    pub adoptions: u64,
    /// Its own open problems that were solved.
    pub problems_solved: u64,
    /// Other studios' problems solved by one of its records.
    pub problems_helped: usize,
}

fn count(results: &SearchResults, field: FacetField, value: &str) -> u64 {
    results
        .facet(field)
        .iter()
        .find(|(v, _)| v == value)
        .map_or(0, |(_, n)| *n)
}

/// One studio's figures among the records the viewer may see. Benefit and
/// adoptions are the statistics' sums (inside the search); its granted
/// patents and solved problems are facet counts; problems it helped with
/// are the solved problems of other studios whose solutions include one
/// of its records (own or joint), each solution looked up by id.
pub fn figures(engine: &Engine, viewer: &Viewer, studio: &str) -> Result<StudioFigures, SearchError> {
    let mut own = SearchRequest::filtered(FacetField::Studio, studio);
    own.per_page = 1;
    let counts = engine.search(&own, viewer)?;
    let sums = crate::stats::studio_figures(engine, viewer, studio, None)?.total;
    let mut patents = SearchRequest::filtered(FacetField::Studio, studio);
    patents
        .filters
        .insert(FacetField::Kind, vec![Kind::Patent.as_str().into()]);
    patents.per_page = 1;
    let patents = engine.search(&patents, viewer)?;
    let mut problems = SearchRequest::filtered(FacetField::Studio, studio);
    problems
        .filters
        .insert(FacetField::Kind, vec![Kind::Problem.as_str().into()]);
    problems.per_page = 1;
    let problems = engine.search(&problems, viewer)?;
    let mut solved = BTreeMap::new();
    solved.insert(FacetField::Kind, vec![Kind::Problem.as_str().to_string()]);
    solved.insert(FacetField::Status, vec!["solved".to_string()]);
    let solved = engine.all_cards(&solved, viewer)?;
    // Whether a solving record is this studio's (its own or joint work),
    // looked up once per record named: solutions are few, a studio's
    // records may be tens of thousands.
    let mut mine: HashMap<String, bool> = HashMap::new();
    let mut is_mine = |id: &str| -> Result<bool, SearchError> {
        if let Some(&known) = mine.get(id) {
            return Ok(known);
        }
        let found = engine.locate(id, viewer)?.is_some_and(|located| {
            located.card.studio == studio || located.card.partners.iter().any(|p| p.id == studio)
        });
        mine.insert(id.to_string(), found);
        Ok(found)
    };
    let mut problems_helped = 0;
    for problem in solved.iter().filter(|c| c.studio != studio) {
        let mut helped = false;
        for id in &problem.solved_by {
            if is_mine(id)? {
                helped = true;
                break;
            }
        }
        problems_helped += usize::from(helped);
    }
    Ok(StudioFigures {
        records: counts.total,
        by_kind: counts.facet(FacetField::Kind).to_vec(),
        patents_granted: count(&patents, FacetField::Status, "granted"),
        methods_by_level: counts.facet(FacetField::Level).to_vec(),
        awards_by_level: counts.facet(FacetField::AwardLevel).to_vec(),
        benefit: sums.benefit,
        adoptions: sums.adoptions,
        problems_solved: count(&problems, FacetField::Status, "solved"),
        problems_helped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn studio(
        id: &str,
        name: &str,
        stars: u8,
        kind: &str,
        level: Option<&str>,
        alliances: &[&str],
        founded: i64,
    ) -> Studio {
        Studio {
            id: id.into(),
            name: name.into(),
            unit: format!("{id}单位"),
            leader: String::new(),
            stars,
            studio_type: kind.into(),
            alliances: alliances.iter().map(|a| a.to_string()).collect(),
            founded: Some(founded),
            naming_level: level.map(String::from),
            naming_year: None,
            members: None,
            contact: None,
            star_history: BTreeMap::new(),
            body: String::new(),
        }
    }

    fn profiles() -> Profiles {
        let mut p = Profiles::default();
        for s in [
            studio("a", "甲", 5, "research", Some("national"), &["tunnel", "bridge"], 2015),
            studio("b", "乙", 4, "research", Some("provincial"), &["tunnel"], 2012),
            studio("c", "丙", 4, "management", None, &["bridge"], 2019),
        ] {
            p.studios.insert(s.id.clone(), s);
        }
        p
    }

    fn facet<'a>(d: &'a Directory, field: DirField) -> &'a [(String, usize)] {
        &d.facets.iter().find(|f| f.field == field).unwrap().values
    }

    #[test]
    fn facets_count_studios_under_the_other_fields_filters() {
        let p = profiles();
        let none = BTreeMap::new();
        let d = directory(&p, &DirectoryRequest::default(), &none);
        assert_eq!(d.studios.len(), 3);
        assert_eq!(facet(&d, DirField::Stars), [("5".into(), 1), ("4".into(), 2)]);
        assert_eq!(
            facet(&d, DirField::Alliance),
            [("bridge".into(), 2), ("tunnel".into(), 2)]
        );
        assert_eq!(facet(&d, DirField::NamingLevel).len(), 2);

        let mut request = DirectoryRequest::default();
        request.filters.insert(DirField::Stars, vec!["4".into()]);
        let d = directory(&p, &request, &none);
        assert_eq!(d.studios.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["c", "b"]);
        // The stars' own counts ignore the stars filter; the rest apply it.
        assert_eq!(facet(&d, DirField::Stars), [("5".into(), 1), ("4".into(), 2)]);
        assert_eq!(
            facet(&d, DirField::StudioType),
            [("management".into(), 1), ("research".into(), 1)]
        );
        request
            .filters
            .insert(DirField::Alliance, vec!["tunnel".into(), "nowhere".into()]);
        let d = directory(&p, &request, &none);
        assert_eq!(d.studios.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["b"]);
    }

    #[test]
    fn sorts_by_name_founding_stars_and_figures() {
        let p = profiles();
        let ids = |sort: DirSort, figures: &BTreeMap<String, DirFigures>| {
            directory(
                &p,
                &DirectoryRequest {
                    sort,
                    ..Default::default()
                },
                figures,
            )
            .studios
            .iter()
            .map(|s| s.id.clone())
            .collect::<Vec<_>>()
        };
        let none = BTreeMap::new();
        // 丙 (bǐng) < 乙 < 甲 by code point: the order is stable, not pinyin.
        assert_eq!(ids(DirSort::Name, &none), ["c", "b", "a"]);
        assert_eq!(ids(DirSort::Founded, &none), ["b", "a", "c"]);
        assert_eq!(ids(DirSort::Stars, &none), ["a", "c", "b"]);
        let mut figures = BTreeMap::new();
        figures.insert(
            "b".to_string(),
            DirFigures {
                records: 7,
                patents_granted: 1,
                benefit: Wan(5),
            },
        );
        figures.insert(
            "a".to_string(),
            DirFigures {
                records: 3,
                patents_granted: 2,
                benefit: Wan(0),
            },
        );
        assert_eq!(ids(DirSort::Records, &figures), ["b", "a", "c"]);
        assert_eq!(ids(DirSort::Patents, &figures), ["a", "b", "c"]);
        // a's zero and c's missing figures tie: then by name (丙 before 甲).
        assert_eq!(ids(DirSort::Benefit, &figures), ["b", "c", "a"]);
        assert_eq!(DirSort::parse("patents"), Some(DirSort::Patents));
        assert_eq!(DirSort::parse("x"), None);
    }
}
