//! Scale benchmark: `cargo bench --bench scale -- --records 10000 [--seed 42]
//! [--runs 3] [--data /work/bench-data]`, or `-- --lawref` for the real
//! lawrefbook corpus; `-- --help` lists every option. See BENCHMARKS.md for
//! what every figure means and how each was measured.
//!
//! Each phase runs in a child process (this binary with `--phase`), so
//! its peak RSS is its own: `bare` (the baseline engine), `index` (our
//! full rebuild), `serve` (start-up on the existing index, in-process
//! queries, HTTP under load, incremental updates) and `profile` (where the
//! time of indexing goes). `e2e` starts the real `zhihui serve` binary.
//! Two more phases only exist to run under `perf record`: `query-loop`
//! (the in-process query mix) and `sync-loop` (one file changed and
//! synced, over and over), each for `--http-secs` seconds. `stats` times
//! `/api/stats?by=alliance&by=kind` (also run by itself with `--phase
//! stats`, on a corpus and index an earlier run left).

#[path = "scale/bare.rs"]
mod bare;
#[path = "scale/generator.rs"]
mod generator;
#[path = "scale/jieba.rs"]
mod jieba;
#[path = "scale/queries.rs"]
mod queries;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use queries::QuerySpec;
use zhihui::auth::Viewer;
use zhihui::content::load;
use zhihui::search::analysis::{Analyzer, SharedWords, Synonyms, WholeWords, ZhTokenizer, normalize};
use zhihui::search::{Engine, SearchRequest};

type Metrics = BTreeMap<String, f64>;

const RESULT_PREFIX: &str = "BENCH-RESULT ";
const PROFILE_SAMPLE: usize = 2000;
const MIN_QUERIES: usize = 300;
const INCREMENTAL_SAMPLES: usize = 5;
const E2E_SAMPLES: usize = 3;

/// The scale benchmark: our engine and the bare tantivy baseline on one
/// corpus, with the figures written into BENCHMARKS.md.
#[derive(Debug, Clone, Parser)]
#[command(name = "scale", bin_name = "cargo bench --bench scale --", about, long_about = None)]
struct Args {
    /// Records in the generated corpus (10000, 100000 and 1000000 are the measured scales).
    #[arg(long, default_value_t = 10_000)]
    records: u64,
    /// Seed of the generated corpus: the same seed gives the same records.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Runs of the bare, index, serve and e2e phases; figures are their medians.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    runs: u64,
    /// Where corpora and index folders go (never into the repository).
    #[arg(long, value_name = "DIR", default_value = "/work/bench-data")]
    data: PathBuf,
    /// Studios of the generated corpus (10 named ones, then numbered branches; up to 50000 measured).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    studios: u64,
    /// About this many distinct tags (0: the domain words alone, about 250).
    #[arg(long, default_value_t = 0)]
    tags: u64,
    /// Record bodies this many times as long as the default 1–8 KB.
    #[arg(long, default_value_t = 1.0)]
    length: f64,
    /// Add single common words (in half or more of the records) to the query mix.
    #[arg(long)]
    words: bool,
    /// Measure the real lawrefbook corpus instead of a generated one.
    #[arg(long)]
    lawref: bool,
    /// The lawrefbook tarball.
    #[arg(long = "tar", value_name = "FILE", requires = "lawref", default_value_os_t = default_tarball())]
    tarball: PathBuf,
    /// Bound of each HTTP load (and how long the loop phases run), in seconds.
    #[arg(long, value_name = "S", default_value_t = 15)]
    http_secs: u64,
    /// Requests per HTTP client thread (at most 2 threads' worth in all).
    #[arg(long, value_name = "N", default_value_t = 2000)]
    http_requests: usize,
    /// Print the results only; leave BENCHMARKS.md alone.
    #[arg(long, conflicts_with = "md")]
    no_md: bool,
    /// Write the results into this file instead of BENCHMARKS.md.
    #[arg(long, value_name = "FILE", default_value_os_t = default_md())]
    md: PathBuf,
    /// Only write the corpus, measure nothing.
    #[arg(long)]
    generate_only: bool,
    /// Run one phase in this process and print its figures as JSON (what
    /// the parent runs in a child; the loop phases exist to run under perf).
    #[arg(long, value_enum)]
    phase: Option<Phase>,
    /// `cargo bench` passes `--bench` to every bench binary; accepted and
    /// ignored (hence never read).
    #[arg(long = "bench", hide = true)]
    _bench: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Phase {
    /// The bare engine: rebuild and query mix.
    Bare,
    /// Our full rebuild.
    Index,
    /// Start-up, in-process queries, HTTP under load, incremental updates.
    Serve,
    /// Where indexing time goes, step by step, single-threaded.
    Profile,
    /// The in-process query mix over and over, for `--http-secs` seconds.
    QueryLoop,
    /// The HTTP load at 1 client only.
    Http,
    /// The bare engine's rebuild with jieba's words as terms instead of
    /// our n-grams (same fields, documents, threads and memory), and both
    /// analyses timed alone on the first 2000 records.
    BareJieba,
    /// One file changed and synced over and over, for `--http-secs` seconds.
    SyncLoop,
    /// `/api/stats?by=alliance&by=kind`: its first answer (each segment's
    /// statistics decoded), then in-process and over HTTP at 1 client, as
    /// staff (every record) and anonymously (public records).
    Stats,
}

impl Phase {
    /// Its name on the command line, as a child process is given it
    /// (clap's own spelling, so the two cannot drift apart).
    fn name(self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default()
    }
}

fn default_tarball() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/lawrefbook.tar.gz")
}

fn default_md() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("BENCHMARKS.md")
}

impl Args {
    fn label(&self) -> String {
        if self.lawref {
            "lawref".to_string()
        } else {
            format!("{}-{}{}", self.records, self.seed, self.shape().suffix())
        }
    }

    fn corpus(&self) -> PathBuf {
        if self.lawref {
            self.data.join("corpus-lawref")
        } else {
            self.data.join(format!(
                "corpus-{}-{}{}",
                self.records,
                self.seed,
                self.shape().suffix()
            ))
        }
    }

    fn content(&self) -> PathBuf {
        self.corpus().join("content")
    }

    fn work(&self) -> PathBuf {
        self.data.join(format!("work-{}", self.label()))
    }

    fn mix(&self) -> Vec<QuerySpec> {
        if self.lawref {
            queries::lawref()
        } else {
            let mut mix = queries::synthetic(self.seed, self.records);
            if self.words {
                mix.extend(queries::common_words());
            }
            mix
        }
    }

    fn shape(&self) -> generator::Shape {
        generator::Shape {
            studios: self.studios as usize,
            tags: self.tags as usize,
            length: self.length,
        }
    }

