//! Facet counting inside whatever query it is run with, so counts never
//! include a record the viewer may not see.
//!
//! Every query that lists results also counts 12 facets over all its
//! matches, often most of the index. Reading tantivy's columns for that
//! costs an index lookup per document and column; instead each segment's
//! facet values are decoded once into plain arrays (`SegmentFacets`, a few
//! bytes per document and facet), kept while the segment lives, so a
//! document's value is one array load.
//!
//! A query matching most of a block of documents is counted the other way
//! round: the block's total counts, kept with the segment, less the
//! documents it does not match. Counting costs what the smaller side
//! costs, and a search over nearly everything (施工 质量, or browsing
//! with no words) counts almost nothing.

use std::collections::HashMap;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use super::schema::FacetField;
use super::segment_cache::SegmentCache;

/// A facet's values, each with its count.
pub type Counts = Vec<HashMap<String, u64>>;

/// Every facet of one segment, decoded. Each value of each facet has a slot
/// in one flat array of counts, and each document is stored as the list of
/// slots it counts, of every facet it has a value in (a record holds few of
/// the kind-specific ones: a patent has no 工法 level). Counting a match is
/// then a run of increments, with no branch on the facet or on a missing
/// value.
pub struct SegmentFacets {
    /// Value names per facet, in `FacetField::ALL` order.
    names: Vec<Vec<String>>,
    /// Where each facet's values start among the slots.
    first_slot: Vec<usize>,
    /// How many value slots there are.
    slots: usize,
    /// Document `d`'s slots are `doc_slots[starts[d]..starts[d + 1]]`.
    starts: Vec<u32>,
    doc_slots: Vec<u32>,
    /// Every document's counts, block by block (`BLOCK` documents, deleted
    /// ones too), `slots` per block.
    block_totals: Vec<u32>,
}

/// Documents per block of `SegmentFacets::block_totals`.
const BLOCK: usize = 2048;

impl SegmentFacets {
    fn load(segment: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        let max_doc = segment.max_doc() as usize;
        let mut names = Vec::with_capacity(FacetField::ALL.len());
        let mut first_slot = Vec::with_capacity(FacetField::ALL.len());
        let mut columns = Vec::new();
        let mut slots = 0usize;
        for facet in FacetField::ALL {
            first_slot.push(slots);
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
            let base = slots as u32;
            slots += column.num_terms();
            columns.push((base, column.ords().clone()));
        }
        let mut starts = Vec::with_capacity(max_doc + 1);
        let mut doc_slots = Vec::new();
        for doc in 0..max_doc as DocId {
            starts.push(doc_slots.len() as u32);
            for (base, ords) in &columns {
                doc_slots.extend(ords.values_for_doc(doc).map(|ord| base + ord as u32));
            }
        }
        starts.push(doc_slots.len() as u32);
        let mut block_totals = vec![0u32; max_doc.div_ceil(BLOCK) * slots];
        for (block, totals) in block_totals.chunks_mut(slots.max(1)).enumerate() {
            let docs = block * BLOCK..((block + 1) * BLOCK).min(max_doc);
            for &slot in &doc_slots[starts[docs.start] as usize..starts[docs.end] as usize] {
                totals[slot as usize] += 1;
            }
        }
        Ok(SegmentFacets {
            names,
            first_slot,
            slots,
            starts,
            doc_slots,
            block_totals,
        })
    }

    fn each_slot(&self, doc: usize, mut count: impl FnMut(usize)) {
        for &slot in &self.doc_slots[self.starts[doc] as usize..self.starts[doc + 1] as usize] {
            count(slot as usize);
        }
    }

    fn max_doc(&self) -> usize {
        self.starts.len() - 1
    }
}

/// The decoded facets of the segments in use, by segment.
#[derive(Default)]
pub struct FacetCache(SegmentCache<(), SegmentFacets>);

impl FacetCache {
    /// Decodes the segments not seen yet and forgets those gone: called
    /// whenever the searcher changes, so queries find them ready.
    pub fn refresh(&self, segments: &[SegmentReader]) -> tantivy::Result<()> {
        self.0.retain(segments);
        for segment in segments {
            self.get(segment)?;
        }
        Ok(())
    }

