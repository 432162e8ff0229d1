//! The index folder on disk: whether what is there can be used, clearing
//! it for a rebuild, and the cheap check, made before a write and by
//! `/healthz`, that the files a running server reads are still there.
//!
//! Tantivy opens a damaged index without complaint and fails only when
//! the damaged part is read (a search, a merge, the next commit), so an
//! index is trusted at start only once every file of every segment has
//! been read whole and matched its checksum. The folder is derived data,
//! but only the files this program writes are ever removed from it: a
//! mistyped `--index` must not cost anyone their files.

use std::fs;
use std::path::{Path, PathBuf};

use tantivy::directory::{DirectoryLock, INDEX_WRITER_LOCK, MmapDirectory};
use tantivy::{Directory, Index, Searcher};

use super::SearchError;

/// Tantivy's list of segments; its absence or damage is an unusable index.
pub const META_FILE: &str = "meta.json";
/// The schema version the index was built with (`schema::SCHEMA_VERSION`).
pub const VERSION_FILE: &str = "zhihui-version";
pub const MANIFEST_FILE: &str = "manifest.json";
pub const JOURNAL_FILE: &str = "manifest.log";

/// The components every segment has, each one file `<uuid>.<ext>`.
const COMPONENTS: [&str; 6] = ["idx", "pos", "term", "store", "fast", "fieldnorm"];

/// A segment's files: its components, and its delete bitset if it has one.
fn segment_files(uuid: String, delete_opstamp: Option<u64>) -> impl Iterator<Item = String> {
    let delete = delete_opstamp.map(|opstamp| format!("{uuid}.{opstamp}.del"));
    COMPONENTS.iter().map(move |ext| format!("{uuid}.{ext}")).chain(delete)
}

/// Holds the index's writer lock while what is on disk is checked or
/// cleared, so that an index another process is using (a running `serve`
/// under a `zhihui index`) is never judged or removed: that is an error,
/// not damage. `None` when the folder does not exist.
pub fn lock(dir: &Path) -> Result<Option<DirectoryLock>, SearchError> {
    if !dir.is_dir() {
        return Ok(None);
    }
    let directory = MmapDirectory::open(dir).map_err(|e| SearchError::Internal(format!("无法打开索引目录：{e}")))?;
    match directory.acquire_lock(&INDEX_WRITER_LOCK) {
        Ok(lock) => Ok(Some(lock)),
        Err(tantivy::directory::error::LockError::LockBusy) => Err(SearchError::Busy(dir.to_path_buf())),
        Err(e) => Err(SearchError::Internal(format!(
            "无法锁定索引目录 {}：{e}",
            dir.display()
        ))),
    }
}

/// The files of the committed segments (`meta.json` as it is on disk).
fn committed_files(index: &Index) -> tantivy::Result<Vec<PathBuf>> {
    let metas = index.load_metas()?;
    Ok(metas
        .segments
        .iter()
        .flat_map(|segment| segment_files(segment.id().uuid_string(), segment.delete_opstamp()))
        .map(PathBuf::from)
        .collect())
}

/// Why the opened index cannot be trusted, if it cannot: a segment file
/// missing, cut short, or whose bytes do not match its checksum. Every
/// file is read whole, on all cores.
pub fn damage(index: &Index) -> Option<String> {
    let files = match committed_files(index) {
        Ok(files) => files,
        Err(e) => return Some(e.to_string()),
    };
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let directory = index.directory();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let path = files.get(i)?;
                        match directory.validate_checksum(path) {
                            Ok(true) => {}
                            Ok(false) => return Some(format!("{} 的校验和与内容不符", path.display())),
                            Err(e) => return Some(e.to_string()),
                        }
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().unwrap_or_else(|_| Some("校验线程出错".into())))
            .next()
    })
}

