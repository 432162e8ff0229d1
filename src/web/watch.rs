//! Watches `content/` and applies edits (editor saves, `git pull`) to the
//! index shortly after they happen, batching bursts of events.

use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

use crate::search::Engine;

/// How long to wait for more events before syncing: a `git pull` or an
/// editor's save-by-rename comes as several events.
const SETTLE: Duration = Duration::from_millis(150);

/// Starts watching; the returned watcher must be kept alive.
pub fn spawn(engine: Arc<Engine>) -> anyhow::Result<notify::RecommendedWatcher> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let root = engine.content_root().canonicalize()?;
    let watched = root.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && !event.kind.is_access()
            && event.paths.iter().any(|p| !is_ignored(&root, p))
        {
            let _ = tx.send(());
        }
    })?;
    watcher.watch(&watched, RecursiveMode::Recursive)?;
    tokio::spawn(async move {
        while rx.recv().await.is_some() {
            tokio::time::sleep(SETTLE).await;
            while rx.try_recv().is_ok() {}
            let engine = engine.clone();
            let result = tokio::task::spawn_blocking(move || engine.sync(false, &|_, _| {})).await;
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
fn is_ignored(root: &std::path::Path, path: &std::path::Path) -> bool {
    let path = path.strip_prefix(root).unwrap_or(path);
    path.components()
        .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
        || path.extension().is_some_and(|e| e == "tmp" || e == "swp")
}