    fn get(&self, segment: &SegmentReader) -> tantivy::Result<Arc<SegmentFacets>> {
        self.0.get(segment, &(), || SegmentFacets::load(segment))
    }
}

/// Counts every facet's values over the matching documents.
pub struct FacetCounts<'a> {
    pub cache: &'a FacetCache,
}

pub struct SegmentFacetCounts {
    facets: Arc<SegmentFacets>,
    /// One count per value slot. A block counted the other way round has
    /// its totals added first, so taking off its misses never goes below
    /// zero.
    counts: Vec<u32>,
    /// The block being counted, and whether it is counted the other way.
    block: usize,
    by_misses: bool,
    /// Its matches so far, and (counting by misses) the first document not
    /// yet accounted for.
    matches: usize,
    next: usize,
}

impl SegmentFacetCounts {
    /// Leaves the current block (taking off its last misses) for `block`,
    /// counted by misses when the block before it was mostly matches.
    fn enter(&mut self, block: usize) {
        self.leave();
        self.by_misses = block == self.block + 1 && self.matches > BLOCK / 2;
        self.block = block;
        self.matches = 0;
        self.next = block * BLOCK;
        if self.by_misses {
            let width = self.counts.len();
            let totals = &self.facets.block_totals[block * width..(block + 1) * width];
            for (count, total) in self.counts.iter_mut().zip(totals) {
                *count += total;
            }
        }
    }

    fn leave(&mut self) {
        if self.by_misses {
            let end = ((self.block + 1) * BLOCK).min(self.facets.max_doc());
            self.take_off(end);
        }
    }

    /// Takes off the documents from `next` up to `doc`, none of them matched.
    fn take_off(&mut self, doc: usize) {
        let counts = &mut self.counts;
        for miss in self.next..doc {
            self.facets.each_slot(miss, |slot| counts[slot] -= 1);
        }
    }
}

/// One segment's counts, by value slot, still to be named.
pub struct SegmentCounts {
    facets: Arc<SegmentFacets>,
    counts: Vec<u32>,
}