/// Whether `name` is a file this program or tantivy writes in the index
/// folder (lock files excepted: another process's lock stays).
fn is_index_file(name: &str) -> bool {
    const OURS: [&str; 5] = [META_FILE, ".managed.json", VERSION_FILE, MANIFEST_FILE, JOURNAL_FILE];
    let segment_file =
        name.len() > 33 && name.as_bytes()[32] == b'.' && name.as_bytes()[..32].iter().all(u8::is_ascii_hexdigit);
    // Temporary files: tantivy's atomic writes (`.tmpXXXX`) and ours
    // (`.manifest.json.<pid>.tmp`).
    let temporary = name.starts_with(".tmp") || (name.starts_with('.') && name.ends_with(".tmp"));
    OURS.contains(&name) || segment_file || temporary
}

/// Removes the index's files from `dir` before a rebuild; anything else
/// found there is left where it is.
pub fn clear(dir: &Path) -> Result<(), SearchError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(SearchError::io(dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| SearchError::io(dir, e))?;
        let name = entry.file_name();
        let is_file = entry.file_type().is_ok_and(|t| !t.is_dir());
        if is_file && name.to_str().is_some_and(is_index_file) {
            fs::remove_file(entry.path()).map_err(|e| SearchError::io(&entry.path(), e))?;
        }
    }
    Ok(())
}

/// The files a searcher reads, with their sizes when it was opened: they
/// never change while it uses them (tantivy writes new segments and
/// removes old ones only once no searcher holds them).
pub fn searched_files(dir: &Path, searcher: &Searcher) -> Vec<(PathBuf, u64)> {
    searcher
        .segment_readers()
        .iter()
        .flat_map(|segment| segment_files(segment.segment_id().uuid_string(), segment.delete_opstamp()))
        .map(|name| {
            let path = dir.join(name);
            let size = fs::metadata(&path).map_or(0, |m| m.len());
            (path, size)
        })
        .collect()
}

fn file_name(path: &Path) -> std::borrow::Cow<'_, str> {
    path.file_name().unwrap_or(path.as_os_str()).to_string_lossy()
}

/// Why a write could not be committed to the index in `dir` now, if it
/// could not: the folder, its `meta.json` or version gone or garbled, or
/// a file the searcher reads gone or of another size than when opened.
/// A few `stat`s and one small read. Said without server paths: it is
/// shown to people, and the caller logs the folder.
pub fn problem(dir: &Path, version: &str, searched: &[(PathBuf, u64)]) -> Option<String> {
    // A merge may commit between reading meta.json and looking at the
    // files, and remove files the older meta.json still named: a file
    // missing while meta.json changed is looked at again against the new
    // one, not taken for damage (which would rebuild the whole index).
    let mut found = None;
    for _ in 0..3 {
        let before = fs::read(dir.join(META_FILE)).ok();
        found = problem_against(dir, version, searched, before.as_deref());
        if found.is_none() || fs::read(dir.join(META_FILE)).ok() == before {
            break;
        }
    }
    found
}

