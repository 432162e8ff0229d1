//! Facet counting inside whatever query it is run with, so counts never
//! include a record the viewer may not see.
//!
//! Every query that lists results also counts 12 facets over all its
//! matches, often most of the index. Reading tantivy's columns for that
//! costs an index lookup per document and column; instead each segment's
//! facet values are decoded once into plain arrays (`SegmentFacets`, a few
//! bytes per document and facet), kept while the segment lives, so a
//! document's value is one array load.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Cardinality;
use tantivy::index::SegmentId;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use super::schema::FacetField;

/// A facet's values, each with its count.
pub type Counts = Vec<HashMap<String, u64>>;

const NONE: u32 = u32::MAX;

/// Every facet of one segment, decoded. Single-valued facets are stored
/// row by row (a document's values side by side, one cache line), since a
/// match touches them all; multi-valued ones as value lists per document.
pub struct SegmentFacets {
    /// Value names per facet, in `FacetField::ALL` order.
    names: Vec<Vec<String>>,
    /// Which facets the rows hold, in row order.
    row_fields: Vec<usize>,
    /// `row_fields.len()` ordinals per document (`NONE` for no value).
    rows: Vec<u32>,
    multi: Vec<MultiColumn>,
}

/// A multi-valued facet: document `d`'s values are `ords[starts[d]..starts[d + 1]]`.
struct MultiColumn {
    field: usize,
    starts: Vec<u32>,
    ords: Vec<u32>,
}

impl SegmentFacets {
    fn load(segment: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        let max_doc = segment.max_doc();
        let mut names = Vec::with_capacity(FacetField::ALL.len());
        let mut singles = Vec::new();
        let mut multi = Vec::new();
        for (field, facet) in FacetField::ALL.iter().enumerate() {
            let Some(column) = segment.fast_fields().str(facet.name())? else {
                // No document of the segment has this facet.
                names.push(Vec::new());
                continue;
            };
            let mut values = Vec::with_capacity(column.num_terms());
            let mut name = String::new();
            for ord in 0..column.num_terms() as u64 {
                name.clear();
                column.ord_to_str(ord, &mut name)?;
                values.push(name.clone());
            }
            names.push(values);
            let ords = column.ords();
            if ords.get_cardinality() == Cardinality::Multivalued {
                let mut starts = Vec::with_capacity(max_doc as usize + 1);
                let mut values = Vec::new();
                for doc in 0..max_doc {
                    starts.push(values.len() as u32);
                    values.extend(ords.values_for_doc(doc).map(|o| o as u32));
                }
                starts.push(values.len() as u32);
                multi.push(MultiColumn {
                    field,
                    starts,
                    ords: values,
                });
            } else {
                let column: Vec<u32> = (0..max_doc)
                    .map(|doc| ords.first(doc).map_or(NONE, |o| o as u32))
                    .collect();
                singles.push((field, column));
            }
        }
        let width = singles.len();
        let mut rows = vec![NONE; width * max_doc as usize];
        for (j, (_, column)) in singles.iter().enumerate() {
            for (doc, ord) in column.iter().enumerate() {
                rows[doc * width + j] = *ord;
            }
        }
        Ok(SegmentFacets {
            names,
            row_fields: singles.into_iter().map(|(field, _)| field).collect(),
            rows,
            multi,
        })
    }
}

/// The decoded facets of the segments in use, by segment.
#[derive(Default)]
pub struct FacetCache {
    segments: Mutex<HashMap<SegmentId, Arc<SegmentFacets>>>,
}

impl FacetCache {
    /// Decodes the segments not seen yet and forgets those gone: called
    /// whenever the searcher changes, so queries find them ready.
    pub fn refresh(&self, segments: &[SegmentReader]) -> tantivy::Result<()> {
        let live: HashSet<SegmentId> = segments.iter().map(SegmentReader::segment_id).collect();
        self.lock().retain(|id, _| live.contains(id));
        for segment in segments {
            self.get(segment)?;
        }
        Ok(())
    }

    fn get(&self, segment: &SegmentReader) -> tantivy::Result<Arc<SegmentFacets>> {
        if let Some(found) = self.lock().get(&segment.segment_id()) {
            return Ok(found.clone());
        }
        // Decoded outside the lock; two queries racing on a new segment
        // both decode it, and one result is kept.
        let loaded = Arc::new(SegmentFacets::load(segment)?);
        Ok(self.lock().entry(segment.segment_id()).or_insert(loaded).clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SegmentId, Arc<SegmentFacets>>> {
        self.segments.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Counts every facet's values over the matching documents.
pub struct FacetCounts<'a> {
    pub cache: &'a FacetCache,
}

pub struct SegmentFacetCounts {
    facets: Arc<SegmentFacets>,
    counts: Vec<Vec<u32>>,
}

impl Collector for FacetCounts<'_> {
    type Fruit = Counts;
    type Child = SegmentFacetCounts;

    fn for_segment(&self, _: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<SegmentFacetCounts> {
        let facets = self.cache.get(segment)?;
        let counts = facets.names.iter().map(|names| vec![0; names.len()]).collect();
        Ok(SegmentFacetCounts { facets, counts })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Counts>) -> tantivy::Result<Counts> {
        let mut merged: Counts = vec![HashMap::new(); FacetField::ALL.len()];
        for fruit in fruits {
            for (into, from) in merged.iter_mut().zip(fruit) {
                for (key, n) in from {
                    *into.entry(key).or_insert(0) += n;
                }
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for SegmentFacetCounts {
    type Fruit = Counts;

    fn collect(&mut self, doc: DocId, _: Score) {
        let doc = doc as usize;
        let facets = &*self.facets;
        let width = facets.row_fields.len();
        let row = &facets.rows[doc * width..(doc + 1) * width];
        for (&ord, &field) in row.iter().zip(&facets.row_fields) {
            if ord != NONE {
                self.counts[field][ord as usize] += 1;
            }
        }
        for column in &facets.multi {
            let values = &column.ords[column.starts[doc] as usize..column.starts[doc + 1] as usize];
            let counts = &mut self.counts[column.field];
            for &ord in values {
                counts[ord as usize] += 1;
            }
        }
    }

    fn harvest(self) -> Counts {
        self.facets
            .names
            .iter()
            .zip(self.counts)
            .map(|(names, counts)| {
                names
                    .iter()
                    .zip(counts)
                    .filter(|(_, n)| *n > 0)
                    .map(|(name, n)| (name.clone(), u64::from(n)))
                    .collect()
            })
            .collect()
    }
}