    /// The arguments a child process needs to find the same corpus.
    fn child_args(&self) -> Vec<String> {
        let mut out = vec![
            "--records".to_string(),
            self.records.to_string(),
            "--seed".into(),
            self.seed.to_string(),
            "--data".into(),
            self.data.display().to_string(),
            "--http-secs".into(),
            self.http_secs.to_string(),
            "--http-requests".into(),
            self.http_requests.to_string(),
            "--studios".into(),
            self.studios.to_string(),
            "--tags".into(),
            self.tags.to_string(),
            "--length".into(),
            self.length.to_string(),
        ];
        if self.words {
            out.push("--words".into());
        }
        if self.lawref {
            out.push("--lawref".into());
            out.push("--tar".into());
            out.push(self.tarball.display().to_string());
        }
        out
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    generator::set_shape(args.shape());
    let result = match args.phase {
        Some(phase) => run_phase(&args, phase).map(|m| {
            println!("{RESULT_PREFIX}{}", serde_json::to_string(&m).unwrap_or_default());
        }),
        None => orchestrate(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scale bench failed: {e}");
            ExitCode::FAILURE
        }
    }
}

type Res<T> = Result<T, Box<dyn std::error::Error>>;

// ---------------------------------------------------------------- helpers

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn status_kb(pid: Option<u32>, key: &str) -> f64 {
    let path = match pid {
        Some(p) => format!("/proc/{p}/status"),
        None => "/proc/self/status".to_string(),
    };
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
}

/// CPU time this process has used (user + system), in ms, from
/// `/proc/self/stat` (clock ticks, 100 per second on Linux).
fn cpu_ms() -> f64 {
    let stat = fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (in brackets, and it may hold
    // spaces) start with the state, field 3; utime and stime are fields 14
    // and 15.
    let after: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |field: usize| after.get(field - 3).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(14) + ticks(15)) * 10.0
}

/// Peak resident set size so far, in MiB.
fn peak_rss_mib(pid: Option<u32>) -> f64 {
    status_kb(pid, "VmHWM:") / 1024.0
}

fn dir_stats(dir: &Path) -> (u64, usize) {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .fold((0, 0), |(bytes, n), e| {
            (bytes + e.metadata().map_or(0, |m| m.len()), n + 1)
        })
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Waits until background merges stop touching `dir` (1 s without change,
/// at most 2 min); returns how long that took.
fn settle(dir: &Path) -> Duration {
    let started = Instant::now();
    let mut last = dir_stats(dir);
    let mut stable_since = Instant::now();
    while started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(200));
        let now = dir_stats(dir);
        if now != last {
            last = now;
            stable_since = Instant::now();
        } else if stable_since.elapsed() >= Duration::from_secs(1) {
            return stable_since.duration_since(started);
        }
    }
    started.elapsed()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn median(values: &mut Vec<f64>) -> f64 {
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// p50/p95/p99/max of latencies into `m` under `prefix`.
fn record_latencies(m: &mut Metrics, prefix: &str, samples: &[f64]) {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    m.insert(format!("{prefix}.p50"), percentile(&sorted, 0.50));
    m.insert(format!("{prefix}.p95"), percentile(&sorted, 0.95));
    m.insert(format!("{prefix}.p99"), percentile(&sorted, 0.99));
    m.insert(format!("{prefix}.max"), sorted.last().copied().unwrap_or(f64::NAN));
    m.insert(format!("{prefix}.n"), sorted.len() as f64);
}

/// Runs the mix once untimed (warm-up), then enough rounds for at least
/// `MIN_QUERIES` timed queries; records overall, per-category and
/// per-query figures. `run` returns the total hits.
fn time_mix(
    m: &mut Metrics,
    prefix: &str,
    mix: &[QuerySpec],
    mut run: impl FnMut(&QuerySpec) -> Res<usize>,
) -> Res<()> {
    for spec in mix {
        let total = run(spec)?;
        m.insert(format!("{prefix}.hits.{}", spec.label()), total as f64);
    }
    let rounds = MIN_QUERIES.div_ceil(mix.len()).max(10);
    let mut all = Vec::new();
    let mut by_category: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut by_query: Vec<Vec<f64>> = vec![Vec::new(); mix.len()];
    for _ in 0..rounds {
        for (i, spec) in mix.iter().enumerate() {
            let started = Instant::now();
            run(spec)?;
            let t = ms(started.elapsed());
            all.push(t);
            by_category.entry(spec.category).or_default().push(t);
            by_query[i].push(t);
        }
    }
    record_latencies(m, prefix, &all);
    for (category, samples) in by_category {
        record_latencies(m, &format!("{prefix}.cat.{category}"), &samples);
    }
    for (spec, mut samples) in mix.iter().zip(by_query) {
        m.insert(format!("{prefix}.query.{}", spec.label()), median(&mut samples));
    }
    Ok(())
}

/// The first record file that anonymous visitors may see.
fn first_public_record(content: &Path) -> Option<PathBuf> {
    walkdir::WalkDir::new(content)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
        .filter(|e| {
            let rel = e.path().strip_prefix(content).unwrap_or(e.path());
            !matches!(
                rel.components()
                    .next()
                    .map(|c| c.as_os_str().to_string_lossy().to_string())
                    .as_deref(),
                Some("studios" | "alliances" | "exhibits")
            )
        })
        .find(|e| {
            fs::read_to_string(e.path())
                .map(|t| t.contains("\nvisibility: public\n"))
                .unwrap_or(false)
        })
        .map(|e| e.into_path())
}

fn progress(label: &'static str) -> impl Fn(usize, usize) {
    move |done, total| {
        if total >= 20_000 && done % 20_000 == 0 && done > 0 {
            eprintln!("    {label} {done}/{total}");
        }
    }
}

// ---------------------------------------------------------------- phases

fn run_phase(args: &Args, phase: Phase) -> Res<Metrics> {
    match phase {
        Phase::Bare => phase_bare(args),
        Phase::Index => phase_index(args),
        Phase::Serve => phase_serve(args),
        Phase::Profile => phase_profile(args),
        Phase::QueryLoop => phase_query_loop(args),
        Phase::Http => phase_http(args),
        Phase::SyncLoop => phase_sync_loop(args),
        Phase::Stats => phase_stats(args),
        Phase::BareJieba => phase_bare_jieba(args),
    }
}

fn dictionary(content: &Path) -> String {
    fs::read_to_string(content.join(load::DICTIONARY_FILE)).unwrap_or_default()
}

/// The long words ours indexes whole, for the bare engine's same analysis.
fn whole_words(content: &Path) -> WholeWords {
    let synonyms = fs::read_to_string(content.join(load::SYNONYMS_FILE)).unwrap_or_default();
    WholeWords::from_staff_files(&dictionary(content), &Synonyms::parse(&synonyms))
}

/// The baseline: load the records into memory (untimed), index them, query.
fn phase_bare(args: &Args) -> Res<Metrics> {
    let mut m = Metrics::new();
    let content = args.content();
    let started = Instant::now();
    let analyzer = Arc::new(Analyzer::new(&dictionary(&content)));
    m.insert("bare.analyzer_ms".into(), ms(started.elapsed()));
    let started = Instant::now();
    let (docs, bytes) = bare::load(&content);
    m.insert("bare.load_s".into(), started.elapsed().as_secs_f64());
    m.insert("corpus.records".into(), docs.len() as f64);
    m.insert("corpus.mb".into(), mib(bytes));
    let dir = args.work().join("bare-index");
    let (engine, elapsed) = bare::build(&dir, &docs, analyzer, whole_words(&content), None)?;
    let secs = elapsed.as_secs_f64();
    m.insert("bare.rebuild_s".into(), secs);
    m.insert("bare.rebuild_rps".into(), docs.len() as f64 / secs);
    m.insert("bare.rebuild_mbps".into(), mib(bytes) / secs);
    m.insert("bare.rss_index".into(), peak_rss_mib(None));
    m.insert("bare.docs_in_memory_mb".into(), mib(bytes));
    m.insert("bare.settle_s".into(), settle(&dir).as_secs_f64());
    m.insert("bare.index_mb".into(), mib(dir_stats(&dir).0));
    drop(docs);
    time_mix(&mut m, "bare.staff", &args.mix(), |spec| Ok(engine.search(spec)?))?;
    Ok(m)
}

/// The bare engine indexing jieba's words (`jieba::JiebaTokenizer`):
/// rebuild time, index size and peak memory, as `phase_bare` reports its
/// own; then tokens per record and analysis time of each tokenizer over
/// the title and body of the first 2000 records, on one thread.
fn phase_bare_jieba(args: &Args) -> Res<Metrics> {
    use tantivy::tokenizer::{TokenStream, Tokenizer};
    let mut m = Metrics::new();
    let content = args.content();
    let analyzer = Arc::new(Analyzer::new(&dictionary(&content)));
    let (docs, bytes) = bare::load(&content);
    m.insert("corpus.records".into(), docs.len() as f64);
    let jieba = jieba::JiebaTokenizer::new(&dictionary(&content));
    let dir = args.work().join("bare-jieba-index");
    let (engine, elapsed) = bare::build(&dir, &docs, analyzer, whole_words(&content), Some(jieba.clone()))?;
    let secs = elapsed.as_secs_f64();
    m.insert("jieba.rebuild_s".into(), secs);
    m.insert("jieba.rebuild_rps".into(), docs.len() as f64 / secs);
    m.insert("jieba.rebuild_mbps".into(), mib(bytes) / secs);
    m.insert("jieba.rss_index".into(), peak_rss_mib(None));
    m.insert("jieba.settle_s".into(), settle(&dir).as_secs_f64());
    m.insert("jieba.index_mb".into(), mib(dir_stats(&dir).0));
    drop(engine);
    fs::remove_dir_all(&dir)?;
    let sample = &docs[..docs.len().min(2000)];
    let mut count = |mut tokenizer: Box<dyn FnMut(&str) -> usize>, name: &str| {
        let started = Instant::now();
        let tokens: usize = sample.iter().map(|d| tokenizer(&d.title) + tokenizer(&d.body)).sum();
        let n = sample.len().max(1) as f64;
        m.insert(format!("{name}.tokens_per_record"), tokens as f64 / n);
        m.insert(format!("{name}.analysis_us"), started.elapsed().as_secs_f64() * 1e6 / n);
    };
    let mut grams = ZhTokenizer::new(SharedWords::new(Arc::new(whole_words(&content))));
    count(
        Box::new(move |text| {
            let mut stream = grams.token_stream(text);
            let mut n = 0;
            while stream.advance() {
                n += 1;
            }
            n
        }),
        "grams",
    );
    let mut words = jieba;
    count(
        Box::new(move |text| {
            let mut stream = words.token_stream(text);
            let mut n = 0;
            while stream.advance() {
                n += 1;
            }
            n
        }),
        "jieba",
    );
    Ok(m)
}

/// Our full rebuild, then a sync with nothing changed.
fn phase_index(args: &Args) -> Res<Metrics> {
    let mut m = Metrics::new();
    let content = args.content();
    let dir = args.work().join("index");
    if dir.exists() {
        fs::remove_dir_all(&dir)?;
    }
    let started = Instant::now();
    let engine = Engine::open(&content, &dir)?;
    m.insert("ours.rebuild_open_ms".into(), ms(started.elapsed()));
    let report = engine.sync(true, &progress("indexed"))?;
    let secs = report.elapsed.as_secs_f64();
    let bytes: u64 = walkdir::WalkDir::new(&content)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
        .filter(|e| {
            let rel = e.path().strip_prefix(&content).unwrap_or(e.path());
            !rel.starts_with("studios") && !rel.starts_with("alliances") && !rel.starts_with("exhibits")
        })
        .map(|e| e.metadata().map_or(0, |md| md.len()))
        .sum();
    m.insert("ours.rss_index".into(), peak_rss_mib(None));
    m.insert("ours.indexed".into(), report.indexed as f64);
    m.insert("ours.skipped".into(), report.skipped as f64);
    m.insert(
        "ours.errors".into(),
        report.problems.iter().filter(|p| p.problem.is_error()).count() as f64,
    );
    m.insert(
        "ours.warnings".into(),
        report.problems.iter().filter(|p| !p.problem.is_error()).count() as f64,
    );
    for p in report.problems.iter().filter(|p| p.problem.is_error()).take(5) {
        eprintln!("    problem: {p}");
    }
    m.insert("ours.rebuild_s".into(), secs);
    m.insert("ours.rebuild_rps".into(), report.indexed as f64 / secs);
    m.insert("ours.rebuild_mbps".into(), mib(bytes) / secs);
    m.insert("ours.settle_s".into(), settle(&dir).as_secs_f64());
    m.insert("ours.index_mb".into(), mib(dir_stats(&dir).0));
    m.insert(
        "ours.manifest_mb".into(),
        mib(fs::metadata(dir.join("manifest.json")).map_or(0, |md| md.len())),
    );
    let report = engine.sync(false, &|_, _| {})?;
    m.insert("ours.noop_sync_hot_ms".into(), ms(report.elapsed));
    Ok(m)
}

fn staff() -> Viewer {
    Viewer::staff("bench")
}

fn search_total(engine: &Engine, q: &str) -> Res<usize> {
    let request = SearchRequest {
        q: q.to_string(),
        ..SearchRequest::default()
    };
    Ok(engine.search(&request, &staff())?.total)
}

/// Start-up on the existing index, queries in-process and over HTTP, and
/// one changed file until it is found.
fn phase_serve(args: &Args) -> Res<Metrics> {
    let mut m = Metrics::new();
    let content = args.content();
    let dir = args.work().join("index");
    let mix = args.mix();
    let started = Instant::now();
    let engine = Engine::open(&content, &dir)?;
    m.insert("ours.open_ms".into(), ms(started.elapsed()));
    let t = Instant::now();
    let report = engine.sync(false, &|_, _| {})?;
    m.insert("ours.startup_sync_ms".into(), ms(t.elapsed()));
    m.insert("ours.startup_sync_indexed".into(), report.indexed as f64);
    let t = Instant::now();
    engine.search(&mix[0].request(), &staff())?;
    m.insert("ours.first_query_ms".into(), ms(t.elapsed()));
    m.insert("ours.startup_ms".into(), ms(started.elapsed()));
    m.insert("ours.rss_after_start".into(), peak_rss_mib(None));

    let engine = Arc::new(engine);
    let anonymous = Viewer::anonymous();
    time_mix(&mut m, "ours.staff", &mix, |spec| {
        Ok(engine.search(&spec.request(), &staff())?.total)
    })?;
    time_mix(&mut m, "ours.anon", &mix, |spec| {
        Ok(engine.search(&spec.request(), &anonymous)?.total)
    })?;

    let addr = start_server(engine.clone())?;
    let urls: Vec<String> = mix.iter().map(QuerySpec::url).collect();
    http_load(&mut m, addr, &urls, 1, args)?;
    http_load(&mut m, addr, &urls, 4, args)?;
    m.insert("ours.rss_serve".into(), peak_rss_mib(None));

    // One file changed → searchable: what the watcher runs after its
    // 150 ms settle delay (the changed record by path), then a search.
    let path = first_public_record(&content).ok_or("no public record")?;
    let rel = path
        .strip_prefix(&content)
        .map_err(|e| e.to_string())?
        .to_string_lossy()
        .replace('\\', "/");
    let original = fs::read_to_string(&path)?;
    let mut changed = Vec::new();
    let mut synced = Vec::new();
    let mut reverted = Vec::new();
    for k in 0..INCREMENTAL_SAMPLES {
        let token = format!("zhbench{}x{k}", std::process::id());
        fs::write(&path, format!("{original}\n\n基准测试标记 {token}\n"))?;
        let t = Instant::now();
        let report = engine.sync_paths(std::slice::from_ref(&rel), false)?;
        synced.push(ms(t.elapsed()));
        let found = search_total(&engine, &token)?;
        changed.push(ms(t.elapsed()));
        if found == 0 || report.indexed != 1 {
            return Err(format!("changed file not found by {token} (indexed {})", report.indexed).into());
        }
        fs::write(&path, &original)?;
        let t = Instant::now();
        engine.sync_paths(std::slice::from_ref(&rel), false)?;
        reverted.push(ms(t.elapsed()));
    }
    m.insert("ours.incremental_ms".into(), median(&mut changed));
    m.insert("ours.incremental_sync_ms".into(), median(&mut synced));
    m.insert("ours.incremental_revert_ms".into(), median(&mut reverted));
    Ok(m)
}

/// Only the in-process query mix, for `--http-secs` seconds: a steady
/// workload to run under `perf record` (see BENCHMARKS.md).
fn phase_query_loop(args: &Args) -> Res<Metrics> {
    let mut m = Metrics::new();
    let engine = Engine::open(&args.content(), &args.work().join("index"))?;
    engine.sync(false, &|_, _| {})?;
    let only = std::env::var("ZH_ONLY").unwrap_or_default();
    let mix: Vec<QuerySpec> = args.mix().into_iter().filter(|s| s.label().contains(&only)).collect();
    let started = Instant::now();
    let cpu_before = cpu_ms();
    let mut n = 0usize;
    while started.elapsed() < Duration::from_secs(args.http_secs) {
        for spec in &mix {
            engine.search(&spec.request(), &staff())?;
            n += 1;
        }
    }
    m.insert("loop.queries".into(), n as f64);
    m.insert(
        "loop.cpu_ms_per_query".into(),
        (cpu_ms() - cpu_before) / n.max(1) as f64,
    );
    m.insert("loop.qps".into(), n as f64 / started.elapsed().as_secs_f64());
    Ok(m)
}

/// Only the HTTP load at 1 client, on an existing index: for comparing
/// changes to the request path quickly.
fn phase_http(args: &Args) -> Res<Metrics> {
    let mut m = Metrics::new();
    let engine = Engine::open(&args.content(), &args.work().join("index"))?;
    engine.sync(false, &|_, _| {})?;
    let urls: Vec<String> = args.mix().iter().map(QuerySpec::url).collect();
    let addr = start_server(Arc::new(engine))?;
    http_load(&mut m, addr, &urls, 1, args)?;
    Ok(m)
}

/// Only incremental updates (one file changed, synced, changed back,
/// synced) for `--http-secs` seconds, to run under `perf record`.
fn phase_sync_loop(args: &Args) -> Res<Metrics> {
    let mut m = Metrics::new();
    let content = args.content();
    let engine = Engine::open(&content, &args.work().join("index"))?;
    engine.sync(false, &|_, _| {})?;
    let path = first_public_record(&content).ok_or("no public record")?;
    let original = fs::read_to_string(&path)?;
    let started = Instant::now();
    let mut n = 0usize;
    while started.elapsed() < Duration::from_secs(args.http_secs) {
        fs::write(&path, format!("{original}\n\nzhbenchloop{n}\n"))?;
        engine.sync(false, &|_, _| {})?;
        fs::write(&path, &original)?;
        engine.sync(false, &|_, _| {})?;
        n += 2;
    }
    m.insert("loop.syncs".into(), n as f64);
    m.insert("loop.sync_ms".into(), ms(started.elapsed()) / n.max(1) as f64);
    Ok(m)
}

const STATS_URL: &str = "/api/stats?by=alliance&by=kind";

/// `/api/stats?by=alliance&by=kind` at the corpus's scale: the first
/// answer after start (which decodes each segment's statistics), then
/// in-process and over HTTP (1 client, keep-alive) as staff, who count
/// every record, and anonymously, through the visibility filter.
fn phase_stats(args: &Args) -> Res<Metrics> {
    use zhihui::stats::{Dimension, StatsQuery};
    let mut m = Metrics::new();
    let engine = Engine::open(&args.content(), &args.work().join("index"))?;
    engine.sync(false, &|_, _| {})?;
    let query = StatsQuery::by(&[Dimension::Alliance, Dimension::Kind]);
    let request = SearchRequest::default();
    let t = Instant::now();
    let table = engine.stats(&request, &staff(), &query)?;
    m.insert("stats.first_ms".into(), ms(t.elapsed()));
    m.insert("stats.records".into(), table.total.count as f64);
    m.insert("stats.groups".into(), table.groups.len() as f64);
    let mut samples = Vec::new();
    let started = Instant::now();
    while samples.len() < 200 && started.elapsed() < Duration::from_secs(args.http_secs) {
        let t = Instant::now();
        engine.stats(&request, &staff(), &query)?;
        samples.push(ms(t.elapsed()));
    }
    record_latencies(&mut m, "stats.inproc", &samples);

    // A staff account in the scratch folder `start_server` gives the app.
    let data = std::env::temp_dir().join(format!("zhihui-bench-data-{}", std::process::id()));
    let accounts = zhihui::auth::Accounts::open(&data)?;
    if accounts.viewer("bench-staff").is_none() {
        accounts.add(
            "bench-staff",
            zhihui::auth::NewRole::parse("staff", None)?,
            "bench-password-1",
        )?;
    }
    let token = accounts.new_token("bench-staff", "bench")?;
    let addr = start_server(Arc::new(engine))?;
    let url = format!("http://{addr}{STATS_URL}");
    for (who, bearer) in [("staff", Some(format!("Bearer {token}"))), ("anon", None)] {
        let agent = agent();
        let call = || -> Res<f64> {
            let t = Instant::now();
            let mut request = agent.get(&url);
            if let Some(b) = &bearer {
                request = request.header("authorization", b);
            }
            let mut response = request.call()?;
            let body = response.body_mut().read_to_string()?;
            if response.status() != 200 || !body.starts_with('{') {
                return Err(format!("{STATS_URL}: {} {body}", response.status()).into());
            }
            Ok(ms(t.elapsed()))
        };
        call()?;
        let mut samples = Vec::new();
        let started = Instant::now();
        while samples.len() < args.http_requests.min(1000) && started.elapsed() < Duration::from_secs(args.http_secs) {
            samples.push(call()?);
        }
        record_latencies(&mut m, &format!("stats.http.{who}"), &samples);
    }
    Ok(m)
}

/// The real router, served by axum on a tokio runtime in its own thread.
fn start_server(engine: Arc<Engine>) -> Res<SocketAddr> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.send(Err(e.to_string()));
                return;
            }
        };
        runtime.block_on(async move {
            let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
                Ok(l) => l,
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                    return;
                }
            };
            let _ = tx.send(listener.local_addr().map_err(|e| e.to_string()));
            // Accounts and sessions live in a scratch folder: the load is anonymous.
            let data = std::env::temp_dir().join(format!("zhihui-bench-data-{}", std::process::id()));
            let state = match zhihui::web::AppState::new(engine, &data, false) {
                Ok(state) => state,
                Err(e) => {
                    eprintln!("cannot open the app state: {e:#}");
                    return;
                }
            };
            let app = zhihui::web::router(state).into_make_service_with_connect_info::<SocketAddr>();
            let _ = axum::serve(listener, app).await;
        });
    });
    Ok(rx.recv()??)
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// `clients` threads, each with its own keep-alive connection, share a
/// bounded number of requests and a time cap.
fn http_load(m: &mut Metrics, addr: SocketAddr, urls: &[String], clients: usize, args: &Args) -> Res<()> {
    let base = format!("http://{addr}");
    let warm = agent();
    let mut largest = 0usize;
    for url in urls {
        let mut response = warm.get(format!("{base}{url}")).call()?;
        let body = response.body_mut().read_to_string()?;
        if response.status() != 200 {
            return Err(format!("{url}: {} {body}", response.status()).into());
        }
        largest = largest.max(body.len());
    }
    // What a default search answers: every facet with its values.
    let default = warm
        .get(format!("{base}/api/search?q="))
        .call()?
        .body_mut()
        .read_to_string()?;
    m.insert("http.default_kb".into(), default.len() as f64 / 1024.0);
    m.insert("http.largest_kb".into(), largest as f64 / 1024.0);
    let next = AtomicUsize::new(0);
    let errors = AtomicUsize::new(0);
    let limit = args.http_requests * clients.min(2);
    let deadline = Instant::now() + Duration::from_secs(args.http_secs);
    let started = Instant::now();
    let latencies: Vec<f64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|_| {
                let (next, errors, base) = (&next, &errors, &base);
                scope.spawn(move || {
                    let agent = agent();
                    let mut samples = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= limit || Instant::now() >= deadline {
                            break;
                        }
                        let t = Instant::now();
                        let ok = agent
                            .get(format!("{base}{}", urls[i % urls.len()]))
                            .call()
                            .ok()
                            .and_then(|mut r| {
                                let status = r.status();
                                r.body_mut()
                                    .read_to_string()
                                    .ok()
                                    .map(|b| status == 200 && b.starts_with('{'))
                            })
                            .unwrap_or(false);
                        if ok {
                            samples.push(ms(t.elapsed()));
                        } else {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    samples
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    });
    let wall = started.elapsed().as_secs_f64();
    let prefix = format!("http.c{clients}");
    record_latencies(m, &prefix, &latencies);
    m.insert(format!("{prefix}.rps"), latencies.len() as f64 / wall);
    m.insert(format!("{prefix}.errors"), errors.load(Ordering::Relaxed) as f64);
    m.insert(format!("{prefix}.secs"), wall);
    Ok(())
}

/// Where the time of indexing goes: each step of our pipeline, single
/// threaded, over the first records of the corpus.
fn phase_profile(args: &Args) -> Res<Metrics> {
    use tantivy::tokenizer::{TokenStream, Tokenizer};
    let mut m = Metrics::new();
    let content = args.content();
    let t = Instant::now();
    let scan = load::scan(&content)?;
    m.insert("profile.scan_ms".into(), ms(t.elapsed()));
    let t = Instant::now();
    let profiles = load::load_profiles(&content, &scan);
    m.insert("profile.profiles_ms".into(), ms(t.elapsed()));
    let known = profiles.known_ids(Some(scan.record_ids()));
    // Only queries use jieba now; loading it is a start-up cost (on its
    // own thread), measured here on this one.
    let t = Instant::now();
    let _jieba = {
        let mut j = jieba_rs::Jieba::new();
        for line in dictionary(&content).lines() {
            let word = line.split('#').next().unwrap_or("").split_whitespace().next();
            if let Some(w) = word {
                j.add_word(&normalize(w), None, None);
            }
        }
        j
    };
    m.insert("profile.analyzer_new_ms".into(), ms(t.elapsed()));
    let files: Vec<_> = scan
        .documents
        .iter()
        .filter(|d| d.section == zhihui::content::Section::Records)
        .take(PROFILE_SAMPLE)
        .collect();
    let mut steps: BTreeMap<&str, Duration> = BTreeMap::new();
    let mut add = |step: &'static str, d: Duration| *steps.entry(step).or_default() += d;
    let mut tokens = 0usize;
    let mut tokenizer = ZhTokenizer::new(SharedWords::new(Arc::new(whole_words(&content))));
    for file in &files {
        let path = content.join(&file.rel);
        let t = Instant::now();
        let _ = fs::metadata(&path)?;
        let text = fs::read_to_string(&path)?;
        add("1 stat + read file", t.elapsed());
        let t = Instant::now();
        let _ = blake3::hash(text.as_bytes());
        add("2 blake3 hash", t.elapsed());
        let t = Instant::now();
        let parsed = zhihui::content::parse_document(&file.id, &text, &known);
        add("3 parse front matter + validate", t.elapsed());
        let Ok((zhihui::content::Document::Record(record), _)) = parsed else {
            continue;
        };
        let t = Instant::now();
        let plain = zhihui::content::render::to_plain_text(&record.body);
        add("4 Markdown to plain text", t.elapsed());
        let t = Instant::now();
        let card = zhihui::search::Card::of(&record, None);
        let _ = serde_json::to_string(&card)?;
        add("5 card JSON", t.elapsed());
        let studio = profiles.studios.get(&record.studio);
        let mut texts: Vec<&str> = vec![&record.title, &record.summary, &plain];
        texts.extend(record.tags.iter().map(String::as_str));
        texts.extend(record.authors.iter().map(String::as_str));
        texts.extend(record.codes());
        if let Some(s) = studio {
            texts.extend([s.name.as_str(), s.leader.as_str(), s.unit.as_str()]);
        }
        let t = Instant::now();
        for text in &texts {
            let mut stream = tokenizer.token_stream(text);
            while stream.advance() {
                tokens += 1;
            }
        }
        add("6 analysis, all our fields (ZhTokenizer)", t.elapsed());
        let t = Instant::now();
        for text in [&record.title, &record.summary, &plain] {
            let _ = normalize(text);
        }
        add("6a   of which normalisation (fold + fast2s)", t.elapsed());
        let t = Instant::now();
        let _ = tokenizer.analyze(&record.summary);
        add("6c   of which the summary alone", t.elapsed());
        let t = Instant::now();
        let raw_body = text.split_once("\n---\n").map_or(text.as_str(), |(_, b)| b);
        for text in [record.title.as_str(), raw_body] {
            let mut stream = tokenizer.token_stream(text);
            while stream.advance() {}
        }
        add("7 analysis, bare engine fields (title + raw body)", t.elapsed());
    }
    let n = files.len().max(1) as f64;
    for (step, d) in steps {
        m.insert(format!("profile.step.{step}"), d.as_secs_f64() * 1e6 / n);
    }
    m.insert("profile.records".into(), files.len() as f64);
    m.insert("profile.tokens_per_record".into(), tokens as f64 / n);
    Ok(m)
}

// ---------------------------------------------------------------- parent

fn run_child(args: &Args, phase: Phase) -> Res<Metrics> {
    let exe = std::env::current_exe()?;
    let phase = phase.name();
    let output = Command::new(exe)
        .args(args.child_args())
        .args(["--phase", &phase])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!("phase {phase} failed ({})", output.status).into());
    }
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix(RESULT_PREFIX))
        .ok_or_else(|| format!("phase {phase} printed no result"))?;
    Ok(serde_json::from_str(line)?)
}

