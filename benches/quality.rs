//! Search-quality benchmark: `cargo bench --bench quality [-- --queries 200
//! --seed 7 --no-md]`; `-- --help` lists every option.
//!
//! Five query sets, each scored for Zhihui's engine and, in the same run,
//! for a plain BM25 over jieba words (bare tantivy, one field holding title
//! and body, no field weights, any query word may match): the yardstick a
//! ranking has to beat. Four sets are known-item queries sampled with a
//! fixed seed from lawrefbook (`../shared/data/lawrefbook.tar.gz`, unpacked
//! into the data folder at run time): 2–3 of the five most salient words of
//! one paragraph of one file, which must come first — once with no word of
//! the file's title, once with title words allowed, and each of these with
//! a word's salience weighed by its count in the file or in the paragraph
//! (`Salience`). The fifth is judged by hand on the demo `content/`
//! (`benches/quality/judged.yaml`): what an engineer types, with the
//! records that should come first.
//!
//! Reports MRR@10, R@1, R@10 and nDCG@10 per set (binary relevance) and
//! rewrites the `quality` section of BENCHMARKS.md.

#[allow(dead_code)]
#[path = "scale/generator.rs"]
mod generator;
#[allow(dead_code)]
#[path = "scale/jieba.rs"]
mod jieba;

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use generator::Rng;
use jieba::JiebaTokenizer;
use jieba_rs::Jieba;
use serde::Deserialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value};
use tantivy::{Index, TantivyDocument, Term};
use zhihui::auth::Viewer;
use zhihui::search::{Engine, SearchRequest};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

const BEGIN: &str = "<!-- quality:begin -->";
const END: &str = "<!-- quality:end -->";

#[derive(Debug, Clone, Parser)]
#[command(name = "quality", bin_name = "cargo bench --bench quality --", about, long_about = None)]
struct Args {
    /// Known-item queries per lawrefbook set.
    #[arg(long, default_value_t = 200)]
    queries: usize,
    /// Seed of the sampling: the same seed gives the same queries.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Where the unpacked corpus and the index folders go (never into the repository).
    #[arg(long, value_name = "DIR", default_value_os_t = std::env::temp_dir().join("zhihui-quality"))]
    data: PathBuf,
    /// The lawrefbook tarball.
    #[arg(long = "tar", value_name = "FILE", default_value_os_t = manifest_dir().join("../shared/data/lawrefbook.tar.gz"))]
    tarball: PathBuf,
    /// The judged queries on the demo content.
    #[arg(long, value_name = "FILE", default_value_os_t = manifest_dir().join("benches/quality/judged.yaml"))]
    judged: PathBuf,
    /// Print every query whose relevant record Zhihui does not rank first.
    #[arg(long)]
    misses: bool,
    /// Print the results only; leave BENCHMARKS.md alone.
    #[arg(long)]
    no_md: bool,
    /// Write the results into this file instead of BENCHMARKS.md.
    #[arg(long, value_name = "FILE", default_value_os_t = manifest_dir().join("BENCHMARKS.md"))]
    md: PathBuf,
    /// `cargo bench` passes `--bench` to every bench binary; accepted and ignored.
    #[arg(long = "bench", hide = true)]
    _bench: bool,
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One query and the records that answer it.
#[derive(Debug, Clone, Deserialize)]
struct Judged {
    q: String,
    relevant: Vec<String>,
}

/// A record as the baseline indexes it, and the sampler reads it.
struct Doc {
    id: String,
    title: String,
    body: String,
}

#[derive(Debug, Default, Clone, Copy)]
struct Scores {
    mrr: f64,
    r1: f64,
    r10: f64,
    ndcg: f64,
}

/// The four measures of one ranking (the first ten ids) for one query.
fn score(ranked: &[String], relevant: &[String]) -> Scores {
    let top: Vec<&String> = ranked.iter().take(10).collect();
    let is_rel = |id: &String| relevant.contains(id);
    let first = top.iter().position(|id| is_rel(id));
    let found_at = |k: usize| top.iter().take(k).filter(|id| is_rel(id)).count() as f64;
    let n = relevant.len().max(1) as f64;
    let dcg: f64 = top
        .iter()
        .enumerate()
        .filter(|(_, id)| is_rel(id))
        .map(|(i, _)| 1.0 / (i as f64 + 2.0).log2())
        .sum();
    let ideal: f64 = (0..relevant.len().min(10)).map(|i| 1.0 / (i as f64 + 2.0).log2()).sum();
    Scores {
        mrr: first.map_or(0.0, |p| 1.0 / (p as f64 + 1.0)),
        // A relevant record first (one suffices when several are judged).
        r1: found_at(1),
        r10: found_at(10) / n,
        ndcg: if ideal > 0.0 { dcg / ideal } else { 0.0 },
    }
}

fn mean(all: &[Scores]) -> Scores {
    let n = all.len().max(1) as f64;
    let mut m = Scores::default();
    for s in all {
        m.mrr += s.mrr / n;
        m.r1 += s.r1 / n;
        m.r10 += s.r10 / n;
        m.ndcg += s.ndcg / n;
    }
    m
}

// ---------------------------------------------------------------- baseline

/// Plain BM25 over jieba words: one text field, no weights, OR of the words.
struct Baseline {
    reader: tantivy::IndexReader,
    text: tantivy::schema::Field,
    id: tantivy::schema::Field,
    jieba: JiebaTokenizer,
}

impl Baseline {
    fn build(docs: &[Doc], jieba: Arc<Jieba>) -> Res<Baseline> {
        let mut b = Schema::builder();
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("jieba")
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let text = b.add_text_field("text", options);
        let id = b.add_text_field("id", STRING | STORED);
        let index = Index::create_in_ram(b.build());
        let jieba = JiebaTokenizer::with(jieba, false);
        index.tokenizers().register("jieba", jieba.clone());
        let mut writer = index.writer_with_num_threads(2, 200_000_000)?;
        for d in docs {
            let mut doc = TantivyDocument::default();
            doc.add_text(text, format!("{}\n{}", d.title, d.body));
            doc.add_text(id, &d.id);
            writer.add_document(doc)?;
        }
        writer.commit()?;
        let reader = index.reader()?;
        Ok(Baseline {
            reader,
            text,
            id,
            jieba,
        })
    }

