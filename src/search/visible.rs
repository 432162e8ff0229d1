//! What a viewer may see, applied to a search as a filter on the matches
//! before anything else collects them (hits, totals, facets), so nothing
//! else ever sees a record the viewer may not.
//!
//! The rule is a query (`Engine::visibility_filter`); each segment's answer
//! to it is kept as a bitset while the segment lives, one per kind of
//! viewer. Checking a bit per match is cheaper than making the rule a
//! clause of every query: an intersection then seeks through the unions of
//! every word's fields. It knows nothing about who the viewers are.

use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{EnableScoring, Query};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use super::bitset::Bitset;
use super::segment_cache::SegmentCache;

/// The documents of each segment in use a kind of viewer may see, by
/// segment and kind of viewer.
#[derive(Default)]
pub struct VisibleCache(SegmentCache<String, Bitset>);

impl VisibleCache {
    /// Forgets the segments gone: called whenever the searcher changes.
    pub fn refresh(&self, segments: &[SegmentReader]) {
        self.0.retain(segments);
    }

    fn get(&self, segment: &SegmentReader, rule: &Rule) -> tantivy::Result<Arc<Bitset>> {
        self.0.get(segment, &rule.key, || {
            let mut allowed = Bitset::new(segment.max_doc() as usize);
            let weight = rule
                .query
                .weight(EnableScoring::disabled_from_schema(segment.schema()))?;
            weight.for_each_no_score(segment, &mut |docs| {
                for &doc in docs {
                    allowed.insert(doc as usize);
                }
            })?;
            Ok(allowed)
        })
    }
}

/// A visibility rule: the query that finds what a kind of viewer may see,
/// and a name for that kind of viewer (the same query, the same name).
pub struct Rule {
    pub key: String,
    pub query: Box<dyn Query>,
}

/// `inner`, given only the matches `rule` allows (all, without one).
pub struct Visible<'a, C> {
    pub inner: C,
    pub rule: Option<&'a Rule>,
    pub cache: &'a VisibleCache,
}

pub struct VisibleSegment<S> {
    inner: S,
    allowed: Option<Arc<Bitset>>,
}

impl<C: Collector> Collector for Visible<'_, C> {
    type Fruit = C::Fruit;
    type Child = VisibleSegment<C::Child>;

    fn for_segment(&self, ord: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<Self::Child> {
        Ok(VisibleSegment {
            inner: self.inner.for_segment(ord, segment)?,
            allowed: self.rule.map(|rule| self.cache.get(segment, rule)).transpose()?,
        })
    }

    fn requires_scoring(&self) -> bool {
        self.inner.requires_scoring()
    }

    fn merge_fruits(&self, fruits: Vec<<C::Child as SegmentCollector>::Fruit>) -> tantivy::Result<C::Fruit> {
        self.inner.merge_fruits(fruits)
    }
}

impl<S: SegmentCollector> SegmentCollector for VisibleSegment<S> {
    type Fruit = S::Fruit;

    fn collect(&mut self, doc: DocId, score: Score) {
        if self
            .allowed
            .as_ref()
            .is_none_or(|allowed| allowed.contains(doc as usize))
        {
            self.inner.collect(doc, score);
        }
    }

    fn harvest(self) -> S::Fruit {
        self.inner.harvest()
    }
}
