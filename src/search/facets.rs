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
//! A query's matches in a segment are gathered as a bitset, and counted
//! once the segment is done, when their number is known, by whichever
//! way costs least: the values most documents hold (a kind, a year, an
//! alliance) by counting the bits they share with the matches, a word at a
//! time; the rest document by document, over the matches or, when they
//! are most of the segment, over the documents missed, taken off the
//! segment's totals. A search over nearly everything (施工 质量, or
//! browsing with no words) thus counts almost nothing one by one.

use std::collections::HashMap;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use super::bitset::Bitset;
use super::schema::FacetField;
use super::segment_cache::SegmentCache;

/// A facet's values, each with its count.
pub type Counts = Vec<HashMap<String, u64>>;

/// A value held by at least one document in `COMMON` is counted from its
/// bitset: one 64-document word costs about what one document's count does.
const COMMON: usize = 32;

/// Every facet of one segment, decoded. Each value of each facet has a slot
/// in one flat array of counts, and each document is stored as the list of
/// slots it counts, of every facet it has a value in (a record holds few of
/// the kind-specific ones: a patent has no 工法 level), common slots first.
/// Counting a document is then a run of increments, with no branch on the
/// facet or on a missing value.
pub struct SegmentFacets {
    /// Value names per facet, in `FacetField::ALL` order.
    names: Vec<Vec<String>>,
    /// Where each facet's values start among the slots.
    first_slot: Vec<usize>,
    /// Document `d`'s slots are `doc_slots[starts[d]..starts[d + 1]]`, its
    /// common ones (those in `common`) before `rare_starts[d]`.
    starts: Vec<u32>,
    rare_starts: Vec<u32>,
    doc_slots: Vec<u32>,
    /// Each slot's count over all documents, deleted ones too.
    totals: Vec<u32>,
    /// The common slots, each with the bitset of its documents, and how
    /// many of them the documents hold in all.
    common: Vec<(usize, Bitset)>,
    common_entries: usize,
}

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
        let mut totals = vec![0u32; slots];
        let mut starts = Vec::with_capacity(max_doc + 1);
        let mut doc_slots = Vec::new();
        for doc in 0..max_doc as DocId {
            starts.push(doc_slots.len() as u32);
            for (base, ords) in &columns {
                doc_slots.extend(ords.values_for_doc(doc).map(|ord| base + ord as u32));
            }
        }
        starts.push(doc_slots.len() as u32);
        for &slot in &doc_slots {
            totals[slot as usize] += 1;
        }
        let is_common: Vec<bool> = totals.iter().map(|&n| n as usize * COMMON >= max_doc).collect();
        let mut common: Vec<(usize, Bitset)> = (0..slots)
            .filter(|&slot| is_common[slot])
            .map(|slot| (slot, Bitset::new(max_doc)))
            .collect();
        let mut common_index = vec![usize::MAX; slots];
        for (i, (slot, _)) in common.iter().enumerate() {
            common_index[*slot] = i;
        }
        let mut rare_starts = Vec::with_capacity(max_doc);
        let mut common_entries = 0;
        for doc in 0..max_doc {
            let list = &mut doc_slots[starts[doc] as usize..starts[doc + 1] as usize];
            list.sort_unstable_by_key(|&slot| !is_common[slot as usize]);
            let common_here = list.iter().take_while(|&&slot| is_common[slot as usize]).count();
            for &slot in &list[..common_here] {
                common[common_index[slot as usize]].1.insert(doc);
            }
            common_entries += common_here;
            rare_starts.push(starts[doc] + common_here as u32);
        }
        Ok(SegmentFacets {
            names,
            first_slot,
            starts,
            rare_starts,
            doc_slots,
            totals,
            common,
            common_entries,
        })
    }

    fn max_doc(&self) -> usize {
        self.rare_starts.len()
    }

    /// The slots document `doc` counts: all of them, or only its rare ones.
    fn slots_of(&self, doc: usize, rare_only: bool) -> &[u32] {
        let from = if rare_only {
            self.rare_starts[doc]
        } else {
            self.starts[doc]
        };
        &self.doc_slots[from as usize..self.starts[doc + 1] as usize]
    }

    /// Counts `matched` (`matches` documents) by the cheapest way.
    fn count(&self, matched: &Bitset, matches: usize) -> Vec<u32> {
        let max_doc = self.max_doc();
        let misses = max_doc - matches;
        let one_by_one = matches.min(misses);
        // Bitsets cost a word per 64 documents and common slot; one by one,
        // the common slots cost one count per document counted.
        let by_bits = self.common.len() * matched.words() < one_by_one * self.common_entries / max_doc.max(1);
        let mut counts = if matches > misses {
            // Totals less the misses. Deleted documents are misses, and in
            // the totals.
            let mut counts = self.totals.clone();
            for doc in matched.zeros() {
                for &slot in self.slots_of(doc, by_bits) {
                    counts[slot as usize] -= 1;
                }
            }
            counts
        } else {
            let mut counts = vec![0u32; self.totals.len()];
            for doc in matched.ones() {
                for &slot in self.slots_of(doc, by_bits) {
                    counts[slot as usize] += 1;
                }
            }
            counts
        };
        if by_bits {
            for (slot, bits) in &self.common {
                counts[*slot] = matched.shared(bits);
            }
        }
        counts
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
    /// The segment's matches.
    matched: Bitset,
    matches: usize,
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
        Ok(SegmentFacetCounts {
            matched: Bitset::new(facets.max_doc()),
            facets,
            matches: 0,
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
        self.matched.insert(doc as usize);
        self.matches += 1;
    }

    fn harvest(self) -> SegmentCounts {
        SegmentCounts {
            counts: self.facets.count(&self.matched, self.matches),
            facets: self.facets,
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

        let dates = |range: std::ops::Range<i64>| {
            RangeQuery::new(
                Bound::Included(Term::from_field_i64(fields.date, range.start)),
                Bound::Excluded(Term::from_field_i64(fields.date, range.end)),
            )
        };
        // Each way of counting: common values by their bitsets or one by
        // one, over the matches or over the misses. Document i has date i.
        for (range, outside) in [(0..2000, true), (100..110, true), (100..150, false), (0..2500, false)] {
            let query: Box<dyn Query> = if outside {
                Box::new(BooleanQuery::new(vec![
                    (Occur::Must, Box::new(AllQuery) as Box<dyn Query>),
                    (Occur::MustNot, Box::new(dates(range.clone()))),
                ]))
            } else {
                Box::new(dates(range.clone()))
            };
            let counts = searcher.search(&*query, &FacetCounts { cache: &cache }).unwrap();
            assert_eq!(counts, naive(&docs, |i| range.contains(&(i as i64)) != outside));
        }

        // Deleted documents are misses too.
        writer.delete_term(Term::from_field_text(fields.facet(FacetField::Kind), "method"));
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let counts = searcher.search(&AllQuery, &FacetCounts { cache: &cache }).unwrap();
        assert_eq!(counts, naive(&docs, |i| i % 3 != 0));
    }
}
