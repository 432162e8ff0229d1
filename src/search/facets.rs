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
//!
//! Segments name values by their own ordinals. A map from each segment's
//! ordinals to one list of every value, sorted (`Global`), is made once
//! per set of segments; a query's segment counts are added into one array
//! over that list, and each facet answers only its top values, the ones
//! selected and how many distinct values it has. So a studio facet of
//! 50,000 values costs a pass over an array per query, never a map from
//! names to counts, and an answer stays small (`/api/facets/{field}` finds
//! the rest by prefix).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::{Arc, Mutex};

use tantivy::collector::{Collector, Count, SegmentCollector};
use tantivy::index::SegmentId;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use super::bitset::Bitset;
use super::engine::Engine;
use super::schema::FacetField;
use super::segment_cache::SegmentCache;
use super::{FacetValues, SearchError, SearchRequest};
use crate::auth::Viewer;

/// The most values one facet answers with (`facet_limit`, `limit`).
pub const MAX_FACET_LIMIT: usize = 500;

/// A value held by at least one document in `COMMON` is counted from its
/// bitset: one 64-document word costs about what one document's count does.
const COMMON: usize = 32;

/// Every facet of one segment, decoded. Each value of each facet has a slot
/// in one flat array of counts, and each document is stored as the lists of
/// slots it counts, of every facet it has a value in (a record holds few of
/// the kind-specific ones: a patent has no 工法 level): its common slots in
/// one list, its rare ones in another. Counting a document is then a run
/// of increments, with no branch on the facet or on a missing value; and
/// when the common slots are counted from their bitsets, the rare lists,
/// packed together, are all that is read.
pub struct SegmentFacets {
    segment: SegmentId,
    /// Value names per facet, in `FacetField::ALL` order.
    names: Vec<Vec<String>>,
    /// Each document's slots of values in `common`, and of the others.
    common_slots: Lists,
    rare_slots: Lists,
    /// Each slot's count over all documents, deleted ones too.
    totals: Vec<u32>,
    /// The common slots, each with the bitset of its documents.
    common: Vec<(usize, Bitset)>,
}

