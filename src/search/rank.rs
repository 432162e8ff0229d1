//! Answering a search: the query built from the words and filters, the
//! visibility rule applied inside the search, collecting totals and
//! facets, re-ranking the best hits by how close the query words stand
//! (while the likely page is loaded beside it) and loading the page's hits;
//! and `all_cards`, every visible match of some filters in one pass.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use tantivy::collector::{Collector, Count, DocSetCollector, TopDocs};
use tantivy::postings::Postings;
use tantivy::query::{AllQuery, BooleanQuery, ConstScoreQuery, EmptyQuery, EnableScoring, Occur, Query, TermQuery};
use tantivy::schema::Value;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocId, DocSet, Executor, Order, Searcher, TantivyDocument, Term};

use super::analysis::{Analyzer, PARAGRAPH, WholeWords};
use super::document::Audience;
use super::engine::Engine;
use super::facets::{Counts, FacetCounts};
use super::query::{self, Compiler, Notice, ParsedQuery, Unit};
use super::schema::FacetField;
use super::snippet::{self, Finder, Needle, Span};
use super::visible::{Rule, Visible};
use super::{Card, Hit, SearchError, SearchRequest, SearchResults, Sort};
use crate::auth::Viewer;
use crate::content::Visibility;

/// How many best hits are re-ranked by proximity. 100 found a few more
/// files whose paragraph holds every word (benches/quality.rs: R@10 0.805
/// at 50, 0.820 at 100, no better at 200) but cost 12 % of p50 at 100k
/// (BENCHMARKS.md, "Depth back to 50").
const RERANK_DEPTH: usize = 50;

impl Engine {
    /// The clause every query carries: only what the viewer may see
    /// (none for staff, who see everything). One term for everyone but a
    /// publisher: a union over most of the index is not free.
    pub(super) fn visibility_filter(&self, viewer: &Viewer) -> Option<Box<dyn Query>> {
        let open = viewer.open_visibilities();
        if Visibility::ALL.iter().all(|v| open.contains(v)) {
            return None;
        }
        // Fails closed: a viewer no audience fits sees only their studio's.
        let mut allowed: Vec<Box<dyn Query>> = Audience::widest_within(open)
            .map(|a| exact(self.fields.audience, a.as_str()))
            .into_iter()
            .collect();
        if let Some(studio) = viewer.own_studio() {
            let own = BooleanQuery::new(vec![
                (
                    Occur::Must,
                    exact(self.fields.facet(FacetField::Visibility), Visibility::Studio.as_str()),
                ),
                (Occur::Must, exact(self.fields.audience, &Audience::owner(studio))),
            ]);
            allowed.push(Box::new(own));
        }
        if allowed.is_empty() {
            return Some(Box::new(EmptyQuery));
        }
        Some(Box::new(ConstScoreQuery::new(query::any_of(allowed), 0.0)))
    }

    /// `visibility_filter` as a rule for `Visible`, named by the kind of
    /// viewer it is for.
    pub(super) fn visibility_rule(&self, viewer: &Viewer) -> Option<Rule> {
        let query = self.visibility_filter(viewer)?;
        let key = format!(
            "{:?}/{}",
            Audience::widest_within(viewer.open_visibilities()),
            viewer.own_studio().unwrap_or("")
        );
        Some(Rule { key, query })
    }

    fn filter(&self, filters: &BTreeMap<FacetField, Vec<String>>) -> Vec<Box<dyn Query>> {
        filters
            .iter()
            .filter(|(_, values)| !values.is_empty())
            .map(|(which, values)| {
                let field = self.fields.facet(*which);
                let any = BooleanQuery::new(values.iter().map(|v| (Occur::Should, exact(field, v))).collect());
                Box::new(ConstScoreQuery::new(Box::new(any), 0.0)) as Box<dyn Query>
            })
            .collect()
    }

    pub fn search(&self, request: &SearchRequest, viewer: &Viewer) -> Result<SearchResults, SearchError> {
        let started = Instant::now();
        // The whole search runs on a search thread, which then works on its
        // own segments and hits alongside the others. Called from outside
        // the pool, every parallel step would hand the work over and sleep
        // until it is done, and waking a sleeping thread costs tens of
        // microseconds on a virtual machine.
        let searcher = self.searcher();
        match searcher.index().search_executor() {
            Executor::ThreadPool(pool) if pool.current_thread_index().is_none() => {
                pool.install(|| self.search_here(&searcher, request, viewer, started))
            }
            _ => self.search_here(&searcher, request, viewer, started),
        }
    }