/// `problem`, with `meta` the bytes of meta.json read once.
fn problem_against(dir: &Path, version: &str, searched: &[(PathBuf, u64)], meta: Option<&[u8]>) -> Option<String> {
    if !dir.is_dir() {
        return Some("索引目录已不存在".into());
    }
    let meta = meta.and_then(|bytes| serde_json::from_slice::<serde_json::Value>(bytes).ok());
    let Some(segments) = meta.as_ref().and_then(|m| m.get("segments")).and_then(|s| s.as_array()) else {
        return Some(format!("索引的 {META_FILE} 缺失或已损坏"));
    };
    // Files the committed index still needs. A background merge, or newer
    // deletes, replace files the searcher opened earlier (still mapped, so
    // searches go on): those may be gone without any damage.
    let mut live_segments = std::collections::HashSet::new();
    let mut live_deletes = std::collections::HashSet::new();
    for segment in segments {
        let Some(id) = segment.get("segment_id").and_then(|v| v.as_str()) else {
            return Some(format!("索引的 {META_FILE} 缺失或已损坏"));
        };
        let id = id.replace('-', "");
        if let Some(opstamp) = segment
            .get("deletes")
            .and_then(|d| d.get("opstamp"))
            .and_then(|o| o.as_u64())
        {
            live_deletes.insert(format!("{id}.{opstamp}.del"));
        }
        live_segments.insert(id);
    }
    let still_needed = |path: &Path| {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.ends_with(".del") {
            live_deletes.contains(name)
        } else {
            live_segments.contains(name.split('.').next().unwrap_or_default())
        }
    };
    let on_disk = fs::read_to_string(dir.join(VERSION_FILE)).unwrap_or_default();
    if on_disk.trim() != version {
        return Some(format!("索引的 {VERSION_FILE} 缺失或已损坏"));
    }
    for (path, size) in searched.iter().filter(|(path, _)| still_needed(path)) {
        match fs::metadata(path) {
            Ok(meta) if meta.len() == *size => {}
            Ok(_) => return Some(format!("索引文件 {} 已被改动", file_name(path))),
            Err(_) => return Some(format!("索引文件 {} 已不存在", file_name(path))),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_a_merge_replaced_are_not_damage() {
        let dir = tempfile::tempdir().unwrap();
        let live = "490d23aad21547a089b16d4dc674826e";
        let meta = r#"{"segments":[{"segment_id":"490d23aa-d215-47a0-89b1-6d4dc674826e","max_doc":3,"deletes":{"num_deleted_docs":1,"opstamp":7}}]}"#;
        fs::write(dir.path().join(META_FILE), meta).unwrap();
        fs::write(dir.path().join(VERSION_FILE), "v").unwrap();
        let file = |name: &str| (dir.path().join(name), 10);
        // Merged away, or deletes superseded by newer ones: gone, and fine.
        let merged = [
            file("ff1db684fa7f4abbab65870b1064636f.idx"),
            file(&format!("{live}.3.del")),
        ];
        assert_eq!(problem(dir.path(), "v", &merged), None);
        // Still in the committed index: gone is damage.
        for missing in [format!("{live}.idx"), format!("{live}.7.del")] {
            assert!(problem(dir.path(), "v", &[file(&missing)]).is_some(), "{missing}");
        }
        fs::write(dir.path().join(format!("{live}.idx")), [0u8; 10]).unwrap();
        assert_eq!(problem(dir.path(), "v", &[file(&format!("{live}.idx"))]), None);
        fs::write(dir.path().join(format!("{live}.idx")), [0u8; 4]).unwrap();
        assert!(
            problem(dir.path(), "v", &[file(&format!("{live}.idx"))]).is_some(),
            "cut short"
        );
    }

    #[test]
    fn only_index_files_are_cleared() {
        for name in [
            "meta.json",
            ".managed.json",
            "manifest.json",
            "manifest.log",
            "zhihui-version",
            "0123456789abcdef0123456789abcdef.idx",
            "0123456789abcdef0123456789abcdef.12.del",
            ".tmpAbC123",
            ".manifest.json.4242.tmp",
        ] {
            assert!(is_index_file(name), "{name}");
        }
        for name in [
            ".tantivy-writer.lock",
            ".tantivy-meta.lock",
            "notes.md",
            "0123456789abcdef0123456789abcdeg.idx",
            "0123456789abcdef.idx",
            "dictionary.txt",
        ] {
            assert!(!is_index_file(name), "{name}");
        }
    }

    #[test]
    fn clear_keeps_other_files_and_folders() {
        let dir = tempfile::tempdir().unwrap();
        let keep = dir.path().join("notes.md");
        fs::write(&keep, "mine").unwrap();
        fs::create_dir(dir.path().join("meta.json.d")).unwrap();
        fs::write(dir.path().join("meta.json"), "{").unwrap();
        fs::write(dir.path().join("manifest.log"), "x").unwrap();
        clear(dir.path()).unwrap();
        assert!(keep.is_file());
        assert!(dir.path().join("meta.json.d").is_dir());
        assert!(!dir.path().join("meta.json").exists());
        assert!(!dir.path().join("manifest.log").exists());
        clear(&dir.path().join("missing")).unwrap();
    }
}