    fn doc_freq(&self, word: &str) -> u64 {
        let searcher = self.reader.searcher();
        searcher.doc_freq(&Term::from_field_text(self.text, word)).unwrap_or(0)
    }

    fn search(&self, q: &str) -> Res<Vec<String>> {
        let searcher = self.reader.searcher();
        let clauses: Vec<(Occur, Box<dyn Query>)> = self
            .jieba
            .words(q)
            .into_iter()
            .map(|(_, _, w)| {
                let term = Term::from_field_text(self.text, &w);
                (
                    Occur::Should,
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)) as Box<dyn Query>,
                )
            })
            .collect();
        let top = searcher.search(&BooleanQuery::new(clauses), &TopDocs::with_limit(10).order_by_score())?;
        let mut out = Vec::new();
        for (_, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            if let Some(v) = doc.get_first(self.id).and_then(|v| v.as_str()) {
                out.push(v.to_string());
            }
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------- corpora

/// Every record file under `content` (profiles aside), as the baseline
/// sees it: the front matter's title, the rest as the body.
fn read_docs(content: &Path) -> Vec<Doc> {
    let mut docs = Vec::new();
    for e in walkdir::WalkDir::new(content).sort_by_file_name().into_iter().flatten() {
        let path = e.path();
        if !e.file_type().is_file() || path.extension().is_none_or(|x| x != "md") {
            continue;
        }
        let Ok(rel) = path.strip_prefix(content) else { continue };
        let rel = rel.to_string_lossy().replace('\\', "/");
        if ["studios/", "alliances/", "exhibits/"]
            .iter()
            .any(|p| rel.starts_with(p))
        {
            continue;
        }
        let Ok(text) = fs::read_to_string(path) else { continue };
        let Some((front, body)) = text.strip_prefix("---\n").and_then(|r| r.split_once("\n---\n")) else {
            continue;
        };
        let title = front
            .lines()
            .find_map(|l| l.strip_prefix("title:"))
            .map(|t| t.trim().trim_matches(['"', '\'']).to_string())
            .unwrap_or_default();
        let id = rel.trim_end_matches(".md").trim_end_matches("/index").to_string();
        docs.push(Doc {
            id,
            title,
            body: body.to_string(),
        });
    }
    docs
}

fn is_cjk_word(w: &str) -> bool {
    w.chars().count() >= 2 && w.chars().all(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c))
}

/// Known-item queries: a file (of a title no other file has), one of its
/// paragraphs, and 2–3 of that paragraph's words picked at random from the
/// five most salient (tf·idf: often in the file, rare in the corpus; found
/// in at least two files, so that none names the file alone); without
/// title words when `title_words` is false.
///
/// `salience` says whose word counts weigh a word: the file's (a word
/// the file is about), or the paragraph's alone (a word the paragraph is
/// about, as the search-quality issue's outside evaluation describes its
/// queries: salient words of one paragraph).
fn sample(docs: &[Doc], base: &Baseline, n: usize, seed: u64, title_words: bool, salience: Salience) -> Vec<Judged> {
    let mut titles: HashMap<&str, usize> = HashMap::new();
    for d in docs {
        *titles.entry(d.title.as_str()).or_default() += 1;
    }
    let eligible: Vec<&Doc> = docs.iter().filter(|d| titles[d.title.as_str()] == 1).collect();
    let total = docs.len() as f64;
    let mut rng = Rng::new(seed ^ if title_words { 0xA5A5 } else { 0 });
    let mut out = Vec::new();
    let mut tries = 0;
    while out.len() < n && tries < n * 50 && !eligible.is_empty() {
        tries += 1;
        let doc = eligible[rng.below(eligible.len())];
        let paragraphs: Vec<&str> = doc
            .body
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with('#') && !l.starts_with("<!--") && l.chars().count() >= 40)
            .collect();
        if paragraphs.is_empty() {
            continue;
        }
        let paragraph = paragraphs[rng.below(paragraphs.len())];
        let mut tf: HashMap<String, f64> = HashMap::new();
        let counted = match salience {
            Salience::File => doc.body.as_str(),
            Salience::Paragraph => paragraph,
        };
        for (_, _, w) in base.jieba.words(counted) {
            *tf.entry(w).or_default() += 1.0;
        }
        let mut seen = HashSet::new();
        let mut words: Vec<(f64, String)> = base
            .jieba
            .words(paragraph)
            .into_iter()
            .map(|(_, _, w)| w)
            .filter(|w| is_cjk_word(w) && (title_words || !doc.title.contains(w.as_str())))
            .filter(|w| seen.insert(w.clone()))
            .filter_map(|w| {
                let df = base.doc_freq(&w);
                let weight = tf.get(&w).copied().unwrap_or(1.0).sqrt() * (total / df as f64).ln();
                (df >= 2).then_some((weight, w))
            })
            .collect();
        if words.len() < 3 {
            continue;
        }
        words.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        words.truncate(5);
        let k = 2 + rng.below(2);
        let mut picked = Vec::new();
        while picked.len() < k {
            let (_, w) = words.swap_remove(rng.below(words.len()));
            picked.push(w);
        }
        out.push(Judged {
            q: picked.join(" "),
            relevant: vec![doc.id.clone()],
        });
    }
    out
}