    /// Every record the filters let through that the viewer may see, as
    /// cards, in one pass: no words, ranking or pages, for lists that need
    /// all of them (the patent watch, a studio's figures). Paging a search
    /// 100 at a time re-collects every earlier page, which took 5–9 s for
    /// 25,000 patents at 100k records.
    pub fn all_cards(
        &self,
        filters: &BTreeMap<FacetField, Vec<String>>,
        viewer: &Viewer,
    ) -> Result<Vec<super::Card>, SearchError> {
        let searcher = self.searcher();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(AllQuery))];
        clauses.extend(self.filter(filters).into_iter().map(|q| (Occur::Must, q)));
        let query = BooleanQuery::new(clauses);
        let rule = self.visibility_rule(viewer);
        let found = self.collect_visible(&searcher, &query, rule.as_ref(), DocSetCollector)?;
        let mut addresses: Vec<DocAddress> = found.into_iter().collect();
        // In index order, so that each block of the store is read once.
        addresses.sort_unstable();
        addresses
            .into_iter()
            .map(|address| Ok(self.load(&searcher, address)?.card))
            .collect()
    }

    /// Runs a collector made by `make` over the matches of `request` that
    /// `viewer` may see: the same query, filters, visibility rule and
    /// fallbacks as `search`, with the segments collected on the search
    /// threads. Statistics and facet lookups use it. A collector is made
    /// again only when the strict query found nothing and a fallback did.
    pub(crate) fn collect_matching<C: Collector>(
        &self,
        request: &SearchRequest,
        viewer: &Viewer,
        make: impl Fn() -> C + Send + Sync,
    ) -> Result<C::Fruit, SearchError>
    where
        C::Fruit: Send,
    {
        self.collect_matching_in(&self.searcher(), request, viewer, make)
    }

    fn collect_matching_in<C: Collector>(
        &self,
        searcher: &Searcher,
        request: &SearchRequest,
        viewer: &Viewer,
        make: impl Fn() -> C + Send + Sync,
    ) -> Result<C::Fruit, SearchError>
    where
        C::Fruit: Send,
    {
        let run = || -> Result<C::Fruit, SearchError> {
            let snapshot = self.snapshot();
            let parsed = query::parse(&request.q);
            let searched = self.fields.searched();
            let whole_words = self.query_words.get();
            let compiler = Compiler::new(&snapshot.analyzer, &snapshot.synonyms, &whole_words, &searched, &parsed);
            let rule = self.visibility_rule(viewer);
            let strict = self.build_query(&parsed, &request.filters, &compiler);
            if !strict.positive {
                return Ok(self.collect_visible(searcher, &strict.query, rule.as_ref(), make())?);
            }
            // As `search` does: the strict query, else the first fallback
            // that finds anything; when none does, the strict (empty) answer.
            let (found, fruit) = self.collect_visible(searcher, &strict.query, rule.as_ref(), (Count, make()))?;
            if found > 0 {
                return Ok(fruit);
            }
            for stage in FALLBACKS {
                if let Some(fallback) = self.at_stage(&parsed, &request.filters, &compiler, stage)
                    && self.collect_visible(searcher, &fallback.query, rule.as_ref(), Count)? > 0
                {
                    return Ok(self.collect_visible(searcher, &fallback.query, rule.as_ref(), make())?);
                }
            }
            Ok(fruit)
        };
        // On a search thread, like `search`: called from outside the pool,
        // each segment would be handed over and waited for.
        match searcher.index().search_executor() {
            Executor::ThreadPool(pool) if pool.current_thread_index().is_none() => pool.install(run),
            _ => run(),
        }
    }

    /// The newest `limit` records `request` matches that `viewer` may see,
    /// with their cards and statistics facts (the 成果清单 of an export),
    /// and how many match in all.
    pub fn matching_records(
        &self,
        request: &SearchRequest,
        viewer: &Viewer,
        limit: usize,
    ) -> Result<(Vec<(Card, crate::stats::Facts)>, usize), SearchError> {
        let searcher = self.searcher();
        let newest = || {
            (
                TopDocs::with_limit(limit.max(1)).order_by_fast_field::<i64>("date", Order::Desc),
                Count,
            )
        };
        let (found, total) = self.collect_matching_in(&searcher, request, viewer, newest)?;
        let mut records = Vec::with_capacity(found.len().min(limit));
        for (_, address) in found.into_iter().take(limit) {
            let doc: TantivyDocument = searcher.doc(address)?;
            let card = doc.get_first(self.fields.card).and_then(|v| v.as_str()).unwrap_or("");
            let card: Card = serde_json::from_str(card).map_err(|e| SearchError::Internal(e.to_string()))?;
            let facts = doc
                .get_first(self.fields.facts)
                .and_then(|v| v.as_bytes())
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or_default();
            records.push((card, facts));
        }
        records.sort_by(|a, b| b.0.date.cmp(&a.0.date).then_with(|| a.0.id.cmp(&b.0.id)));
        Ok((records, total))
    }

    /// A search, on the thread `search` chose, in steps: the query is
    /// built, the matches the viewer may see are collected (with totals
    /// and facet counts), the best are re-ranked by proximity when the
    /// query has words, and the page's hits are loaded.
    fn search_here(
        &self,
        searcher: &Searcher,
        request: &SearchRequest,
        viewer: &Viewer,
        started: Instant,
    ) -> Result<SearchResults, SearchError> {
        let snapshot = self.snapshot();
        let parsed = query::parse(&request.q);
        let searched = self.fields.searched();
        let whole_words = self.query_words.get();
        let compiler = Compiler::new(&snapshot.analyzer, &snapshot.synonyms, &whole_words, &searched, &parsed);
        let rule = self.visibility_rule(viewer);
        let paging = Paging::of(request);
        let needles = compiler.needles(&parsed);
        let mut built = self.build_query(&parsed, &request.filters, &compiler);
        let collect = |built: &BuiltQuery| {
            self.collect_ranked(
                searcher,
                &built.query,
                rule.as_ref(),
                request.sort,
                built.positive,
                paging,
            )
        };
        let mut collected = collect(&built)?;
        // Nothing found: the fallbacks in order, and the first that finds
        // anything answers (statistics choose alike, `collect_matching_in`).
        if collected.total == 0 && built.positive {
            for stage in FALLBACKS {
                let Some(fallback) = self.at_stage(&parsed, &request.filters, &compiler, stage) else {
                    continue;
                };
                let again = collect(&fallback)?;
                if again.total > 0 {
                    (built, collected) = (fallback, again);
                    break;
                }
            }
        }
        let Collected {
            mut ranked,
            total,
            mut counts,
        } = collected;
        self.count_other_values(searcher, &parsed, &built, &compiler, rule.as_ref(), &mut counts)?;
        let finder = Finder::new(&needles);
        // One hit loaded and snippeted: the likely page shown early during
        // re-ranking, and then whatever of the page was not.
        let show = |address: DocAddress, score: f32| -> Result<Hit, SearchError> {
            Ok(self
                .load(searcher, address)?
                .into_hit(score, &finder, &snapshot.analyzer))
        };
        let shown_early = if request.sort == Sort::Relevance && built.positive {
            let terms = needle_terms(&needles, &snapshot.analyzer, &whole_words);
            self.rerank_beside_likely(searcher, &mut ranked, &terms, paging, &show)?
        } else {
            Vec::new()
        };
        if built.stage == Stage::MostWords {
            self.most_words_first(searcher, &mut built, &mut ranked, request.sort)?;
        }
        let page_hits = page_of(ranked, request.sort, paging);
        let hits = load_page(searcher, &page_hits, shown_early, &show)?;
        Ok(SearchResults {
            total,
            hits,
            facets: counts.values(&built.filters, request.facet_limit),
            notices: built.notices,
            filters: built.filters,
            page: paging.page,
            per_page: paging.per_page,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }

    /// A facet with values chosen counts its values as if none were: the
    /// others stay selectable (values of one facet are alternatives),
    /// with how many records each would add. One more pass over the
    /// matches per facet filtered; none when nothing is.
    fn count_other_values(
        &self,
        searcher: &Searcher,
        parsed: &ParsedQuery,
        built: &BuiltQuery,
        compiler: &Compiler,
        rule: Option<&Rule>,
        counts: &mut Counts,
    ) -> Result<(), SearchError> {
        let unfiltered = ParsedQuery {
            filters: Vec::new(),
            ..parsed.clone()
        };
        for (which, values) in &built.filters {
            if values.is_empty() {
                continue;
            }
            let mut others = built.filters.clone();
            others.remove(which);
            let Some(query) = self
                .at_stage(&unfiltered, &others, compiler, built.stage)
                .map(|b| b.query)
            else {
                continue;
            };
            let facets = FacetCounts { cache: &self.facets };
            let all = self.collect_visible(searcher, &query, rule, facets)?;
            counts.take_field(*which, &all);
        }
        Ok(())
    }

    /// The query of `parsed` asked at `stage`, or None when that stage
    /// has nothing to change: nothing the segmenter left in characters to
    /// relax, fewer than two words to require most of. Fallbacks are asked
    /// only of a query with searchable words whose strict form found
    /// nothing, so a search that finds something never builds them.
    fn at_stage(
        &self,
        parsed: &ParsedQuery,
        filters: &BTreeMap<FacetField, Vec<String>>,
        compiler: &Compiler,
        stage: Stage,
    ) -> Option<BuiltQuery> {
        match stage {
            Stage::Strict => Some(self.build_query(parsed, filters, compiler)),
            Stage::Loose => {
                if !relaxable(parsed, compiler) {
                    return None;
                }
                let loose = Compiler {
                    relaxed: true,
                    ..*compiler
                };
                let mut built = self.build_query(parsed, filters, &loose);
                built.stage = Stage::Loose;
                built.notices.push(Notice::Relaxed);
                Some(built)
            }
            Stage::MostWords => {
                let (units, phrases) = compiler.units(parsed);
                if units.len() < 2 {
                    return None;
                }
                let required = most_of(units.len());
                let shoulds: Vec<(Occur, Box<dyn Query>)> =
                    units.iter().map(|u| (Occur::Should, u.query.box_clone())).collect();
                let mut words: Vec<(Occur, Box<dyn Query>)> = vec![(
                    Occur::Must,
                    Box::new(BooleanQuery::with_minimum_required_clauses(shoulds, required)),
                )];
                words.extend(phrases.into_iter().map(|p| (Occur::Must, p)));
                let mut built = self.finish_query(parsed, filters, compiler, words, true);
                built.stage = Stage::MostWords;
                built.notices.push(Notice::MostWords {
                    required,
                    of: units.len(),
                    missing: Vec::new(),
                });
                built.units = units;
                Some(built)
            }
        }
    }

    /// A "most words" answer: the records holding more of the words first
    /// (among the re-ranked best, by relevance), and the notice names the
    /// words the first one lacks.
    fn most_words_first(
        &self,
        searcher: &Searcher,
        built: &mut BuiltQuery,
        ranked: &mut [(f32, DocAddress)],
        sort: Sort,
    ) -> Result<(), SearchError> {
        let docs: Vec<DocAddress> = match sort {
            Sort::Relevance => ranked.iter().map(|(_, a)| *a).collect(),
            _ => ranked.iter().take(1).map(|(_, a)| *a).collect(),
        };
        let held = self.held(searcher, &built.units, &docs)?;
        if sort == Sort::Relevance {
            let mut order: Vec<(usize, (f32, DocAddress))> = held
                .iter()
                .map(|h| h.iter().filter(|x| **x).count())
                .zip(ranked.iter().copied())
                .collect();
            order.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.0.total_cmp(&a.1.0)));
            for (slot, (_, hit)) in ranked.iter_mut().zip(order) {
                *slot = hit;
            }
        }
        let first = ranked.first().and_then(|(_, a)| docs.iter().position(|d| d == a));
        let missing: Vec<String> = match first {
            Some(i) => built
                .units
                .iter()
                .zip(&held[i])
                .filter(|(_, held)| !**held)
                .map(|(u, _)| u.label.clone())
                .collect(),
            None => Vec::new(),
        };
        for notice in &mut built.notices {
            if let Notice::MostWords { missing: m, .. } = notice {
                *m = missing.clone();
            }
        }
        Ok(())
    }

    /// Which of `units` each document holds.
    fn held(&self, searcher: &Searcher, units: &[Unit], docs: &[DocAddress]) -> Result<Vec<Vec<bool>>, SearchError> {
        let mut out = vec![vec![false; units.len()]; docs.len()];
        let mut by_segment = by_segment(docs);
        for (u, unit) in units.iter().enumerate() {
            let weight = unit.query.weight(EnableScoring::disabled_from_searcher(searcher))?;
            for (segment, wanted) in &mut by_segment {
                // Scorers only move forward.
                wanted.sort_unstable();
                let mut scorer = weight.scorer(searcher.segment_reader(*segment), 1.0)?;
                for &(doc, i) in wanted.iter() {
                    if scorer.doc() < doc {
                        scorer.seek(doc);
                    }
                    out[i][u] = scorer.doc() == doc;
                }
            }
        }
        Ok(out)
    }

    /// How many records each word of `q` finds alone, without filters:
    /// what a search that found nothing offers instead. Phrases stay
    /// phrases; counts are of records `viewer` may see.
    pub fn words_alone(&self, q: &str, viewer: &Viewer) -> Result<Vec<(String, usize)>, SearchError> {
        let parsed = query::parse(q);
        let analyzer = self.snapshot().analyzer.clone();
        // Question words are not offered alone beside other words.
        let skip_fillers = query::holds_content(&parsed, &analyzer);
        let mut texts: Vec<String> = Vec::new();
        for clause in parsed.required.iter().flatten() {
            match clause {
                // A sentence typed without spaces is its words.
                query::Clause::Word(w) => {
                    let all = analyzer.query_pieces(w);
                    let mut pieces = all.clone();
                    if skip_fillers {
                        pieces.retain(|p| !analyzer.is_filler(p));
                    }
                    match pieces.len() {
                        0 | 1 if pieces.len() == all.len() => texts.push(w.clone()),
                        _ => texts.extend(pieces.iter().map(|p| p.surface())),
                    }
                }
                query::Clause::Phrase(p) => texts.push(format!("\"{p}\"")),
            }
        }
        let mut out: Vec<(String, usize)> = Vec::new();
        for text in texts {
            if out.iter().any(|(t, _)| *t == text) {
                continue;
            }
            let request = SearchRequest {
                q: text.clone(),
                per_page: 1,
                ..SearchRequest::default()
            };
            out.push((text, self.search(&request, viewer)?.total));
        }
        Ok(out)
    }

    /// The query of a search: each required group of words (any of its
    /// alternatives), the excluded words and the filters, from the
    /// parameters and from `field:value` in the words. A query with no
    /// searchable word matches everything its filters let through, and
    /// says so in a notice when it had words.
    pub(super) fn build_query(
        &self,
        parsed: &ParsedQuery,
        filters: &BTreeMap<FacetField, Vec<String>>,
        compiler: &Compiler,
    ) -> BuiltQuery {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut positive = false;
        for group in &parsed.required {
            let alternatives: Vec<Box<dyn Query>> = group.iter().filter_map(|c| compiler.clause(c)).collect();
            if !alternatives.is_empty() {
                positive = true;
                let any = BooleanQuery::new(alternatives.into_iter().map(|q| (Occur::Should, q)).collect());
                clauses.push((Occur::Must, Box::new(any)));
            }
        }
        self.finish_query(parsed, filters, compiler, clauses, positive)
    }

    /// A query of these word clauses, with the excluded words and the
    /// filters (from the parameters and from `field:value`).
    fn finish_query(
        &self,
        parsed: &ParsedQuery,
        filters: &BTreeMap<FacetField, Vec<String>>,
        compiler: &Compiler,
        mut clauses: Vec<(Occur, Box<dyn Query>)>,
        positive: bool,
    ) -> BuiltQuery {
        let mut notices = parsed.notices.clone();
        let mut filters = filters.clone();
        for (which, value) in &parsed.filters {
            filters.entry(*which).or_default().push(value.clone());
        }
        if !parsed.required.is_empty() && !positive {
            notices.push(Notice::NothingSearchable);
        }
        if !positive {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        // Excluded words stay as strict when the rest is relaxed: -顶推
        // must not exclude every record with a 顶 in it.
        let strict = Compiler {
            relaxed: false,
            ..*compiler
        };
        for clause in &parsed.excluded {
            if let Some(q) = strict.clause(clause) {
                clauses.push((Occur::MustNot, q));
            }
        }
        clauses.extend(self.filter(&filters).into_iter().map(|q| (Occur::Must, q)));
        BuiltQuery {
            query: BooleanQuery::new(clauses),
            positive,
            notices,
            filters,
            stage: Stage::Strict,
            units: Vec::new(),
        }
    }

    /// The matches the viewer may see, in one pass: their total, every
    /// facet's counts, and the best in the order asked for, with their
    /// scores (or dates, or benefits, as scores). By relevance it keeps
    /// the whole re-ranking depth when the query has words, since
    /// re-ranking may lift any of them onto the page; by date or benefit
    /// only the page.
    fn collect_ranked(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        rule: Option<&Rule>,
        sort: Sort,
        positive: bool,
        paging: Paging,
    ) -> Result<Collected, SearchError> {
        let Paging { per_page, offset, .. } = paging;
        let facets = FacetCounts { cache: &self.facets };
        let (ranked, total, counts): (Vec<(f32, DocAddress)>, usize, _) = match sort {
            Sort::Relevance => {
                let depth = if positive {
                    (offset + per_page).max(RERANK_DEPTH)
                } else {
                    offset + per_page
                };
                let top = TopDocs::with_limit(depth).order_by_score();
                let (top, total, counts) = self.collect_visible(searcher, query, rule, (top, Count, facets))?;
                (top, total, counts)
            }
            Sort::Newest => {
                let top = TopDocs::with_limit(per_page)
                    .and_offset(offset)
                    .order_by_fast_field::<i64>("date", Order::Desc);
                let (top, total, counts) = self.collect_visible(searcher, query, rule, (top, Count, facets))?;
                (
                    top.into_iter().map(|(d, a)| (d.unwrap_or(0) as f32, a)).collect(),
                    total,
                    counts,
                )
            }
            Sort::Benefit => {
                let top = TopDocs::with_limit(per_page)
                    .and_offset(offset)
                    .order_by_fast_field::<f64>("benefit", Order::Desc);
                let (top, total, counts) = self.collect_visible(searcher, query, rule, (top, Count, facets))?;
                (
                    top.into_iter().map(|(b, a)| (b.unwrap_or(0.0) as f32, a)).collect(),
                    total,
                    counts,
                )
            }
            Sort::Adoption => {
                let top = TopDocs::with_limit(per_page)
                    .and_offset(offset)
                    .order_by_fast_field::<i64>(super::schema::ADOPTION_FIELD, Order::Desc);
                let (top, total, counts) = self.collect_visible(searcher, query, rule, (top, Count, facets))?;
                // The score shown is the number of adoptions.
                (
                    top.into_iter()
                        .map(|(k, a)| ((k.unwrap_or(0) / 100_000_000) as f32, a))
                        .collect(),
                    total,
                    counts,
                )
            }
        };
        Ok(Collected { ranked, total, counts })
    }

    /// Re-ranks `ranked` by proximity (`proximity_boosts`) and returns the
    /// hits already shown meanwhile. Re-ranking reads positions on one
    /// thread; meanwhile another loads and snippets the hits the page
    /// would show without it, most of which it still shows, until
    /// re-ranking is done.
    fn rerank_beside_likely(
        &self,
        searcher: &Searcher,
        ranked: &mut [(f32, DocAddress)],
        terms: &[Vec<(usize, String)>],
        paging: Paging,
        show: &(impl Fn(DocAddress, f32) -> Result<Hit, SearchError> + Sync),
    ) -> Result<Vec<(DocAddress, Hit)>, SearchError> {
        let addresses: Vec<DocAddress> = ranked.iter().map(|(_, a)| *a).collect();
        let reranked = AtomicBool::new(false);
        let early = Mutex::new(Vec::new());
        let likely: Vec<DocAddress> = addresses
            .iter()
            .skip(paging.offset)
            .take(paging.per_page)
            .copied()
            .collect();
        let executor = searcher.index().search_executor();
        // The thread that asks runs the last step first. A single thread
        // would show the likely hits before re-ranking, not beside it,
        // some of them for nothing.
        let steps = match executor {
            Executor::ThreadPool(_) => vec![Step::ShowLikely, Step::Rerank],
            Executor::SingleThread => vec![Step::Rerank],
        };
        let mut steps = executor.map(
            |step: Step| match step {
                Step::ShowLikely => {
                    for &address in &likely {
                        if reranked.load(Ordering::Acquire) {
                            break;
                        }
                        // An error shows again when the hit is loaded below.
                        if let Ok(hit) = show(address, 0.0) {
                            early.lock().unwrap_or_else(|e| e.into_inner()).push((address, hit));
                        }
                    }
                    Ok(None)
                }
                Step::Rerank => {
                    let result = self.proximity_boosts(searcher, terms, &addresses);
                    reranked.store(true, Ordering::Release);
                    Ok(Some(result))
                }
            },
            steps.into_iter(),
        )?;
        let boosts = steps
            .pop()
            .flatten()
            .ok_or_else(|| SearchError::Internal("re-ranking did not run".into()))??;
        for ((score, _), boost) in ranked.iter_mut().zip(boosts) {
            *score *= boost;
        }
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        Ok(early.into_inner().unwrap_or_else(|e| e.into_inner()))
    }

    /// `searcher.search`, with only the matches `rule` lets the viewer see
    /// reaching `collector`.
    pub(super) fn collect_visible<C: Collector>(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        rule: Option<&Rule>,
        collector: C,
    ) -> tantivy::Result<C::Fruit> {
        let visible = Visible {
            inner: collector,
            rule,
            cache: &self.visible,
        };
        searcher.search(query, &visible)
    }

    /// Each document's re-ranking boost (`proximity_boost`), from where the
    /// needles' terms stand in its title and body.
    fn proximity_boosts(
        &self,
        searcher: &Searcher,
        terms: &[Vec<(usize, String)>],
        docs: &[DocAddress],
    ) -> Result<Vec<f32>, SearchError> {
        let title = self.occurrences(searcher, self.fields.title, terms, docs)?;
        // Proximity in the body needs two words or more.
        let (body, breaks) = if terms.iter().filter(|t| !t.is_empty()).count() >= 2 {
            (
                self.occurrences(searcher, self.fields.body, terms, docs)?,
                self.paragraph_breaks(searcher, docs)?,
            )
        } else {
            (vec![Vec::new(); docs.len()], vec![Vec::new(); docs.len()])
        };
        Ok(title
            .iter()
            .zip(&body)
            .zip(&breaks)
            .map(|((t, b), p)| proximity_boost(t, b, p, terms))
            .collect())
    }

    /// Where each document's body paragraphs end (`analysis::PARAGRAPH`), in
    /// unit positions.
    fn paragraph_breaks(&self, searcher: &Searcher, docs: &[DocAddress]) -> Result<Vec<Vec<u32>>, SearchError> {
        let mut out = vec![Vec::new(); docs.len()];
        let by_segment = by_segment(docs);
        let term = Term::from_field_text(self.fields.body, PARAGRAPH);
        for (segment, mut wanted) in by_segment {
            // Postings only move forward.
            wanted.sort_unstable();
            let inverted = searcher.segment_reader(segment).inverted_index(self.fields.body)?;
            let Some(mut postings) = inverted
                .read_postings(&term, IndexRecordOption::WithFreqsAndPositions)
                .map_err(tantivy::TantivyError::from)?
            else {
                continue;
            };
            for (doc, i) in wanted {
                if postings.doc() <= doc && postings.seek(doc) == doc {
                    postings.positions(&mut out[i]);
                }
            }
        }
        Ok(out)
    }

    /// Where each needle (its terms at their offsets) starts in `field` of
    /// each document, in unit positions, read from the index's positions
    /// rather than from stored text: re-ranking needs no document loaded.
    fn occurrences(
        &self,
        searcher: &Searcher,
        field: Field,
        needles: &[Vec<(usize, String)>],
        docs: &[DocAddress],
    ) -> Result<Vec<Vec<Span>>, SearchError> {
        let mut out = vec![Vec::new(); docs.len()];
        let by_segment = by_segment(docs);
        for (segment, mut wanted) in by_segment {
            // Postings only move forward.
            wanted.sort_unstable();
            let inverted = searcher.segment_reader(segment).inverted_index(field)?;
            for (n, terms) in needles.iter().enumerate() {
                let Some(length) = units(terms) else {
                    continue;
                };
                // Per term, its positions in each wanted document.
                let mut positions: Vec<Vec<Vec<u32>>> = Vec::with_capacity(terms.len());
                for (_, text) in terms {
                    let mut lists = vec![Vec::new(); wanted.len()];
                    let term = Term::from_field_text(field, text);
                    if let Some(mut postings) = inverted
                        .read_postings(&term, IndexRecordOption::WithFreqsAndPositions)
                        .map_err(tantivy::TantivyError::from)?
                    {
                        for (list, (doc, _)) in lists.iter_mut().zip(&wanted) {
                            if postings.doc() <= *doc && postings.seek(*doc) == *doc {
                                postings.positions(list);
                            }
                        }
                    }
                    positions.push(lists);
                }
                for (k, (_, i)) in wanted.iter().enumerate() {
                    let (first_offset, _) = terms[0];
                    for &p in &positions[0][k] {
                        let Some(start) = (p as usize).checked_sub(first_offset) else {
                            continue;
                        };
                        let all_there = terms
                            .iter()
                            .zip(&positions)
                            .skip(1)
                            .all(|((offset, _), lists)| lists[k].binary_search(&((start + offset) as u32)).is_ok());
                        if all_there {
                            out[*i].push(Span {
                                start,
                                end: start + length,
                                needle: n,
                            });
                        }
                    }
                }
            }
        }
        for spans in &mut out {
            spans.sort_by_key(|s| (s.start, s.end));
        }
        Ok(out)
    }
}