fn get_json(agent: &ureq::Agent, url: &str) -> Option<serde_json::Value> {
    let mut response = agent.get(url).call().ok()?;
    if response.status() != 200 {
        return None;
    }
    serde_json::from_str(&response.body_mut().read_to_string().ok()?).ok()
}

/// The real binary: process start → `/healthz` answers, one changed file
/// → found over HTTP (the watcher's path), and the server's peak RSS.
fn phase_e2e(args: &Args) -> Res<Metrics> {
    let mut m = Metrics::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let addr = format!("127.0.0.1:{port}");
    let base = format!("http://{addr}");
    let content = args.content();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_zhihui"))
        .arg("serve")
        .arg("--content")
        .arg(&content)
        .arg("--index")
        .arg(args.work().join("index"))
        .args(["--addr", &addr])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    let pid = child.id();
    let result = (|| -> Res<()> {
        loop {
            if get_json(&agent, &format!("{base}/healthz")).is_some() {
                break;
            }
            if started.elapsed() > Duration::from_secs(300) {
                return Err("zhihui serve did not answer /healthz".into());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        m.insert("e2e.start_ms".into(), ms(started.elapsed()));
        let path = first_public_record(&content).ok_or("no public record")?;
        let original = fs::read_to_string(&path)?;
        let mut samples = Vec::new();
        let total = |token: &str| {
            get_json(&agent, &format!("{base}/api/search?q={token}"))
                .and_then(|v| v["total"].as_u64())
                .unwrap_or(0)
        };
        for k in 0..E2E_SAMPLES {
            let token = format!("zhbenchlive{}x{k}", std::process::id());
            fs::write(&path, format!("{original}\n\n基准测试标记 {token}\n"))?;
            let t = Instant::now();
            while total(&token) == 0 {
                if t.elapsed() > Duration::from_secs(30) {
                    return Err(format!("{token} never became searchable").into());
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            samples.push(ms(t.elapsed()));
            fs::write(&path, &original)?;
            let t = Instant::now();
            while total(&token) != 0 && t.elapsed() < Duration::from_secs(30) {
                std::thread::sleep(Duration::from_millis(10));
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        m.insert("e2e.incremental_ms".into(), median(&mut samples));
        m.insert("e2e.rss".into(), peak_rss_mib(Some(pid)));
        Ok(())
    })();
    let _ = child.kill();
    let _ = child.wait();
    result.map(|()| m)
}

fn cpu_model() -> String {
    fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn command_output(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// The commit `src/` is at, marked when it has uncommitted changes.
fn src_commit() -> String {
    let commit = command_output("git", &["rev-parse", "--short", "HEAD"]);
    if command_output("git", &["status", "--porcelain", "src"]).is_empty() {
        commit
    } else {
        format!("{commit} (with uncommitted changes)")
    }
}

fn orchestrate(args: &Args) -> Res<()> {
    fs::create_dir_all(&args.data)?;
    let load_start = loadavg();
    let t = Instant::now();
    let (corpus, generated) = if args.lawref {
        eprintln!("corpus: lawrefbook from {}", args.tarball.display());
        generator::ensure_lawref(&args.data, &args.tarball)?
    } else {
        eprintln!("corpus: {} records, seed {}", args.records, args.seed);
        generator::ensure_corpus(&args.data, args.records, args.seed)?
    };
    eprintln!(
        "  {} in {:.1} s: {}",
        if generated { "generated" } else { "already there" },
        t.elapsed().as_secs_f64(),
        corpus.display()
    );
    if args.generate_only {
        return Ok(());
    }
    fs::create_dir_all(args.work())?;
    let mut runs: Vec<Metrics> = Vec::new();
    for run in 1..=args.runs {
        let mut m = Metrics::new();
        for phase in [Phase::Bare, Phase::Index, Phase::Serve, Phase::Stats] {
            eprintln!("run {run}/{}: {}", args.runs, phase.name());
            let t = Instant::now();
            m.extend(run_child(args, phase)?);
            eprintln!("  {} took {:.1} s", phase.name(), t.elapsed().as_secs_f64());
        }
        eprintln!("run {run}/{}: e2e (zhihui serve)", args.runs);
        m.extend(phase_e2e(args)?);
        if run == 1 {
            eprintln!("run {run}/{}: profile", args.runs);
            m.extend(run_child(args, Phase::Profile)?);
        }
        add_ratios(&mut m);
        runs.push(m);
    }
    let merged = medians(&runs);
    let mix = args.mix();
    let md = report(args, &merged, &mix, &load_start);
    println!("{md}");
    if !args.no_md {
        write_section(&args.md, &args.label(), &md)?;
        eprintln!("wrote the results for {} into {}", args.label(), args.md.display());
    }
    Ok(())
}

/// Ratios ours/bare, computed within each run.
fn add_ratios(m: &mut Metrics) {
    let pairs = [
        ("ratio.rebuild_rps", "ours.rebuild_rps", "bare.rebuild_rps"),
        ("ratio.rebuild_mbps", "ours.rebuild_mbps", "bare.rebuild_mbps"),
        ("ratio.rebuild_s", "ours.rebuild_s", "bare.rebuild_s"),
        ("ratio.index_mb", "ours.index_mb", "bare.index_mb"),
        ("ratio.rss_index", "ours.rss_index", "bare.rss_index"),
        ("ratio.staff.p50", "ours.staff.p50", "bare.staff.p50"),
        ("ratio.staff.p95", "ours.staff.p95", "bare.staff.p95"),
        ("ratio.staff.p99", "ours.staff.p99", "bare.staff.p99"),
        ("ratio.anon.p50", "ours.anon.p50", "bare.staff.p50"),
        ("ratio.anon.p95", "ours.anon.p95", "bare.staff.p95"),
        ("ratio.anon.p99", "ours.anon.p99", "bare.staff.p99"),
        ("ratio.http.c1.p50", "http.c1.p50", "bare.staff.p50"),
        ("ratio.http.c1.p99", "http.c1.p99", "bare.staff.p99"),
    ];
    let mut add = Vec::new();
    for (ratio, ours, bare) in pairs {
        if let (Some(a), Some(b)) = (m.get(ours), m.get(bare)) {
            add.push((ratio.to_string(), a / b));
        }
    }
    let keys: Vec<String> = m.keys().filter(|k| k.starts_with("ours.staff.cat.")).cloned().collect();
    for key in keys {
        let bare_key = key.replacen("ours.", "bare.", 1);
        if let (Some(a), Some(b)) = (m.get(&key), m.get(&bare_key)) {
            add.push((key.replacen("ours.", "ratio.", 1), a / b));
        }
    }
    m.extend(add);
}

fn medians(runs: &[Metrics]) -> Metrics {
    let mut keys: Vec<&String> = runs.iter().flat_map(|r| r.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|k| {
            let mut values: Vec<f64> = runs.iter().filter_map(|r| r.get(k).copied()).collect();
            (k.clone(), median(&mut values))
        })
        .collect()
}

fn fmt(v: Option<&f64>, unit: &str) -> String {
    let Some(&v) = v else { return "—".into() };
    if !v.is_finite() {
        return "—".into();
    }
    let number = match unit {
        "×" => format!("{v:.2}"),
        "rec/s" | "n" => format!("{v:.0}"),
        _ if v >= 100.0 => format!("{v:.0}"),
        _ if v >= 10.0 => format!("{v:.1}"),
        _ => format!("{v:.2}"),
    };
    match unit {
        "" | "n" => number,
        "×" => format!("{number}×"),
        u => format!("{number} {u}"),
    }
}

fn report(args: &Args, m: &Metrics, mix: &[QuerySpec], load_start: &str) -> String {
    let g = |k: &str| m.get(k);
    let mut out = String::new();
    let corpus = if args.lawref {
        "lawrefbook (real corpus)".to_string()
    } else {
        format!("{} generated records, seed {}", args.records, args.seed)
    };
    let command = if args.lawref {
        "cargo bench --bench scale -- --lawref".to_string()
    } else {
        format!(
            "cargo bench --bench scale -- --records {} --seed {} --runs {}",
            args.records, args.seed, args.runs
        )
    };
    let _ = writeln!(out, "### {corpus}\n");
    let _ = writeln!(
        out,
        "`{command}` — {} run(s), medians; ratios are ours/bare within each run, then the median. \
         `src/` at commit {}, {}; {} cores, {}; load average {} at start, {} at end (the machine is shared).\n",
        args.runs,
        src_commit(),
        command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model(),
        load_start,
        loadavg(),
    );
    let _ = writeln!(
        out,
        "Corpus: {} record files, {} MiB; {} indexed by us, {} skipped with errors, {} warnings.\n",
        fmt(g("corpus.records"), "n"),
        fmt(g("corpus.mb"), ""),
        fmt(g("ours.indexed"), "n"),
        fmt(g("ours.skipped"), "n"),
        fmt(g("ours.warnings"), "n"),
    );
    let _ = writeln!(out, "| figure | ours | bare engine | ours/bare | target |");
    let _ = writeln!(out, "|---|---:|---:|---:|---|");
    let mut row = |label: &str, ours: &str, bare: &str, ratio: &str, unit: &str, target: &str| {
        let r = if ratio.is_empty() {
            "".to_string()
        } else {
            fmt(g(ratio), "×")
        };
        let b = if bare.is_empty() {
            "".to_string()
        } else {
            fmt(g(bare), unit)
        };
        let _ = writeln!(out, "| {label} | {} | {b} | {r} | {target} |", fmt(g(ours), unit));
    };
    row(
        "full rebuild, time",
        "ours.rebuild_s",
        "bare.rebuild_s",
        "ratio.rebuild_s",
        "s",
        "1M: ≤ 240 s",
    );
    row(
        "full rebuild, records/s",
        "ours.rebuild_rps",
        "bare.rebuild_rps",
        "ratio.rebuild_rps",
        "rec/s",
        "≥ 0.8× bare",
    );
    row(
        "full rebuild, MB/s of Markdown",
        "ours.rebuild_mbps",
        "bare.rebuild_mbps",
        "ratio.rebuild_mbps",
        "MiB/s",
        "",
    );
    row(
        "background merges settled after",
        "ours.settle_s",
        "bare.settle_s",
        "",
        "s",
        "",
    );
    row(
        "index size",
        "ours.index_mb",
        "bare.index_mb",
        "ratio.index_mb",
        "MiB",
        "",
    );
    row("of which manifest.json", "ours.manifest_mb", "", "", "MiB", "");
    row(
        "peak RSS while indexing",
        "ours.rss_index",
        "bare.rss_index",
        "ratio.rss_index",
        "MiB",
        "1M: ≤ 1536 MiB",
    );
    row(
        "start-up: Engine::open on existing index",
        "ours.open_ms",
        "",
        "",
        "ms",
        "",
    );
    row(
        "start-up: sync, nothing changed",
        "ours.startup_sync_ms",
        "",
        "",
        "ms",
        "",
    );
    row("start-up: first query", "ours.first_query_ms", "", "", "ms", "");
    row(
        "start-up total (open + sync + first query)",
        "ours.startup_ms",
        "",
        "",
        "ms",
        "100k: ≤ 1000 ms",
    );
    row(
        "start-up of `zhihui serve` until /healthz answers",
        "e2e.start_ms",
        "",
        "",
        "ms",
        "100k: ≤ 1000 ms",
    );
    row(
        "sync with nothing changed, same process",
        "ours.noop_sync_hot_ms",
        "",
        "",
        "ms",
        "",
    );
    row(
        "one file changed → searchable (sync + search)",
        "ours.incremental_ms",
        "",
        "",
        "ms",
        "100k: ≤ 1000 ms",
    );
    row("  of which sync", "ours.incremental_sync_ms", "", "", "ms", "");
    row(
        "one file changed → found over HTTP by `zhihui serve`",
        "e2e.incremental_ms",
        "",
        "",
        "ms",
        "100k: ≤ 1000 ms",
    );
    row(
        "in-process query p50 (staff)",
        "ours.staff.p50",
        "bare.staff.p50",
        "ratio.staff.p50",
        "ms",
        "",
    );
    row(
        "in-process query p95 (staff)",
        "ours.staff.p95",
        "bare.staff.p95",
        "ratio.staff.p95",
        "ms",
        "",
    );
    row(
        "in-process query p99 (staff)",
        "ours.staff.p99",
        "bare.staff.p99",
        "ratio.staff.p99",
        "ms",
        "1M: ≤ 50 ms",
    );
    row(
        "in-process query p50 (anonymous)",
        "ours.anon.p50",
        "bare.staff.p50",
        "ratio.anon.p50",
        "ms",
        "",
    );
    row(
        "in-process query p95 (anonymous)",
        "ours.anon.p95",
        "bare.staff.p95",
        "ratio.anon.p95",
        "ms",
        "",
    );
    row(
        "in-process query p99 (anonymous)",
        "ours.anon.p99",
        "bare.staff.p99",
        "ratio.anon.p99",
        "ms",
        "",
    );
    row(
        "HTTP /api/search, 1 client, p50",
        "http.c1.p50",
        "bare.staff.p50",
        "ratio.http.c1.p50",
        "ms",
        "100k: ≤ 1.2 ms",
    );
    row("HTTP /api/search, 1 client, p95", "http.c1.p95", "", "", "ms", "");
    row(
        "HTTP /api/search, 1 client, p99",
        "http.c1.p99",
        "bare.staff.p99",
        "ratio.http.c1.p99",
        "ms",
        "100k: ≤ 4 ms",
    );
    row(
        "HTTP /api/search, 1 client, throughput",
        "http.c1.rps",
        "",
        "",
        "req/s",
        "",
    );
    row(
        "HTTP default search (`q=`) response size",
        "http.default_kb",
        "",
        "",
        "KB",
        "≤ 32 KB",
    );
    row("HTTP largest response of the mix", "http.largest_kb", "", "", "KB", "");
    row("HTTP /api/search, 4 clients, p50", "http.c4.p50", "", "", "ms", "");
    row("HTTP /api/search, 4 clients, p95", "http.c4.p95", "", "", "ms", "");
    row("HTTP /api/search, 4 clients, p99", "http.c4.p99", "", "", "ms", "");
    row(
        "HTTP /api/search, 4 clients, throughput",
        "http.c4.rps",
        "",
        "",
        "req/s",
        "",
    );
    row(
        "peak RSS while serving (bench process, in-process + HTTP)",
        "ours.rss_serve",
        "",
        "",
        "MiB",
        "1M: ≤ 1536 MiB",
    );
    row(
        "peak RSS of `zhihui serve` (start-up + watcher updates)",
        "e2e.rss",
        "",
        "",
        "MiB",
        "",
    );
    let _ = writeln!(
        out,
        "\n`{STATS_URL}` (statistics of every matching record, by alliance and kind; \
         staff count all {} records in {} groups): first answer after start {} ms (decodes each \
         segment's statistics); in-process p50 {} / p99 {} ms; over HTTP, 1 client, \
         staff p50 {} / p99 {} ms ({} requests), anonymous p50 {} / p99 {} ms. Target at 100k: ≤ 20 ms p50.",
        fmt(g("stats.records"), "n"),
        fmt(g("stats.groups"), "n"),
        fmt(g("stats.first_ms"), ""),
        fmt(g("stats.inproc.p50"), ""),
        fmt(g("stats.inproc.p99"), ""),
        fmt(g("stats.http.staff.p50"), ""),
        fmt(g("stats.http.staff.p99"), ""),
        fmt(g("stats.http.staff.n"), "n"),
        fmt(g("stats.http.anon.p50"), ""),
        fmt(g("stats.http.anon.p99"), ""),
    );
    let _ = writeln!(
        out,
        "\nHTTP: {} requests at 1 client, {} at 4 clients, errors {} / {}.",
        fmt(g("http.c1.n"), "n"),
        fmt(g("http.c4.n"), "n"),
        fmt(g("http.c1.errors"), "n"),
        fmt(g("http.c4.errors"), "n"),
    );

    let _ = writeln!(out, "\nIn-process latency by kind of query (staff; ms):\n");
    let _ = writeln!(
        out,
        "| queries | ours p50 | ours p95 | bare p50 | bare p95 | ours/bare p50 |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
    for c in queries::CATEGORIES {
        let k = |who: &str, p: &str| format!("{who}.staff.cat.{c}.{p}");
        if g(&k("ours", "p50")).is_none() {
            continue;
        }
        let _ = writeln!(
            out,
            "| {c} | {} | {} | {} | {} | {} |",
            fmt(g(&k("ours", "p50")), ""),
            fmt(g(&k("ours", "p95")), ""),
            fmt(g(&k("bare", "p50")), ""),
            fmt(g(&k("bare", "p95")), ""),
            fmt(g(&format!("ratio.staff.cat.{c}.p50")), "×"),
        );
    }

    let _ = writeln!(
        out,
        "\nEvery query of the mix (median ms in-process, staff; hits for staff / anonymous / bare):\n"
    );
    let _ = writeln!(
        out,
        "| query | kind | ours | bare | hits ours | hits anon | hits bare |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|");
    for spec in mix {
        let l = spec.label();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {} |",
            l.replace('|', "\\|"),
            spec.category,
            fmt(g(&format!("ours.staff.query.{l}")), ""),
            fmt(g(&format!("bare.staff.query.{l}")), ""),
            fmt(g(&format!("ours.staff.hits.{l}")), "n"),
            fmt(g(&format!("ours.anon.hits.{l}")), "n"),
            fmt(g(&format!("bare.staff.hits.{l}")), "n"),
        );
    }

    let steps: Vec<(&String, &f64)> = m.iter().filter(|(k, _)| k.starts_with("profile.step.")).collect();
    if !steps.is_empty() {
        let _ = writeln!(
            out,
            "\nWhere indexing time goes (run 1, single thread, first {} records, {} tokens per record; \
             scan of the whole folder {} ms, profiles {} ms, jieba dictionary load for queries {} ms):\n",
            fmt(g("profile.records"), "n"),
            fmt(g("profile.tokens_per_record"), "n"),
            fmt(g("profile.scan_ms"), ""),
            fmt(g("profile.profiles_ms"), ""),
            fmt(g("profile.analyzer_new_ms"), ""),
        );
        let _ = writeln!(out, "| step | µs per record |");
        let _ = writeln!(out, "|---|---:|");
        for (k, v) in steps {
            let _ = writeln!(
                out,
                "| {} | {} |",
                k.trim_start_matches("profile.step."),
                fmt(Some(v), "")
            );
        }
    }
    out
}

/// Where a section for a new corpus goes in BENCHMARKS.md (else at the end).
const NEW_RESULTS_MARKER: &str = "<!-- scale:new-results-here -->";

/// Replaces the section of this corpus in BENCHMARKS.md, or adds it.
fn write_section(path: &Path, label: &str, md: &str) -> Res<()> {
    let begin = format!("<!-- scale:{label}:begin -->");
    let end = format!("<!-- scale:{label}:end -->");
    let block = format!("{begin}\n{md}{end}\n");
    let existing = fs::read_to_string(path).unwrap_or_else(|_| "# Benchmarks\n\n".to_string());
    let updated = match (existing.find(&begin), existing.find(&end)) {
        (Some(a), Some(b)) if b > a => {
            let rest = existing[b + end.len()..].trim_start_matches('\n');
            format!("{}{block}\n{rest}", &existing[..a])
        }
        _ => match existing.find(NEW_RESULTS_MARKER) {
            Some(at) => format!("{}{block}\n{}", &existing[..at], &existing[at..]),
            None => format!("{}\n\n{block}", existing.trim_end()),
        },
    };
    let mut file = fs::File::create(path)?;
    file.write_all(updated.as_bytes())?;
    Ok(())
}