/// Whose word counts make a word salient (`sample`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Salience {
    File,
    Paragraph,
}

fn engine_on(content: &Path, index: &Path) -> Res<Engine> {
    let engine = Engine::open(content, index)?;
    engine.sync(false, &|_, _| {})?;
    Ok(engine)
}

struct Twins {
    twinned: usize,
    ours_alone: f64,
    bm25_alone: f64,
}

struct SetResult {
    name: String,
    queries: usize,
    ours: Scores,
    bm25: Scores,
    ours_ms: f64,
    /// Known-item sets only (`holders`): queries with a twin, and both
    /// engines' MRR@10 over the queries without one.
    twins: Option<Twins>,
}

/// How many files hold every word of `q` in one paragraph, the known item
/// among them when it does. Past one, the words alone cannot tell those
/// files apart by where they occur (regulations repeat their wording city
/// by city); only how often each file uses them can.
fn holders(q: &str, docs: &[Doc]) -> usize {
    let words: Vec<&str> = q.split_whitespace().collect();
    docs.iter()
        .filter(|d| {
            words.iter().all(|w| d.body.contains(w))
                && d.body.lines().any(|line| words.iter().all(|w| line.contains(w)))
        })
        .count()
}

fn run_set(
    name: &str,
    queries: &[Judged],
    engine: &Engine,
    base: &Baseline,
    misses: bool,
    known_items: Option<&[Doc]>,
) -> Res<SetResult> {
    let viewer = Viewer::staff("bench");
    let (mut ours, mut bm25) = (Vec::new(), Vec::new());
    let started = Instant::now();
    for j in queries {
        let request = SearchRequest {
            q: j.q.clone(),
            per_page: 10,
            ..SearchRequest::default()
        };
        let ranked: Vec<String> = engine
            .search(&request, &viewer)?
            .hits
            .into_iter()
            .map(|h| h.card.id)
            .collect();
        let s = score(&ranked, &j.relevant);
        if misses && s.mrr < 1.0 {
            println!(
                "  miss [{name}] {:?} want {:?} got {:?}",
                j.q,
                j.relevant,
                &ranked[..ranked.len().min(3)]
            );
        }
        ours.push(s);
    }
    let ours_ms = started.elapsed().as_secs_f64() * 1000.0 / queries.len().max(1) as f64;
    for j in queries {
        bm25.push(score(&base.search(&j.q)?, &j.relevant));
    }
    let twins = known_items.map(|docs| {
        let held: Vec<usize> = queries.iter().map(|j| holders(&j.q, docs)).collect();
        let alone: Vec<usize> = (0..queries.len()).filter(|&i| held[i] <= 1).collect();
        let pick = |all: &[Scores]| mean(&alone.iter().map(|&i| all[i]).collect::<Vec<_>>()).mrr;
        Twins {
            twinned: queries.len() - alone.len(),
            ours_alone: pick(&ours),
            bm25_alone: pick(&bm25),
        }
    });
    Ok(SetResult {
        name: name.to_string(),
        queries: queries.len(),
        ours: mean(&ours),
        bm25: mean(&bm25),
        ours_ms,
        twins,
    })
}

