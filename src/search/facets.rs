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

/// One facet of one segment, decoded.
enum FacetColumn {
    /// At most one value per document (`NONE` when it has none).
    Single { ords: Vec<u32>, names: Vec<String> },
    /// Any number of values: document `d`'s are `ords[starts[d]..starts[d + 1]]`.
    Multi {
        starts: Vec<u32>,
        ords: Vec<u32>,
        names: Vec<String>,
    },
}

impl FacetColumn {
    fn names(&self) -> &[String] {
        match self {
            FacetColumn::Single { names, .. } | FacetColumn::Multi { names, .. } => names,
        }
    }
}

/// Every facet of one segment, in `FacetField::ALL` order.
pub struct SegmentFacets {
    columns: Vec<FacetColumn>,
}

impl SegmentFacets {
    fn load(segment: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        let max_doc = segment.max_doc();
        let mut columns = Vec::with_capacity(FacetField::ALL.len());
        for field in FacetField::ALL {
            let Some(column) = segment.fast_fields().str(field.name())? else {
                // No document of the segment has this facet.
                columns.push(FacetColumn::Single {
                    ords: vec![NONE; max_doc as usize],
                    names: Vec::new(),
                });
                continue;
            };
            let mut names = Vec::with_capacity(column.num_terms());
            let mut name = String::new();
            for ord in 0..column.num_terms() as u64 {
                name.clear();
                column.ord_to_str(ord, &mut name)?;
                names.push(name.clone());
            }
            let ords = column.ords();
            if ords.get_cardinality() == Cardinality::Multivalued {
                let mut starts = Vec::with_capacity(max_doc as usize + 1);
                let mut values = Vec::new();
                for doc in 0..max_doc {
                    starts.push(values.len() as u32);
                    values.extend(ords.values_for_doc(doc).map(|o| o as u32));
                }
                starts.push(values.len() as u32);
                columns.push(FacetColumn::Multi {
                    starts,
                    ords: values,
                    names,
                });
            } else {
                let ords = (0..max_doc)
                    .map(|doc| ords.first(doc).map_or(NONE, |o| o as u32))
                    .collect();
                columns.push(FacetColumn::Single { ords, names });
            }
        }
        Ok(SegmentFacets { columns })
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
        let counts = facets.columns.iter().map(|c| vec![0; c.names().len()]).collect();
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
        for (column, counts) in self.facets.columns.iter().zip(&mut self.counts) {
            match column {
                FacetColumn::Single { ords, .. } => {
                    let ord = ords[doc];
                    if ord != NONE {
                        counts[ord as usize] += 1;
                    }
                }
                FacetColumn::Multi { starts, ords, .. } => {
                    for &ord in &ords[starts[doc] as usize..starts[doc + 1] as usize] {
                        counts[ord as usize] += 1;
                    }
                }
            }
        }
    }

    fn harvest(self) -> Counts {
        self.facets
            .columns
            .iter()
            .zip(self.counts)
            .map(|(column, counts)| {
                column
                    .names()
                    .iter()
                    .zip(counts)
                    .filter(|(_, n)| *n > 0)
                    .map(|(name, n)| (name.clone(), u64::from(n)))
                    .collect()
            })
            .collect()
    }
}