pub(super) fn exact(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

/// Whether relaxing can find more than the strict query: a word holds a
/// run the segmenter left in characters, or a code typed without its dash.
fn relaxable(parsed: &ParsedQuery, compiler: &Compiler) -> bool {
    parsed.required.iter().flatten().any(|clause| match clause {
        query::Clause::Word(w) => compiler.analyzer.loose_pieces(w) != compiler.analyzer.query_pieces(w),
        query::Clause::Phrase(_) => false,
    })
}

/// A page's hits in its order: each either loaded (`Some`) or shown early,
/// before re-ranking, and given its final score now.
fn in_page_order<T>(
    page: &[(f32, DocAddress)],
    loaded: Vec<Option<Result<T, SearchError>>>,
    mut early: Vec<(DocAddress, T)>,
    set_score: impl Fn(&mut T, f32),
) -> Result<Vec<T>, SearchError> {
    loaded
        .into_iter()
        .zip(page)
        .map(|(loaded, (score, address))| match loaded {
            Some(hit) => hit,
            None => {
                let at = early
                    .iter()
                    .position(|(a, _)| a == address)
                    .ok_or_else(|| SearchError::Internal("a hit shown early went missing".into()))?;
                let (_, mut hit) = early.swap_remove(at);
                set_score(&mut hit, *score);
                Ok(hit)
            }
        })
        .collect()
}

/// A search's query, as `build_query` makes it.
pub(super) struct BuiltQuery {
    pub(super) query: BooleanQuery,
    /// Whether any word of the query is searchable: only then are the
    /// matches ranked by score and the best re-ranked by proximity.
    positive: bool,
    notices: Vec<Notice>,
    /// The filters applied, from the parameters and from `field:value`.
    filters: BTreeMap<FacetField, Vec<String>>,
    stage: Stage,
    /// The words a "most words" query counts.
    units: Vec<Unit>,
}

/// The ways a query is asked (`Engine::at_stage`), in order; the first that
/// finds anything answers, and statistics count what it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Every word as typed (question words left out when there are others).
    Strict,
    /// Every word, runs the segmenter left in characters as characters
    /// anywhere and codes typed without their dash as their parts.
    Loose,
    /// Most of the words (`most_of`), records holding more of them first:
    /// a question with a word no record holds (a typo, a term written
    /// otherwise) still finds the records of its other words.
    MostWords,
}