fn dictionary_into(jieba: &mut Jieba, dictionary: &str) {
    for line in dictionary.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if let Some(word) = line.split_whitespace().next() {
            jieba.add_word(word, None, None);
        }
    }
}

fn report(results: &[SetResult], args: &Args) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "Measured by `cargo bench --bench quality` (seed {}, {} known-item queries per lawrefbook set). \
         Plain BM25: bare tantivy over jieba words, title and body in one field, no weights, any word may match.\n",
        args.seed, args.queries
    );
    let _ = writeln!(
        md,
        "| set | queries | engine | MRR@10 | R@1 | R@10 | nDCG@10 | ms/query |\n|---|---:|---|---:|---:|---:|---:|---:|"
    );
    for r in results {
        for (engine, s, ms) in [
            ("Zhihui", r.ours, format!("{:.1}", r.ours_ms)),
            ("plain BM25", r.bm25, "".into()),
        ] {
            let _ = writeln!(
                md,
                "| {} | {} | {engine} | {:.3} | {:.3} | {:.3} | {:.3} | {ms} |",
                r.name, r.queries, s.mrr, s.r1, s.r10, s.ndcg
            );
        }
    }
    let _ = writeln!(
        md,
        "\nA known-item query has a *twin* when another file also holds all its words in one paragraph \
         (the regulations repeat their wording from city to city); then only how often each file uses the \
         words can tell the known item apart. The queries without a twin, and both engines on them:\n\n\
         | set | queries with a twin | Zhihui MRR@10 without twins | plain BM25 MRR@10 without twins |\n\
         |---|---:|---:|---:|"
    );
    for r in results {
        if let Some(t) = &r.twins {
            let _ = writeln!(
                md,
                "| {} | {} of {} | {:.3} | {:.3} |",
                r.name, t.twinned, r.queries, t.ours_alone, t.bm25_alone
            );
        }
    }
    md
}

