//! Search: analysis, the index schema, keeping the index in step with the
//! content, and queries with facets, snippets and visibility.
//!
//! `Engine` (`engine.rs`: what it holds, opening and checking the index) is
//! the one type the rest of the program uses; its work is split by room,
//! each an `impl Engine` block: `sync.rs` keeps the index in step with the
//! files (manifest, journal, commits, repair), `document.rs` turns a record
//! into an index document (with the figures `crate::stats` counts) and a
//! stored one back into a card, `rank.rs` answers searches (query,
//! collecting, re-ranking, the page's hits; `collect_matching` runs another
//! collector, such as the statistics', over a search's visible matches) and
//! `lookup.rs` finds a record by id, similar records and suggestions. The
//! rest serves them: `analysis.rs` (folding, n-grams, the query's words),
//! `query.rs` (the query language), `schema.rs`, `facets.rs` (counts),
//! `visible.rs` (the visibility filter), `bitset.rs`, `snippet.rs`,
//! `store.rs` (the index folder on disk: checks, clearing) and
//! `segment_cache.rs` (values kept per index segment).
//!
//! Every search takes a `Viewer`, and the visibility rule is applied inside
//! the search (a filter on the matches before anything collects them, or a
//! clause of the query), so totals, facets, snippets, suggestions and
//! similar records are computed only over what the viewer may see. It does
//! not render pages or know HTTP.

pub mod analysis;
mod bitset;
mod document;
mod engine;
mod facets;
pub use facets::MAX_FACET_LIMIT;
mod lookup;
mod pinyin;
pub mod query;
mod rank;
pub mod schema;
pub(crate) mod segment_cache;
pub mod snippet;
mod store;
mod sync;
mod visible;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use engine::{Engine, Located, Snapshot};
pub use schema::FacetField;
pub use sync::SyncReport;

use crate::content::Record;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("内容目录不存在：{0}")]
    NoContent(PathBuf),
    #[error("无法访问 {path}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("索引错误")]
    Index(#[from] tantivy::TantivyError),
    #[error("索引目录 {0} 正被另一个 zhihui 进程使用（例如正在运行的 zhihui serve），请先停止它")]
    Busy(PathBuf),
    /// The index cannot take a write now: its folder vanished or was
    /// damaged under the running server, and it is being rebuilt from
    /// the files (`Engine::ensure_writable`).
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
}

impl SearchError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        SearchError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    #[default]
    Relevance,
    Newest,
    Benefit,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Sort> {
        match s {
            "relevance" | "" => Some(Sort::Relevance),
            "newest" | "date" => Some(Sort::Newest),
            "benefit" => Some(Sort::Benefit),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
            Sort::Newest => "newest",
            Sort::Benefit => "benefit",
        }
    }
}

#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub q: String,
    /// Values of one field are alternatives; fields are all required.
    pub filters: BTreeMap<FacetField, Vec<String>>,
    pub sort: Sort,
    pub page: usize,
    pub per_page: usize,
    /// How many values each facet answers with, most frequent first (the
    /// selected ones always too); `usize::MAX`, the default, is all of
    /// them, for the callers that need every count.
    pub facet_limit: usize,
}

impl Default for SearchRequest {
    fn default() -> Self {
        SearchRequest {
            q: String::new(),
            filters: BTreeMap::new(),
            sort: Sort::Relevance,
            page: 1,
            per_page: 10,
            facet_limit: usize::MAX,
        }
    }
}

impl SearchRequest {
    pub fn filtered(field: FacetField, value: &str) -> Self {
        let mut request = SearchRequest::default();
        request.filters.insert(field, vec![value.to_string()]);
        request
    }
}

/// What a result card shows; stored in the index with each record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Card {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub studio: String,
    pub studio_name: String,
    pub date: String,
    pub tags: Vec<String>,
    pub summary: String,
    pub visibility: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub benefit: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patent_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub authors: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<String>,
    /// A patent's dates, which the patent watch computes its dates from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filing_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_date: Option<String>,
    /// How many projects adopted it (`applied_in`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub adoptions: usize,
    /// The records that solved a problem, for a studio's "helped" count.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub solved_by: Vec<String>,
    /// Partner studios of a joint record (联合攻关), as (id, name).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partners: Vec<Partner>,
}

/// A partner studio as cards and pages link it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Partner {
    pub id: String,
    pub name: String,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Card {
    pub fn of(record: &Record, studio_name: Option<&str>) -> Card {
        Card {
            id: record.id.clone(),
            title: record.title.clone(),
            kind: record.kind.as_str().to_string(),
            studio: record.studio.clone(),
            studio_name: studio_name.unwrap_or(&record.studio).to_string(),
            date: record.date.to_string(),
            tags: record.tags.clone(),
            summary: record.summary.clone(),
            visibility: record.visibility.as_str().to_string(),
            benefit: record.benefit,
            category: record.category.clone(),
            patent_type: record.patent_type.clone(),
            status: record.status.clone(),
            level: record.level.clone(),
            code: record.application_no.clone().or_else(|| record.method_code.clone()),
            authors: record.authors.clone(),
            review: record.review.clone(),
            filing_date: record.filing_date.map(|d| d.to_string()),
            grant_date: record.grant_date.map(|d| d.to_string()),
            adoptions: record.applied_in.len(),
            solved_by: record.solved_by.clone(),
            partners: record
                .partners
                .iter()
                .map(|id| Partner {
                    id: id.clone(),
                    name: id.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    #[serde(flatten)]
    pub card: Card,
    pub score: f32,
    pub url: String,
    /// HTML: escaped text with `<mark>`ed query words.
    pub snippet: String,
    /// HTML: the title with `<mark>`ed query words.
    pub title_html: String,
}

#[derive(Debug, Clone)]
pub struct FacetValues {
    pub field: FacetField,
    /// Most frequent first (then by value), at most the facet limit, and
    /// after them any selected value that was not among them.
    pub values: Vec<(String, u64)>,
    /// How many distinct values the matches hold (of those asked for).
    pub distinct: usize,
}

#[derive(Debug, Clone)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<Hit>,
    pub facets: Vec<FacetValues>,
    pub notices: Vec<query::Notice>,
    /// The filters applied, from the parameters and from `field:value`.
    pub filters: BTreeMap<FacetField, Vec<String>>,
    pub page: usize,
    pub per_page: usize,
    pub took_ms: f64,
}

impl SearchResults {
    pub fn facet(&self, field: FacetField) -> &[(String, u64)] {
        self.facets
            .iter()
            .find(|f| f.field == field)
            .map(|f| f.values.as_slice())
            .unwrap_or(&[])
    }

    pub fn pages(&self) -> usize {
        self.total.div_ceil(self.per_page.max(1)).max(1)
    }
}