/// The stages asked, in order, when the strict query finds nothing.
const FALLBACKS: [Stage; 2] = [Stage::Loose, Stage::MostWords];

/// How many of `n` words (two or more) a "most words" query requires:
/// two thirds rounded up, and always one fewer than all (one of two).
fn most_of(n: usize) -> usize {
    (2 * n).div_ceil(3).min(n.saturating_sub(1)).max(1)
}

/// What one pass over a search's matches gathers (`collect_ranked`).
struct Collected {
    /// The best matches in order, with their scores (or dates or
    /// benefits as scores).
    ranked: Vec<(f32, DocAddress)>,
    total: usize,
    counts: Counts,
}

/// The page a search asked for, within bounds (1 to 100 hits a page).
#[derive(Debug, Clone, Copy)]
struct Paging {
    page: usize,
    per_page: usize,
    /// How many hits come before the page.
    offset: usize,
}

impl Paging {
    fn of(request: &SearchRequest) -> Paging {
        let per_page = request.per_page.clamp(1, 100);
        let page = request.page.max(1);
        Paging {
            page,
            per_page,
            offset: (page - 1) * per_page,
        }
    }
}

/// Each needle's terms at their offsets as the index holds them (a long
/// word's own term only where the index holds it whole): what
/// re-ranking looks up in the postings.
fn needle_terms(needles: &[Needle], analyzer: &Analyzer, whole_words: &WholeWords) -> Vec<Vec<(usize, String)>> {
    needles
        .iter()
        .map(|needle| match needle {
            Needle::Text(text) => analyzer.phrase_terms(text, whole_words),
            Needle::Latin(stem) => vec![(0, stem.clone())],
        })
        .collect()
}

