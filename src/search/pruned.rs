//! The best hits of a broad search without scoring every match.
//!
//! A word in most records matches tens of thousands of them. Totals and
//! facets need every match, but only as a set, so they come from a pass
//! with scoring disabled; the ranked hits need only the best few. Tantivy's
//! block-max WAND skips the blocks of postings whose best possible score
//! cannot enter the top hits, but only for a plain sum of terms, while a
//! search scores each word by its best field plus part of the others. So
//! the pruning is driven by an upper bound of the search's score: the sum
//! of every query term's score in its field with the field's boost, which
//! neither a word's best-field combination nor a sum of words can exceed.
//! Only the documents whose bound could still enter are scored exactly, by
//! the search's own query, so the hits, their order and their scores are
//! those of scoring every match. Should a document ever score above its
//! bound (a query shape this does not know), the search says so and is
//! answered by scoring every match instead.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, EnableScoring, Occur, Query, TermQuery, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, Score, Searcher, SegmentOrdinal, SegmentReader, Term};

use super::bitset::Bitset;
use super::schema::Weighted;
use super::visible::{Rule, VisibleCache};

/// A required word is broad when one of its terms is in at least this
/// share of the records. Narrower words are cheaper in one scored pass
/// that also counts: two passes would each visit their matches.
const BROAD: f64 = 0.2;

/// How far above its bound a score may be before the bound is taken as
/// broken: the exact score and the bound add the same terms' scores in a
/// different order, which may differ in the last bits.
const SLACK: Score = 1e-4;

/// The upper-bound query of a search's `query` (see the module's text):
/// one `Should` clause per distinct term of its required and optional
/// clauses, boosted like its field. None when the query has no word, a
/// word that is not broad (`BROAD`), a phrase (whose score is not bounded
/// by its terms'), or a term outside the searched fields. Filters are
/// constant-score clauses and add nothing to a score.
pub(super) fn bound_of(searcher: &Searcher, query: &BooleanQuery, searched: &[Weighted]) -> Option<BooleanQuery> {
    let records = searcher.num_docs() as f64;
    let mut terms: Vec<(Term, Score)> = Vec::new();
    for (occur, clause) in query.clauses() {
        if *occur == Occur::MustNot || clause.is::<ConstScoreQuery>() {
            continue;
        }
        let mut these: Vec<Term> = Vec::new();
        let mut phrase = false;
        clause.query_terms(&mut |term, positions| {
            phrase |= positions;
            these.push(term.clone());
        });
        if phrase || these.is_empty() {
            return None;
        }
        let widest = these
            .iter()
            .map(|t| searcher.doc_freq(t).unwrap_or(0))
            .max()
            .unwrap_or(0);
        if (widest as f64) < BROAD * records {
            return None;
        }
        for term in these {
            let boost = searched.iter().find(|w| w.field == term.field())?.boost;
            if !terms.iter().any(|(t, _)| *t == term) {
                terms.push((term, boost));
            }
        }
    }
    if terms.is_empty() {
        return None;
    }
    Some(BooleanQuery::new(
        terms
            .into_iter()
            .map(|(term, boost)| {
                let term = TermQuery::new(term, IndexRecordOption::WithFreqs);
                (
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(term), boost)) as Box<dyn Query>,
                )
            })
            .collect(),
    ))
}

/// The `limit` best matches by score that `rule` lets the viewer see,
/// found by pruning on `bound` (a weight of `bound_of`'s query) and scored
/// by the search's own weight. In the order of tantivy's `TopDocs`: score
/// descending, then index order.
pub(super) struct PrunedTop<'a> {
    pub limit: usize,
    pub bound: Box<dyn Weight>,
    pub rule: Option<&'a Rule>,
    pub visible: &'a VisibleCache,
    /// Set when a document scored above its bound: the answer is then not
    /// to be trusted.
    pub beaten: AtomicBool,
    /// How many documents were scored exactly.
    pub scored: AtomicUsize,
}