impl SegmentFacets {
    fn load(segment: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        let max_doc = segment.max_doc() as usize;
        let mut names = Vec::with_capacity(FacetField::ALL.len());
        let mut columns = Vec::new();
        let mut slots = 0usize;
        for facet in FacetField::ALL {
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
        let mut all = Lists::with_capacity(max_doc);
        for doc in 0..max_doc as DocId {
            all.push(
                columns
                    .iter()
                    .flat_map(|(base, ords)| ords.values_for_doc(doc).map(move |ord| base + ord as u32)),
            );
        }
        for &slot in &all.items {
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
        let mut common_slots = Lists::with_capacity(max_doc);
        let mut rare_slots = Lists::with_capacity(max_doc);
        for doc in 0..max_doc {
            let list = all.of(doc);
            common_slots.push(list.iter().copied().filter(|&slot| is_common[slot as usize]));
            rare_slots.push(list.iter().copied().filter(|&slot| !is_common[slot as usize]));
            for &slot in common_slots.of(doc) {
                common[common_index[slot as usize]].1.insert(doc);
            }
        }
        Ok(SegmentFacets {
            segment: segment.segment_id(),
            names,
            common_slots,
            rare_slots,
            totals,
            common,
        })
    }

    fn max_doc(&self) -> usize {
        self.rare_slots.len()
    }

    /// Counts `matched` (`matches` documents) one by one, over the
    /// matches or, when they are most of the segment, over the misses;
    /// the values most documents hold from their bitsets instead, when
    /// that costs less. Only the slots counted are listed, so the merge
    /// adds up what the segment counted, not every one of its values.
    fn count(&self, matched: &Bitset, matches: usize) -> Counted {
        let max_doc = self.max_doc();
        let misses = max_doc - matches;
        let of_misses = matches > misses;
        // Bitsets cost a word per 64 documents and common slot; one by one,
        // the common slots cost one count per document visited.
        let by_bits =
            self.common.len() * matched.words() < matches.min(misses) * self.common_slots.items.len() / max_doc.max(1);
        let mut counts = vec![0u32; self.totals.len()];
        let mut slots = Vec::new();
        // Deleted documents are misses, and in the totals.
        let mut visit = |list: &[u32]| {
            for &slot in list {
                let n = &mut counts[slot as usize];
                if *n == 0 {
                    slots.push(slot);
                }
                *n += 1;
            }
        };
        let docs = if of_misses { matched.zeros() } else { matched.ones() };
        for doc in docs {
            visit(self.rare_slots.of(doc));
            if !by_bits {
                visit(self.common_slots.of(doc));
            }
        }
        let mut counted: Vec<(u32, u32)> = slots.into_iter().map(|slot| (slot, counts[slot as usize])).collect();
        if by_bits {
            for (slot, bits) in &self.common {
                let shared = matched.shared(bits);
                let n = if of_misses { self.totals[*slot] - shared } else { shared };
                if n > 0 {
                    counted.push((*slot as u32, n));
                }
            }
        }
        Counted { of_misses, counted }
    }
}

/// A list of slots per document, packed one after another.
struct Lists {
    /// Document `d`'s are `items[starts[d]..starts[d + 1]]`.
    starts: Vec<u32>,
    items: Vec<u32>,
}

impl Lists {
    fn with_capacity(docs: usize) -> Lists {
        let mut starts = Vec::with_capacity(docs + 1);
        starts.push(0);
        Lists {
            starts,
            items: Vec::new(),
        }
    }

    /// Appends the next document's list.
    fn push(&mut self, slots: impl Iterator<Item = u32>) {
        self.items.extend(slots);
        self.starts.push(self.items.len() as u32);
    }

    fn len(&self) -> usize {
        self.starts.len() - 1
    }

    fn of(&self, doc: usize) -> &[u32] {
        &self.items[self.starts[doc] as usize..self.starts[doc + 1] as usize]
    }
}

/// A segment's counts, by slot, of the slots counted: of its matches, or of
/// its misses (`of_misses`), to be taken off its totals.
pub struct Counted {
    of_misses: bool,
    counted: Vec<(u32, u32)>,
}

/// Every value of every facet over a set of segments, sorted by name
/// within each facet, and each segment's slots mapped onto it.
struct Global {
    /// Names of the global slots; facet `f`'s are `first[f]..first[f + 1]`.
    names: Vec<String>,
    first: Vec<usize>,
    /// Segment slot to global slot, per segment.
    maps: HashMap<SegmentId, Vec<u32>>,
    /// Each global slot's count over every document of these segments.
    totals: Vec<u32>,
}

impl Global {
    fn build(segments: &[&SegmentFacets]) -> Global {
        let mut names = Vec::new();
        let mut first = Vec::with_capacity(FacetField::ALL.len() + 1);
        let mut maps: HashMap<SegmentId, Vec<u32>> = segments
            .iter()
            .map(|s| (s.segment, Vec::with_capacity(s.totals.len())))
            .collect();
        for f in 0..FacetField::ALL.len() {
            let start = names.len();
            first.push(start);
            let mut values: Vec<&str> = segments
                .iter()
                .flat_map(|s| s.names[f].iter().map(String::as_str))
                .collect();
            values.sort_unstable();
            values.dedup();
            for segment in segments {
                let map = maps.entry(segment.segment).or_default();
                for name in &segment.names[f] {
                    // Every segment name is among `values`.
                    let at = values.binary_search(&name.as_str()).unwrap_or_default();
                    map.push((start + at) as u32);
                }
            }
            names.extend(values.into_iter().map(str::to_owned));
        }
        first.push(names.len());
        let mut totals = vec![0u32; names.len()];
        for segment in segments {
            for (&n, &to) in segment.totals.iter().zip(&maps[&segment.segment]) {
                totals[to as usize] += n;
            }
        }
        Global {
            names,
            first,
            maps,
            totals,
        }
    }

    fn covers(&self, segments: &[&SegmentFacets]) -> bool {
        segments.iter().all(|s| self.maps.contains_key(&s.segment))
    }

    /// Made from these segments and no other, so its totals are theirs.
    fn is_of(&self, segments: &[&SegmentFacets]) -> bool {
        self.maps.len() == segments.len() && self.covers(segments)
    }
}

/// The decoded facets of the segments in use, by segment, and the global
/// list of values of the last set of segments.
#[derive(Default)]
pub struct FacetCache {
    segments: SegmentCache<(), SegmentFacets>,
    global: Mutex<Option<Arc<Global>>>,
}

impl FacetCache {
    /// Decodes the segments not seen yet, forgets those gone and maps
    /// the values of the new set: called whenever the searcher changes, so
    /// queries find them ready.
    pub fn refresh(&self, segments: &[SegmentReader]) -> tantivy::Result<()> {
        self.segments.retain(segments);
        let decoded = segments
            .iter()
            .map(|segment| self.get(segment))
            .collect::<tantivy::Result<Vec<_>>>()?;
        let all: Vec<&SegmentFacets> = decoded.iter().map(|s| &**s).collect();
        *self.lock() = Some(Arc::new(Global::build(&all)));
        Ok(())
    }

    fn get(&self, segment: &SegmentReader) -> tantivy::Result<Arc<SegmentFacets>> {
        self.segments.get(segment, &(), || SegmentFacets::load(segment))
    }

    /// The global list for these segments: the one made at the last
    /// refresh, unless a query ran on segments it has not seen (a searcher
    /// newer than the refresh).
    fn global(&self, segments: &[&SegmentFacets]) -> Arc<Global> {
        if let Some(global) = self.lock().as_ref().filter(|g| g.covers(segments)) {
            return global.clone();
        }
        let built = Arc::new(Global::build(segments));
        *self.lock() = Some(built.clone());
        built
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Arc<Global>>> {
        self.global.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Every facet's counts over a query's matches, by global value.
pub struct Counts {
    global: Arc<Global>,
    counts: Vec<u32>,
}

impl Counts {
    fn of(&self, field: FacetField) -> (usize, &[u32]) {
        let f = FacetField::ALL.iter().position(|&x| x == field).unwrap_or_default();
        let (from, to) = (self.global.first[f], self.global.first[f + 1]);
        (from, &self.counts[from..to])
    }

    /// Takes `field`'s counts from `other` (counts of the same index
    /// under another query): a facet with values chosen is counted as if
    /// none were, so its other values stay selectable.
    pub fn take_field(&mut self, field: FacetField, other: &Counts) {
        if !Arc::ptr_eq(&self.global, &other.global) {
            return;
        }
        let f = FacetField::ALL.iter().position(|&x| x == field).unwrap_or_default();
        let (from, to) = (self.global.first[f], self.global.first[f + 1]);
        self.counts[from..to].copy_from_slice(&other.counts[from..to]);
    }

    /// The count of one value of `field` (0 when no match holds it).
    fn count_of(&self, field: FacetField, value: &str) -> u64 {
        let (from, counts) = self.of(field);
        self.global.names[from..from + counts.len()]
            .binary_search_by(|name| name.as_str().cmp(value))
            .map_or(0, |at| u64::from(counts[at]))
    }

    /// `field`'s values that `keep` accepts, the `limit` most frequent
    /// (ties by name), with how many such values the matches hold in all.
    /// A heap of `limit` entries: no list of every value is made.
    pub fn top(&self, field: FacetField, limit: usize, keep: impl Fn(&str) -> bool) -> FacetValues {
        let (from, counts) = self.of(field);
        let names = &self.global.names[from..from + counts.len()];
        let mut heap: BinaryHeap<Reverse<(u32, Reverse<usize>)>> = BinaryHeap::new();
        let mut distinct = 0;
        for (at, &n) in counts.iter().enumerate() {
            if n == 0 || !keep(&names[at]) {
                continue;
            }
            distinct += 1;
            let entry = Reverse((n, Reverse(at)));
            if heap.len() < limit {
                heap.push(entry);
            } else if heap.peek().is_some_and(|least| entry < *least) {
                heap.pop();
                heap.push(entry);
            }
        }
        let mut best: Vec<(u32, usize)> = heap.into_iter().map(|Reverse((n, Reverse(at)))| (n, at)).collect();
        match field {
            // The most frequent years, read as a time line, newest first.
            FacetField::Year | FacetField::AdoptionYear => best.sort_unstable_by(|a, b| names[b.1].cmp(&names[a.1])),
            _ => best.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1))),
        }
        FacetValues {
            field,
            values: best
                .into_iter()
                .map(|(n, at)| (names[at].clone(), u64::from(n)))
                .collect(),
            distinct,
        }
    }

    /// Every facet's top `limit` values, with the `selected` values of
    /// each always among them (counted, 0 when nothing matching holds
    /// one), so a chosen filter never drops out of the list.
    pub fn values(&self, selected: &BTreeMap<FacetField, Vec<String>>, limit: usize) -> Vec<FacetValues> {
        FacetField::ALL
            .iter()
            .map(|&field| {
                let mut top = self.top(field, limit, |_| true);
                for value in selected.get(&field).into_iter().flatten() {
                    if !top.values.iter().any(|(v, _)| v == value) {
                        top.values.push((value.clone(), self.count_of(field, value)));
                    }
                }
                top
            })
            .collect()
    }
}

impl Engine {
    /// One facet's values under a search's words, filters and the
    /// viewer's visibility, those `keep` accepts (a prefix of the value
    /// or of its label, decided by the caller, who knows the labels), the
    /// `limit` most frequent first, with the number of matching records.
    pub fn facet_values(
        &self,
        request: &SearchRequest,
        viewer: &Viewer,
        field: FacetField,
        limit: usize,
        keep: impl Fn(&str) -> bool,
    ) -> Result<(usize, FacetValues), SearchError> {
        // The search's own query, filters, visibility and relaxing.
        let (total, counts) =
            self.collect_matching(request, viewer, || (Count, FacetCounts { cache: &self.facets }))?;
        Ok((total, counts.top(field, limit.min(MAX_FACET_LIMIT), keep)))
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
    counted: Counted,
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

    /// Each segment's counts are added into one array over the global
    /// values, through the segment's map: no value is named here. The
    /// array starts from the totals when most segments counted their
    /// misses, so a search over nearly everything adds up little.
    fn merge_fruits(&self, fruits: Vec<SegmentCounts>) -> tantivy::Result<Counts> {
        let segments: Vec<&SegmentFacets> = fruits.iter().map(|f| &*f.facets).collect();
        let global = self.cache.global(&segments);
        let slots = |of_misses: bool| -> usize {
            fruits
                .iter()
                .filter(|f| f.counted.of_misses == of_misses)
                .map(|f| f.facets.totals.len())
                .sum()
        };
        let from_totals = global.is_of(&segments) && slots(true) > slots(false);
        let mut counts = if from_totals {
            global.totals.clone()
        } else {
            vec![0u32; global.names.len()]
        };
        for fruit in &fruits {
            let Some(map) = global.maps.get(&fruit.facets.segment) else {
                continue;
            };
            let Counted { of_misses, counted } = &fruit.counted;
            // A segment counted the other way than the array started: its
            // totals taken off, or added.
            if *of_misses != from_totals {
                for (&n, &to) in fruit.facets.totals.iter().zip(map) {
                    if from_totals {
                        counts[to as usize] -= n;
                    } else {
                        counts[to as usize] += n;
                    }
                }
            }
            for &(slot, n) in counted {
                let to = map[slot as usize] as usize;
                if *of_misses {
                    counts[to] -= n;
                } else {
                    counts[to] += n;
                }
            }
        }
        Ok(Counts { global, counts })
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
            counted: self.facets.count(&self.matched, self.matches),
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
    use tantivy::indexer::NoMergePolicy;
    use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, RangeQuery, TermQuery};
    use tantivy::schema::IndexRecordOption;
    use tantivy::{Index, TantivyDocument, Term};

    type Maps = Vec<HashMap<String, u64>>;

    /// Every value's count, as maps, from the collector's answer.
    fn maps(counts: &Counts) -> Maps {
        FacetField::ALL
            .iter()
            .map(|&field| counts.top(field, usize::MAX, |_| true).values.into_iter().collect())
            .collect()
    }

    /// Counts as the collector must give them, read from the documents.
    fn naive(docs: &[Vec<(FacetField, String)>], matching: impl Fn(usize) -> bool) -> Maps {
        let mut counts: Maps = vec![HashMap::new(); FacetField::ALL.len()];
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
        // Three segments of 2000, so a query can match most of one and
        // little of another: each counts its own way.
        writer.set_merge_policy(Box::new(NoMergePolicy));
        for (i, doc) in docs.iter().enumerate() {
            let mut d = TantivyDocument::new();
            d.add_i64(fields.date, i as i64);
            for (field, value) in doc {
                d.add_text(fields.facet(*field), value);
            }
            writer.add_document(d).unwrap();
            if i % 2000 == 1999 {
                writer.commit().unwrap();
            }
        }
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.segment_readers().len(), 3);
        let cache = FacetCache::default();

        let all = searcher.search(&AllQuery, &FacetCounts { cache: &cache }).unwrap();
        assert_eq!(maps(&all), naive(&docs, |_| true));
        let patents = TermQuery::new(
            Term::from_field_text(fields.facet(FacetField::Kind), "patent"),
            IndexRecordOption::Basic,
        );
        let (found, counts) = searcher
            .search(&patents, &(DocSetCollector, FacetCounts { cache: &cache }))
            .unwrap();
        assert_eq!(found.len(), 2000);
        assert_eq!(maps(&counts), naive(&docs, |i| i % 3 == 1));

        let dates = |range: std::ops::Range<i64>| {
            RangeQuery::new(
                Bound::Included(Term::from_field_i64(fields.date, range.start)),
                Bound::Excluded(Term::from_field_i64(fields.date, range.end)),
            )
        };
        // Each way of counting: common values by their bitsets or one by
        // one, over the matches or over the misses. Document i has date i.
        // Across segments, also those counted unlike the others.
        let ranges = [
            (0..2000, true),
            (100..110, true),
            (100..150, false),
            (0..2500, false),
            (0..2100, false),
            (0..3900, false),
            (1900..2100, false),
            (1900..4100, true),
            (0..6000, true),
        ];
        for (range, outside) in ranges {
            let query: Box<dyn Query> = if outside {
                Box::new(BooleanQuery::new(vec![
                    (Occur::Must, Box::new(AllQuery) as Box<dyn Query>),
                    (Occur::MustNot, Box::new(dates(range.clone()))),
                ]))
            } else {
                Box::new(dates(range.clone()))
            };
            let counts = searcher.search(&*query, &FacetCounts { cache: &cache }).unwrap();
            assert_eq!(maps(&counts), naive(&docs, |i| range.contains(&(i as i64)) != outside));
        }

        // Deleted documents are misses too.
        writer.delete_term(Term::from_field_text(fields.facet(FacetField::Kind), "method"));
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let counts = searcher.search(&AllQuery, &FacetCounts { cache: &cache }).unwrap();
        assert_eq!(maps(&counts), naive(&docs, |i| i % 3 != 0));
    }
}