/// The hits of the page asked for: by relevance `ranked` holds the whole
/// re-ranking depth, by date or benefit the collector already skipped to
/// the page.
fn page_of(ranked: Vec<(f32, DocAddress)>, sort: Sort, paging: Paging) -> Vec<(f32, DocAddress)> {
    match sort {
        Sort::Relevance => ranked.into_iter().skip(paging.offset).take(paging.per_page).collect(),
        _ => ranked,
    }
}

/// The page's hits in its order: those not shown early are loaded and
/// snippeted now, those shown early take their final score.
fn load_page(
    searcher: &Searcher,
    page_hits: &[(f32, DocAddress)],
    shown_early: Vec<(DocAddress, Hit)>,
    show: &(impl Fn(DocAddress, f32) -> Result<Hit, SearchError> + Sync),
) -> Result<Vec<Hit>, SearchError> {
    // Loading and snippeting the page's hits is a third of a query's
    // time: it runs on the search threads too.
    let hits = searcher.index().search_executor().map(
        |(score, address)| match shown_early.iter().any(|(a, _)| *a == address) {
            true => Ok(None),
            false => Ok(Some(show(address, score))),
        },
        page_hits.iter().copied(),
    )?;
    in_page_order(page_hits, hits, shown_early, |hit, score| hit.score = score)
}