impl<'a> PrunedTop<'a> {
    pub fn new(
        searcher: &Searcher,
        bound: &BooleanQuery,
        limit: usize,
        rule: Option<&'a Rule>,
        visible: &'a VisibleCache,
    ) -> tantivy::Result<PrunedTop<'a>> {
        Ok(PrunedTop {
            limit,
            bound: bound.weight(EnableScoring::enabled_from_searcher(searcher))?,
            rule,
            visible,
            beaten: AtomicBool::new(false),
            scored: AtomicUsize::new(0),
        })
    }

    /// Whether the answer holds: no document scored above its bound.
    pub fn held(&self) -> bool {
        !self.beaten.load(Ordering::Relaxed)
    }
}

pub struct PrunedSegment {
    ord: SegmentOrdinal,
    best: Best,
    allowed: Option<Arc<Bitset>>,
}

impl Collector for PrunedTop<'_> {
    type Fruit = Vec<(Score, DocAddress)>;
    type Child = PrunedSegment;

    fn for_segment(&self, ord: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<PrunedSegment> {
        Ok(PrunedSegment {
            ord,
            best: Best::new(self.limit),
            allowed: self.rule.map(|rule| self.visible.get(segment, rule)).transpose()?,
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<(Score, DocAddress)>>) -> tantivy::Result<Self::Fruit> {
        let mut all: Vec<(Score, DocAddress)> = fruits.into_iter().flatten().collect();
        all.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        all.truncate(self.limit);
        Ok(all)
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        ord: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<Vec<(Score, DocAddress)>> {
        let mut child = self.for_segment(ord, segment)?;
        let mut exact = weight.scorer(segment, 1.0)?;
        let alive = segment.alive_bitset();
        let mut threshold = Score::MIN;
        let mut scored = 0;
        self.bound.for_each_pruning(Score::MIN, segment, &mut |doc, bound| {
            if alive.is_some_and(|a| a.is_deleted(doc)) || !child.allows(doc) {
                return threshold;
            }
            if exact.doc() < doc {
                exact.seek(doc);
            }
            if exact.doc() != doc {
                return threshold;
            }
            let score = exact.score();
            scored += 1;
            if score > bound + bound.abs() * SLACK {
                self.beaten.store(true, Ordering::Relaxed);
            }
            child.best.push(score, doc);
            threshold = child.best.threshold();
            threshold
        })?;
        self.scored.fetch_add(scored, Ordering::Relaxed);
        Ok(child.harvest())
    }
}

impl PrunedSegment {
    fn allows(&self, doc: DocId) -> bool {
        self.allowed.as_ref().is_none_or(|a| a.contains(doc as usize))
    }
}

impl SegmentCollector for PrunedSegment {
    type Fruit = Vec<(Score, DocAddress)>;

    /// Without pruning (a caller that does not use `collect_segment`):
    /// every match offered.
    fn collect(&mut self, doc: DocId, score: Score) {
        if self.allows(doc) {
            self.best.push(score, doc);
        }
    }

    fn harvest(self) -> Self::Fruit {
        let ord = self.ord;
        self.best
            .into_vec()
            .into_iter()
            .map(|(score, doc)| (score, DocAddress::new(ord, doc)))
            .collect()
    }
}

/// The best `limit` of documents offered in index order: a higher score
/// wins, and of equal scores the earlier document (a later one with the
/// same score as the least kept does not enter).
struct Best {
    limit: usize,
    /// The least kept on top.
    heap: BinaryHeap<Reverse<(Ranked, Reverse<DocId>)>>,
}

/// A score ordered totally.
#[derive(Clone, Copy, PartialEq)]
struct Ranked(Score);

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl Best {
    fn new(limit: usize) -> Best {
        Best {
            limit,
            heap: BinaryHeap::with_capacity(limit + 1),
        }
    }

    fn push(&mut self, score: Score, doc: DocId) {
        if self.limit == 0 {
            return;
        }
        let entry = Reverse((Ranked(score), Reverse(doc)));
        if self.heap.len() < self.limit {
            self.heap.push(entry);
        } else if let Some(mut least) = self.heap.peek_mut()
            && score > least.0.0.0
        {
            *least = entry;
        }
    }

    /// The score a document must beat to enter, a little lower so that
    /// rounding in the bound never skips one that would: the least kept
    /// once full, else none.
    fn threshold(&self) -> Score {
        match self.heap.peek() {
            Some(least) if self.heap.len() >= self.limit => {
                let least = least.0.0.0;
                least - least.abs() * SLACK
            }
            _ => Score::MIN,
        }
    }

    fn into_vec(self) -> Vec<(Score, DocId)> {
        self.heap
            .into_iter()
            .map(|Reverse((Ranked(score), Reverse(doc)))| (score, doc))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::search::schema::{self, FacetField};
    use crate::search::visible::Visible;
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{DisjunctionMaxQuery, TermQuery};
    use tantivy::{Index, IndexWriter, TantivyDocument};

    /// A word in every searched field, as the search asks it: its best
    /// field plus half the others, each field with its weight.
    fn word(fields: &schema::Fields, text: &str) -> Box<dyn Query> {
        let per_field = fields
            .searched()
            .iter()
            .map(|w| {
                let term = TermQuery::new(
                    Term::from_field_text(w.field, text),
                    IndexRecordOption::WithFreqsAndPositions,
                );
                Box::new(BoostQuery::new(Box::new(term), w.boost)) as Box<dyn Query>
            })
            .collect();
        Box::new(DisjunctionMaxQuery::with_tie_breaker(per_field, 0.5))
    }

    fn filter(fields: &schema::Fields, which: FacetField, value: &str) -> Box<dyn Query> {
        let term = TermQuery::new(
            Term::from_field_text(fields.facet(which), value),
            IndexRecordOption::Basic,
        );
        Box::new(ConstScoreQuery::new(Box::new(term), 0.0))
    }

    /// 6,000 records in three segments, some deleted: 施工 in four fifths
    /// of them, as often as 1–4 times in bodies of every length, and in some
    /// titles and labels; 质量 in two thirds; 隧道 in one in twenty.
    fn index() -> (Index, schema::Fields) {
        let (schema, fields) = schema::build();
        let index = Index::create_in_ram(schema);
        index
            .tokenizers()
            .register(schema::TOKENIZER, crate::search::analysis::ZhTokenizer::default());
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        for i in 0..6000usize {
            let mut body = "记录正文".repeat(1 + (i * 7) % 40);
            for _ in 0..(i % 5) {
                body.push_str("，施工");
            }
            if i % 3 != 0 {
                body.push_str("，质量");
            }
            if i % 20 == 0 {
                body.push_str("，隧道");
            }
            let mut doc = TantivyDocument::new();
            doc.add_text(fields.body, &body);
            doc.add_text(fields.title, if i % 7 == 0 { "施工方法" } else { "方法" });
            doc.add_text(fields.labels, if i % 11 == 0 { "施工" } else { "标签" });
            doc.add_text(
                fields.facet(FacetField::Kind),
                ["method", "patent", "achievement"][i % 3],
            );
            doc.add_text(fields.facet(FacetField::Visibility), ["public", "members"][(i / 2) % 2]);
            writer.add_document(doc).unwrap();
            if i == 2000 || i == 4000 {
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        writer.delete_term(Term::from_field_text(fields.facet(FacetField::Kind), "patent"));
        writer.commit().unwrap();
        (index, fields)
    }

    #[test]
    fn pruned_top_hits_are_those_of_scoring_every_match() {
        let (index, fields) = index();
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.segment_readers().len(), 3);
        let searched = fields.searched();
        let cache = VisibleCache::default();
        let public = Rule {
            key: "public".into(),
            query: filter(&fields, FacetField::Visibility, "public"),
        };
        let excluded = || word(&fields, "隧道");
        let queries: Vec<(&str, BooleanQuery)> = vec![
            (
                "one word",
                BooleanQuery::new(vec![(Occur::Must, word(&fields, "施工"))]),
            ),
            (
                "two words",
                BooleanQuery::new(vec![
                    (Occur::Must, word(&fields, "施工")),
                    (Occur::Must, word(&fields, "质量")),
                ]),
            ),
            (
                "a filter and an excluded word",
                BooleanQuery::new(vec![
                    (Occur::Must, word(&fields, "施工")),
                    (Occur::Must, filter(&fields, FacetField::Kind, "method")),
                    (Occur::MustNot, excluded()),
                ]),
            ),
        ];
        for (what, query) in &queries {
            let bound = bound_of(&searcher, query, &searched).expect("broad words are bounded");
            for rule in [None, Some(&public)] {
                let all = searcher
                    .search(
                        query,
                        &Visible {
                            inner: Count,
                            rule,
                            cache: &cache,
                        },
                    )
                    .unwrap();
                for limit in [1, 10, 50, 700] {
                    let expected = searcher
                        .search(
                            query,
                            &Visible {
                                inner: TopDocs::with_limit(limit).order_by_score(),
                                rule,
                                cache: &cache,
                            },
                        )
                        .unwrap();
                    let top = PrunedTop::new(&searcher, &bound, limit, rule, &cache).unwrap();
                    let found = searcher.search(query, &top).unwrap();
                    assert_eq!(found, expected, "{what}, {limit} best, rule {}", rule.is_some());
                    assert!(top.held(), "{what}: a score beat its bound");
                    let scored = top.scored.load(Ordering::Relaxed);
                    if limit <= 10 {
                        assert!(scored * 4 < all, "{what}: {scored} of {all} matches scored for {limit}");
                    }
                }
            }
        }
    }

    #[test]
    fn only_broad_words_without_phrases_are_bounded() {
        let (index, fields) = index();
        let searcher = index.reader().unwrap().searcher();
        let searched = fields.searched();
        let narrow = BooleanQuery::new(vec![(Occur::Must, word(&fields, "隧道"))]);
        assert!(bound_of(&searcher, &narrow, &searched).is_none());
        let broad_and_narrow = BooleanQuery::new(vec![
            (Occur::Must, word(&fields, "施工")),
            (Occur::Must, word(&fields, "隧道")),
        ]);
        assert!(bound_of(&searcher, &broad_and_narrow, &searched).is_none());
        let phrase = tantivy::query::PhraseQuery::new(vec![
            Term::from_field_text(fields.body, "施工"),
            Term::from_field_text(fields.body, "质量"),
        ]);
        let with_phrase = BooleanQuery::new(vec![
            (Occur::Must, word(&fields, "施工")),
            (Occur::Must, Box::new(phrase) as Box<dyn Query>),
        ]);
        assert!(bound_of(&searcher, &with_phrase, &searched).is_none());
        // A term of a field the search does not weigh, outside a filter.
        let unweighted = BooleanQuery::new(vec![
            (Occur::Must, word(&fields, "施工")),
            (
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(fields.facet(FacetField::Kind), "method"),
                    IndexRecordOption::Basic,
                )) as Box<dyn Query>,
            ),
        ]);
        assert!(bound_of(&searcher, &unweighted, &searched).is_none());
        let only_filters = BooleanQuery::new(vec![(Occur::Must, filter(&fields, FacetField::Kind, "method"))]);
        assert!(bound_of(&searcher, &only_filters, &searched).is_none());
    }

    fn kept(best: Best) -> Vec<(Score, DocId)> {
        let mut v = best.into_vec();
        v.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        v
    }

    #[test]
    fn best_keeps_the_highest_and_the_earliest_of_equal_scores() {
        let mut best = Best::new(3);
        for (doc, score) in [(0, 1.0), (1, 5.0), (2, 3.0), (3, 3.0), (4, 0.5), (5, 3.0), (6, 4.0)] {
            best.push(score, doc);
        }
        assert_eq!(kept(best), vec![(5.0, 1), (4.0, 6), (3.0, 2)]);
    }

    #[test]
    fn threshold_is_none_until_full_then_just_under_the_least() {
        let mut best = Best::new(2);
        assert_eq!(best.threshold(), Score::MIN);
        best.push(2.0, 0);
        assert_eq!(best.threshold(), Score::MIN);
        best.push(4.0, 1);
        let t = best.threshold();
        assert!(t < 2.0 && t > 1.99, "{t}");
        best.push(3.0, 2);
        assert!(best.threshold() < 3.0 && best.threshold() > 2.99);
        assert_eq!(kept(best), vec![(4.0, 1), (3.0, 2)]);
    }

    #[test]
    fn nothing_is_kept_with_no_room() {
        let mut best = Best::new(0);
        best.push(1.0, 0);
        assert_eq!(best.threshold(), Score::MIN);
        assert!(kept(best).is_empty());
    }
}
