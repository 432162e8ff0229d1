//! Publish-to-searchable latency: how long from starting a write until a
//! search finds it, through the same `Publisher` the HTTP routes use, over
//! a copy of the bundled demo content. Run: `cargo bench --bench publish
//! [-- --writes 200]`; `-- --help` lists the options.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use zhihui::auth::{Role, Viewer};
use zhihui::publish::Publisher;
use zhihui::search::{Engine, SearchRequest};

/// Publish-to-searchable latency of staff and publisher writes.
#[derive(Parser)]
#[command(name = "publish", bin_name = "cargo bench --bench publish --", about, long_about = None)]
struct Args {
    /// Writes timed per kind of writer.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..))]
    writes: u64,
    /// `cargo bench` passes `--bench` to every bench binary; accepted and
    /// ignored (hence never read).
    #[arg(long = "bench", hide = true)]
    _bench: bool,
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn main() {
    let writes = Args::parse().writes as usize;
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("content"),
        &dir.path().join("content"),
    );
    let engine = Arc::new(Engine::open(&dir.path().join("content"), &dir.path().join("index")).unwrap());
    engine.sync(true, &|_, _| {}).unwrap();
    let publisher = Publisher::new(engine.clone(), &dir.path().join("data"));
    let staff = Viewer::staff("bench");
    let studio_publisher = Viewer {
        name: Some("p".into()),
        role: Role::Publisher {
            studio: "tunnel-zhang".into(),
        },
    };
    for (label, viewer) in [
        ("staff (publishes at once)", &staff),
        ("publisher (pending review)", &studio_publisher),
    ] {
        let mut latencies = Vec::with_capacity(writes);
        for i in 0..writes {
            let word = format!("基准词{i}x{}", label.len());
            let text = format!(
                "---\ntitle: 基准记录 {i}\nkind: achievement\ncategory: tech\nstudio: tunnel-zhang\ndate: 2025-01-01\nvisibility: public\n---\n\n{word} 盾构管片。\n"
            );
            let request = SearchRequest {
                q: word.clone(),
                ..SearchRequest::default()
            };
            let started = Instant::now();
            publisher
                .put(viewer, &format!("tunnel-zhang/bench-{}-{i}", label.len()), &text, None)
                .unwrap();
            let found = engine.search(&request, viewer).unwrap().total;
            latencies.push(started.elapsed());
            assert_eq!(found, 1, "write {i} not searchable right after it was acknowledged");
        }
        latencies.sort();
        println!(
            "| {label} | {writes} | {:.1} | {:.1} | {:.1} | {:.1} |",
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.95),
            percentile(&latencies, 0.99),
            latencies.last().unwrap().as_secs_f64() * 1000.0
        );
    }
}
