//! Values computed from one index segment (its decoded facets, a kind of
//! viewer's visibility bitset), kept while the segment lives. Segments
//! never change, so a value is computed once, by whoever asks first, and
//! dropped when a commit or merge retires the segment. It knows nothing
//! about what is kept.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};

use tantivy::SegmentReader;
use tantivy::index::SegmentId;

/// `V` per segment and `K` (`()` when one value per segment).
pub struct SegmentCache<K, V> {
    entries: Mutex<HashMap<(SegmentId, K), Arc<V>>>,
}

impl<K, V> Default for SegmentCache<K, V> {
    fn default() -> Self {
        SegmentCache {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash + Clone, V> SegmentCache<K, V> {
    /// Forgets the segments not among `segments`: called whenever the
    /// searcher changes.
    pub fn retain(&self, segments: &[SegmentReader]) {
        let live: HashSet<SegmentId> = segments.iter().map(SegmentReader::segment_id).collect();
        self.lock().retain(|(id, _), _| live.contains(id));
    }

    /// The value for `segment` and `key`, from `compute` the first time.
    pub fn get(
        &self,
        segment: &SegmentReader,
        key: &K,
        compute: impl FnOnce() -> tantivy::Result<V>,
    ) -> tantivy::Result<Arc<V>> {
        let key = (segment.segment_id(), key.clone());
        if let Some(found) = self.lock().get(&key) {
            return Ok(found.clone());
        }
        // Computed outside the lock; two queries racing on a new segment
        // both compute it, and one result is kept.
        let computed = Arc::new(compute()?);
        Ok(self.lock().entry(key).or_insert(computed).clone())
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<(SegmentId, K), Arc<V>>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}