/// Each facet's values with their counts, most frequent first and equal
/// counts by value, so that the sidebar's order does not change between
/// searches.
/// The two things done at once after the matches are collected.
enum Step {
    ShowLikely,
    Rerank,
}

/// How many units (positions) a needle's terms cover: a Chinese term one
/// per character, a Latin word or code one.
fn units(terms: &[(usize, String)]) -> Option<usize> {
    let (offset, last) = terms.last()?;
    let chars = last.chars().count();
    Some(
        offset
            + if last.chars().all(super::analysis::is_cjk) {
                chars
            } else {
                1
            },
    )
}

/// Rewards records whose title holds every query word, and above all
/// those with a paragraph holding them: the record that says what was
/// asked in one place, rather than one that has a word in its title and
/// the others scattered, or one long enough to hold every word somewhere.
/// How close the words stand within the paragraph is not counted: on the
/// quality bench it moved nothing but noise once the paragraph was known.
/// `docs` grouped by segment, each with its index in `docs`.
fn by_segment(docs: &[DocAddress]) -> BTreeMap<u32, Vec<(DocId, usize)>> {
    let mut grouped: BTreeMap<u32, Vec<(DocId, usize)>> = BTreeMap::new();
    for (i, address) in docs.iter().enumerate() {
        grouped
            .entry(address.segment_ord)
            .or_default()
            .push((address.doc_id, i));
    }
    grouped
}