fn write_section(path: &Path, md: &str) -> Res<()> {
    let block = format!("{BEGIN}\n{md}{END}\n");
    let existing = fs::read_to_string(path).unwrap_or_else(|_| "# Benchmarks\n\n".to_string());
    let updated = match (existing.find(BEGIN), existing.find(END)) {
        (Some(a), Some(b)) if b > a => format!(
            "{}{block}\n{}",
            &existing[..a],
            &existing[b + END.len()..].trim_start_matches('\n')
        ),
        _ => format!("{}\n\n## Search quality\n\n{block}", existing.trim_end()),
    };
    let tmp = path.with_extension("md.tmp");
    fs::write(&tmp, updated)?;
    fs::rename(tmp, path)?;
    Ok(())
}

fn run(args: &Args) -> Res<()> {
    fs::create_dir_all(&args.data)?;
    let (corpus, fresh) = generator::ensure_lawref(&args.data, &args.tarball)?;
    if fresh {
        eprintln!("unpacked lawrefbook into {}", corpus.display());
    }
    let law_content = corpus.join("content");
    let demo_content = manifest_dir().join("content");
    let dictionary = fs::read_to_string(demo_content.join("dictionary.txt")).unwrap_or_default();

    let mut law_jieba = Jieba::new();
    dictionary_into(
        &mut law_jieba,
        &fs::read_to_string(law_content.join("dictionary.txt")).unwrap_or_default(),
    );
    let law_docs = read_docs(&law_content);
    let started = Instant::now();
    let law_base = Baseline::build(&law_docs, Arc::new(law_jieba))?;
    eprintln!(
        "baseline over {} lawrefbook files in {:.1} s",
        law_docs.len(),
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let law_engine = engine_on(&law_content, &args.data.join("index-lawref"))?;
    eprintln!("zhihui index ready in {:.1} s", started.elapsed().as_secs_f64());

    let no_title = sample(&law_docs, &law_base, args.queries, args.seed, false, Salience::File);
    let with_title = sample(&law_docs, &law_base, args.queries, args.seed, true, Salience::File);
    let para_no_title = sample(
        &law_docs,
        &law_base,
        args.queries,
        args.seed,
        false,
        Salience::Paragraph,
    );
    let para_with_title = sample(&law_docs, &law_base, args.queries, args.seed, true, Salience::Paragraph);

    let mut demo_jieba = Jieba::new();
    dictionary_into(&mut demo_jieba, &dictionary);
    let demo_docs = read_docs(&demo_content);
    let demo_base = Baseline::build(&demo_docs, Arc::new(demo_jieba))?;
    let demo_engine = engine_on(&demo_content, &args.data.join("index-demo"))?;
    let judged: Vec<Judged> = serde_yaml_ng::from_str(&fs::read_to_string(&args.judged)?)?;
    let known: HashSet<&str> = demo_docs.iter().map(|d| d.id.as_str()).collect();
    for j in &judged {
        for id in &j.relevant {
            if !known.contains(id.as_str()) {
                return Err(format!(
                    "{}: {:?} names {id}, which is no demo record",
                    args.judged.display(),
                    j.q
                )
                .into());
            }
        }
    }

    let results = vec![
        run_set(
            "lawrefbook, no title words",
            &no_title,
            &law_engine,
            &law_base,
            args.misses,
            Some(&law_docs),
        )?,
        run_set(
            "lawrefbook, title words allowed",
            &with_title,
            &law_engine,
            &law_base,
            args.misses,
            Some(&law_docs),
        )?,
        run_set(
            "lawrefbook, paragraph-salient, no title words",
            &para_no_title,
            &law_engine,
            &law_base,
            args.misses,
            Some(&law_docs),
        )?,
        run_set(
            "lawrefbook, paragraph-salient, title words allowed",
            &para_with_title,
            &law_engine,
            &law_base,
            args.misses,
            Some(&law_docs),
        )?,
        run_set(
            "demo content, judged",
            &judged,
            &demo_engine,
            &demo_base,
            args.misses,
            None,
        )?,
    ];
    let md = report(&results, args);
    println!("{md}");
    if !args.no_md {
        write_section(&args.md, &md)?;
        eprintln!("wrote {}", args.md.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quality bench failed: {e}");
            ExitCode::FAILURE
        }
    }
}
