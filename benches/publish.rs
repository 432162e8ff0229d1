//! Publish-to-searchable latency: how long from starting a write until a
//! search finds it, through the same `Publisher` the HTTP routes use, over
//! a copy of the bundled demo content. Run: `cargo bench --bench publish`.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use zhihui::auth::{Role, Viewer};
use zhihui::publish::Publisher;
use zhihui::search::{Engine, SearchRequest};

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
    let writes: usize = std::env::args()
        .skip_while(|a| a != "--writes")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
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