impl Collector for FacetCounts<'_> {
    type Fruit = Counts;
    type Child = SegmentFacetCounts;

    fn for_segment(&self, _: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<SegmentFacetCounts> {
        let facets = self.cache.get(segment)?;
        let counts = vec![0; facets.slots];
        Ok(SegmentFacetCounts {
            facets,
            counts,
            block: 0,
            by_misses: false,
            matches: 0,
            next: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    /// Values are named once over all segments (not once per segment
    /// they occur in): a query's segments mostly hold the same values.
    fn merge_fruits(&self, fruits: Vec<SegmentCounts>) -> tantivy::Result<Counts> {
        let mut merged: Vec<HashMap<&str, u64>> = vec![HashMap::new(); FacetField::ALL.len()];
        for fruit in &fruits {
            let facets = &*fruit.facets;
            for ((into, names), &first) in merged.iter_mut().zip(&facets.names).zip(&facets.first_slot) {
                for (name, &n) in names.iter().zip(&fruit.counts[first..first + names.len()]) {
                    if n > 0 {
                        *into.entry(name.as_str()).or_insert(0) += u64::from(n);
                    }
                }
            }
        }
        Ok(merged
            .into_iter()
            .map(|counts| counts.into_iter().map(|(name, n)| (name.to_string(), n)).collect())
            .collect())
    }
}

impl SegmentCollector for SegmentFacetCounts {
    type Fruit = SegmentCounts;

    fn collect(&mut self, doc: DocId, _: Score) {
        let doc = doc as usize;
        if doc / BLOCK != self.block {
            self.enter(doc / BLOCK);
        }
        self.matches += 1;
        if self.by_misses {
            self.take_off(doc);
            self.next = doc + 1;
        } else {
            let counts = &mut self.counts;
            self.facets.each_slot(doc, |slot| counts[slot] += 1);
        }
    }

    fn harvest(mut self) -> SegmentCounts {
        self.leave();
        SegmentCounts {
            facets: self.facets,
            counts: self.counts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::schema;
    use std::ops::Bound;
    use tantivy::collector::DocSetCollector;
    use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, RangeQuery, TermQuery};
    use tantivy::schema::IndexRecordOption;
    use tantivy::{Index, TantivyDocument, Term};

    /// Counts as the collector must give them, read from the documents.
    fn naive(docs: &[Vec<(FacetField, String)>], matching: impl Fn(usize) -> bool) -> Counts {
        let mut counts: Counts = vec![HashMap::new(); FacetField::ALL.len()];
        for (_, doc) in docs.iter().enumerate().filter(|(i, _)| matching(*i)) {
            for (field, value) in doc {
                let at = FacetField::ALL.iter().position(|f| f == field).expect("a facet");
                *counts[at].entry(value.clone()).or_insert(0) += 1;
            }
        }
        counts
    }

    #[test]
    fn counts_are_exact_over_single_and_multi_valued_facets() {
        let (schema, fields) = schema::build();
        let index = Index::create_in_ram(schema);
        index
            .tokenizers()
            .register(schema::TOKENIZER, crate::search::analysis::ZhTokenizer::default());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        // Some documents lack a facet; tags are multi-valued.
        let docs: Vec<Vec<(FacetField, String)>> = (0..6000)
            .map(|i| {
                let mut doc = vec![
                    (FacetField::Kind, ["method", "patent", "achievement"][i % 3].to_string()),
                    (FacetField::Studio, format!("studio-{i}")),
                    (FacetField::Visibility, ["public", "members"][i % 2].to_string()),
                ];
                if i % 5 != 0 {
                    doc.push((FacetField::Year, format!("{}", 2015 + i % 10)));
                }
                for t in 0..(i % 3) {
                    doc.push((FacetField::Tag, format!("tag-{}", (i + t) % 7)));
                }
                doc
            })
            .collect();
        for (i, doc) in docs.iter().enumerate() {
            let mut d = TantivyDocument::new();
            d.add_i64(fields.date, i as i64);
            for (field, value) in doc {
                d.add_text(fields.facet(*field), value);
            }
            writer.add_document(d).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let cache = FacetCache::default();

        let all = searcher.search(&AllQuery, &FacetCounts { cache: &cache }).unwrap();
        assert_eq!(all, naive(&docs, |_| true));
        let patents = TermQuery::new(
            Term::from_field_text(fields.facet(FacetField::Kind), "patent"),
            IndexRecordOption::Basic,
        );
        let (found, counts) = searcher
            .search(&patents, &(DocSetCollector, FacetCounts { cache: &cache }))
            .unwrap();
        assert_eq!(found.len(), 2000);
        assert_eq!(counts, naive(&docs, |i| i % 3 == 1));

        // Mostly matches: blocks after the first are counted by their misses.
        let not_patents = BooleanQuery::new(vec![
            (Occur::Must, Box::new(AllQuery) as Box<dyn Query>),
            (Occur::MustNot, Box::new(patents.clone())),
        ]);
        let counts = searcher.search(&not_patents, &FacetCounts { cache: &cache }).unwrap();
        assert_eq!(counts, naive(&docs, |i| i % 3 != 1));
        // A sparse block after a dense one: documents 2048..2100 only.
        let dense_then_sparse = BooleanQuery::new(vec![
            (Occur::Must, Box::new(AllQuery) as Box<dyn Query>),
            (
                Occur::MustNot,
                Box::new(RangeQuery::new(
                    Bound::Included(Term::from_field_i64(fields.date, 2100)),
                    Bound::Excluded(Term::from_field_i64(fields.date, 4096)),
                )),
            ),
        ]);
        let counts = searcher
            .search(&dense_then_sparse, &FacetCounts { cache: &cache })
            .unwrap();
        assert_eq!(counts, naive(&docs, |i| !(2100..4096).contains(&i)));

        // Deleted documents are misses too.
        writer.delete_term(Term::from_field_text(fields.facet(FacetField::Kind), "method"));
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let counts = searcher.search(&AllQuery, &FacetCounts { cache: &cache }).unwrap();
        assert_eq!(counts, naive(&docs, |i| i % 3 != 0));
    }
}
