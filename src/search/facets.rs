//! Facet counting over the string fast fields, inside whatever query it is
//! run with, so counts never include a record the viewer may not see.

use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

pub struct FacetCounts {
    pub fields: Vec<&'static str>,
}

pub type Counts = Vec<HashMap<String, u64>>;

pub struct SegmentFacetCounts {
    columns: Vec<Option<(StrColumn, Vec<u32>)>>,
}

impl Collector for FacetCounts {
    type Fruit = Counts;
    type Child = SegmentFacetCounts;

    fn for_segment(&self, _: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<SegmentFacetCounts> {
        let mut columns = Vec::with_capacity(self.fields.len());
        for name in &self.fields {
            let column = segment.fast_fields().str(name)?;
            columns.push(column.map(|c| {
                let terms = c.num_terms();
                (c, vec![0u32; terms])
            }));
        }
        Ok(SegmentFacetCounts { columns })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Counts>) -> tantivy::Result<Counts> {
        let mut merged: Counts = vec![HashMap::new(); self.fields.len()];
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
        for (column, counts) in self.columns.iter_mut().flatten() {
            for ord in column.term_ords(doc) {
                counts[ord as usize] += 1;
            }
        }
    }

    fn harvest(self) -> Counts {
        self.columns
            .into_iter()
            .map(|column| {
                let mut out = HashMap::new();
                if let Some((column, counts)) = column {
                    let mut key = String::new();
                    for (ord, n) in counts.into_iter().enumerate() {
                        if n > 0 && column.ord_to_str(ord as u64, &mut key).unwrap_or(false) {
                            out.insert(key.clone(), n as u64);
                        }
                    }
                }
                out
            })
            .collect()
    }
}