/// Spans and breaks are in unit positions (`occurrences`).
fn proximity_boost(title: &[Span], body: &[Span], breaks: &[u32], needles: &[Vec<(usize, String)>]) -> f32 {
    let searchable = needles.iter().filter(|terms| !terms.is_empty()).count();
    if searchable == 0 {
        return 1.0;
    }
    let mut boost = 1.0;
    if let Some((_, distinct)) = snippet::tightest_window(title, needles.len())
        && distinct == searchable
    {
        boost += 0.3;
    }
    // Squared: a paragraph with two words of three is worth much less
    // than one with all three.
    if searchable >= 2
        && let Some((_, distinct)) = best_paragraph(body, breaks, needles.len())
    {
        let coverage = distinct as f32 / searchable as f32;
        boost += 4.0 * coverage * coverage;
    }
    boost
}

/// The paragraph (between `breaks`) holding the most distinct needles,
/// then the tightest window of them: that window, and how many it holds.
fn best_paragraph(body: &[Span], breaks: &[u32], needles: usize) -> Option<(usize, usize)> {
    let paragraph = |span: &Span| breaks.partition_point(|&b| (b as usize) < span.start);
    let mut best: Option<(usize, usize)> = None;
    let mut from = 0;
    while from < body.len() {
        let here = paragraph(&body[from]);
        let to = from + body[from..].iter().take_while(|s| paragraph(s) == here).count();
        if let Some((window, distinct)) = snippet::tightest_window(&body[from..to], needles)
            && best.is_none_or(|(w, d)| distinct > d || (distinct == d && window < w))
        {
            best = Some((window, distinct));
        }
        from = to;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_shown_early_take_their_place_and_final_score() {
        let at = |doc| DocAddress::new(0, doc);
        let page = [(3.0, at(7)), (2.0, at(5)), (1.0, at(9))];
        let loaded = vec![None, Some(Ok((5, 2.0))), None];
        // Shown early in the order before re-ranking, with a placeholder
        // score, and one the page no longer shows.
        let early = vec![(at(9), (9, 0.0)), (at(4), (4, 0.0)), (at(7), (7, 0.0))];
        let hits = in_page_order(&page, loaded, early, |hit, score| hit.1 = score).unwrap();
        assert_eq!(hits, vec![(7, 3.0), (5, 2.0), (9, 1.0)]);
        let missing = in_page_order(
            &page[..1],
            vec![None::<Result<(u32, f32), SearchError>>],
            Vec::new(),
            |_, _| {},
        );
        assert!(missing.is_err());
    }

    #[test]
    fn most_words_is_two_thirds_and_never_all() {
        let cases = [(2, 1), (3, 2), (4, 3), (5, 4), (6, 4), (9, 6), (32, 22)];
        for (n, required) in cases {
            assert_eq!(most_of(n), required, "{n}");
            assert!(most_of(n) < n);
        }
    }

    #[test]
    fn the_best_paragraph_holds_the_most_weight_then_the_tightest_window() {
        let span = |start, needle| Span {
            start,
            end: start + 2,
            needle,
        };
        // Paragraphs end at 20 and 50: words 0 and 1 close together but
        // across the first break, all three in the second paragraph.
        let body = [
            span(17, 0),
            span(21, 1),
            span(25, 0),
            span(40, 1),
            span(44, 2),
            span(60, 0),
        ];
        assert_eq!(best_paragraph(&body, &[20, 50], 3), Some((21, 3)));
        // Without breaks, one passage: the tightest window of all three.
        assert_eq!(best_paragraph(&body, &[], 3), Some((21, 3)));
        // Two words split by a break: one each side; together without it.
        let split = [span(17, 0), span(21, 1)];
        assert_eq!(best_paragraph(&split, &[20], 2), Some((2, 1)));
        assert_eq!(best_paragraph(&split, &[], 2), Some((6, 2)));
        // Of two paragraphs with one word each, the tighter (one span) wins.
        assert_eq!(
            best_paragraph(&[span(3, 0), span(9, 0), span(25, 1)], &[20], 2),
            Some((2, 1))
        );
        assert_eq!(best_paragraph(&[], &[20], 1), None);
    }

    #[test]
    fn every_word_in_one_paragraph_outweighs_a_title_word_and_words_apart() {
        let needles = vec![
            vec![(0, "液压".to_string())],
            vec![(0, "喷淋".to_string())],
            vec![(0, "养护".to_string())],
        ];
        let span = |start, needle| Span {
            start,
            end: start + 2,
            needle,
        };
        let together = proximity_boost(&[], &[span(30, 0), span(40, 1), span(50, 2)], &[20, 90], &needles);
        // Close, but across the breaks at 35 and 45.
        let split = proximity_boost(&[], &[span(30, 0), span(40, 1), span(50, 2)], &[35, 45], &needles);
        let two_of_three = proximity_boost(&[], &[span(30, 0), span(40, 1), span(50, 2)], &[45], &needles);
        let titled = proximity_boost(
            &[span(0, 2)],
            &[span(5, 2), span(300, 0), span(900, 1)],
            &[20, 400],
            &needles,
        );
        assert!(
            together > two_of_three && two_of_three > split,
            "{together} {two_of_three} {split}"
        );
        assert!(together > titled, "{together} {titled}");
        // The whole title holding every word earns a little more.
        let all_in_title = proximity_boost(
            &[span(0, 0), span(2, 1), span(4, 2)],
            &[span(30, 0), span(40, 1), span(50, 2)],
            &[20, 90],
            &needles,
        );
        assert!(all_in_title > together);
    }

    #[test]
    fn proximity_rewards_words_in_one_paragraph_and_all_in_the_title() {
        let needles = vec![vec![(0, "盾构".to_string())], vec![(0, "管片".to_string())]];
        let span = |start, needle| Span {
            start,
            end: start + 2,
            needle,
        };
        let close = proximity_boost(&[], &[span(10, 0), span(12, 1)], &[], &needles);
        let far = proximity_boost(&[], &[span(10, 0), span(400, 1)], &[200], &needles);
        let titled = proximity_boost(
            &[span(0, 0), span(3, 1)],
            &[span(10, 0), span(400, 1)],
            &[200],
            &needles,
        );
        assert!(close > far, "{close} {far}");
        assert!(titled > far, "{titled} {far}");
        assert_eq!(proximity_boost(&[], &[], &[], &needles), 1.0);
    }
}
