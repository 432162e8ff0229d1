//! Watches `content/` and applies edits (editor saves, `git pull`) to the
//! index shortly after they happen, batching bursts of events.
//!
//! Edits to record files are applied by path, without walking the folder
//! (at 100k records a walk takes seconds), and so are edits to exhibits
//! (in no index: only re-read); anything else — other profiles, the
//! dictionary, folders, attachments, an overflowing event queue, a large
//! batch — syncs the whole folder.
//!
//! Not HTTP: `web::serve` starts it before serving, and nothing here knows
//! of routes or requests.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

use crate::content::Section;
use crate::content::load;
use crate::search::Engine;

/// More changed records than this in one batch: walk the folder instead.
const MOST_PATHS: usize = 256;

/// What one event asks to bring up to date.
enum Change {
    Record(String),
    /// An exhibit's id (`content/exhibits/<id>.md`).
    Exhibit(String),
    Everything,
}

/// The record file (relative path) an event path is, if it is one: a
/// Markdown attachment inside a page bundle is not.
fn record_rel(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?.to_str()?.replace('\\', "/");
    let id = load::id_for(&rel).ok()?;
    (Section::of_id(&id) == Section::Records && load::is_record_file(root, &rel)).then_some(rel)
}

/// The exhibit an event path is, if it is one.
fn exhibit_id(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?.to_str()?.replace('\\', "/");
    let id = load::id_for(&rel).ok()?;
    (Section::of_id(&id) == Section::Exhibits).then(|| Section::local_id(&id).to_string())
}

/// How long to wait for more events before syncing: a `git pull` or an
/// editor's save-by-rename comes as several events.
const SETTLE: Duration = Duration::from_millis(150);

/// Starts watching; the returned watcher must be kept alive.
pub fn spawn(engine: Arc<Engine>) -> anyhow::Result<notify::RecommendedWatcher> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Change>();
    let root = engine.content_root().canonicalize()?;
    let watched = root.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else {
            let _ = tx.send(Change::Everything);
            return;
        };
        if event.kind.is_access() {
            return;
        }
        if event.need_rescan() {
            let _ = tx.send(Change::Everything);
            return;
        }
        for path in event.paths.iter().filter(|p| !is_ignored(&root, p)) {
            let change = match (record_rel(&root, path), exhibit_id(&root, path)) {
                (Some(rel), _) => Change::Record(rel),
                (None, Some(id)) => Change::Exhibit(id),
                (None, None) => Change::Everything,
            };
            let _ = tx.send(change);
        }
    })?;
    watcher.watch(&watched, RecursiveMode::Recursive)?;
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            tokio::time::sleep(SETTLE).await;
            let mut records = BTreeSet::new();
            let mut exhibits = BTreeSet::new();
            let mut everything = false;
            for change in std::iter::once(first).chain(std::iter::from_fn(|| rx.try_recv().ok())) {
                match change {
                    Change::Record(rel) => {
                        records.insert(rel);
                    }
                    Change::Exhibit(id) => {
                        exhibits.insert(id);
                    }
                    Change::Everything => everything = true,
                }
            }
            let engine = engine.clone();
            let result = tokio::task::spawn_blocking(move || {
                if everything || records.len() > MOST_PATHS {
                    engine.sync(false, &|_, _| {})
                } else {
                    for id in &exhibits {
                        engine.reload_exhibit(id);
                    }
                    engine.sync_paths(&records.into_iter().collect::<Vec<_>>(), false)
                }
            })
            .await;
            match result {
                Ok(Ok(report)) if report.indexed + report.removed > 0 => {
                    for problem in report.problems.iter().filter(|p| p.problem.is_error()) {
                        tracing::warn!("{problem}");
                    }
                    tracing::info!(
                        indexed = report.indexed,
                        removed = report.removed,
                        ms = report.elapsed.as_millis() as u64,
                        "content change applied"
                    );
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!("could not apply content change: {e}"),
                Err(e) => tracing::error!("index task failed: {e}"),
            }
        }
    });
    Ok(watcher)
}

/// Hidden files and folders (`.git`, editor swap files, our temp files).
fn is_ignored(root: &Path, path: &Path) -> bool {
    let path = path.strip_prefix(root).unwrap_or(path);
    path.components()
        .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
        || path.extension().is_some_and(|e| e == "tmp" || e == "swp")
}
