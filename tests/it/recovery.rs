//! A damaged or vanished index: rebuilt from the files by `index`,
//! `index --rebuild` and `serve` alike, whatever the damage; reported by
//! `/healthz` and rebuilt in place when it happens under a running server.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::{TestApp, fixture, run};

/// A folder with the basic fixture's content and an index built by
/// `zhihui index`, and how many record files that indexed.
fn indexed() -> (tempfile::TempDir, usize) {
    let dir = crate::support::fixture_copy("basic");
    let out = run(&["index"], dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}");
    (dir, indexed_count(&stdout).unwrap_or_else(|| panic!("{stdout}")))
}

/// `N` of "索引 N 个文件" in `zhihui index`'s report.
fn indexed_count(stdout: &str) -> Option<usize> {
    let after = stdout.split("索引 ").nth(1)?;
    after.split(' ').next()?.parse().ok()
}

/// The index's files with this extension, largest first.
fn files_with(index: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(index)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort_by_key(|p| std::cmp::Reverse(fs::metadata(p).unwrap().len()));
    assert!(!files.is_empty(), "no .{ext} file in {}", index.display());
    files
}

fn largest(index: &Path, ext: &str) -> PathBuf {
    files_with(index, ext).remove(0)
}

fn truncate(path: &Path, keep: f64) {
    let bytes = fs::read(path).unwrap();
    let len = (bytes.len() as f64 * keep) as usize;
    fs::write(path, &bytes[..len]).unwrap();
}

/// Flips bytes in the middle of a file, keeping its length: only a
/// checksum tells.
fn garble_middle(path: &Path) {
    let mut bytes = fs::read(path).unwrap();
    let middle = bytes.len() / 2;
    let end = (middle + 64).min(bytes.len() - 1);
    for b in &mut bytes[middle..end] {
        *b ^= 0x5a;
    }
    fs::write(path, bytes).unwrap();
}

type Damage = (&'static str, fn(&Path));

/// Every kind of damage after which the index must be rebuilt.
const DAMAGES: &[Damage] = &[
    ("truncated store", |i| truncate(&largest(i, "store"), 0.5)),
    ("truncated postings", |i| truncate(&largest(i, "idx"), 0.9)),
    ("zero-length terms", |i| truncate(&largest(i, "term"), 0.0)),
    ("missing positions", |i| fs::remove_file(largest(i, "pos")).unwrap()),
    ("missing fast fields", |i| fs::remove_file(largest(i, "fast")).unwrap()),
    ("garbled store", |i| garble_middle(&largest(i, "store"))),
    ("garbled positions", |i| garble_middle(&largest(i, "pos"))),
    ("garbled fieldnorms", |i| garble_middle(&largest(i, "fieldnorm"))),
    ("truncated meta.json", |i| truncate(&i.join("meta.json"), 0.5)),
    ("garbage meta.json", |i| {
        fs::write(i.join("meta.json"), b"\x00\xff garbage \x01").unwrap()
    }),
    ("zero-length meta.json", |i| truncate(&i.join("meta.json"), 0.0)),
    ("missing meta.json", |i| fs::remove_file(i.join("meta.json")).unwrap()),
    ("garbage .managed.json", |i| {
        fs::write(i.join(".managed.json"), "{[").unwrap()
    }),
    ("garbage manifest.json", |i| {
        fs::write(i.join("manifest.json"), "{\"files\": [garbage").unwrap()
    }),
    ("zero-length manifest.json", |i| truncate(&i.join("manifest.json"), 0.0)),
    ("missing manifest.json", |i| {
        fs::remove_file(i.join("manifest.json")).unwrap()
    }),
    ("garbage version", |i| {
        fs::write(i.join("zhihui-version"), "\u{feff}?\n").unwrap()
    }),
];

fn copy_dir(from: &Path, to: &Path) {
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn index_rebuilds_any_damaged_index_and_says_why() {
    let (pristine, count) = indexed();
    for (name, damage) in DAMAGES {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&pristine.path().join("content"), dir.path());
        copy_dir(&pristine.path().join("index"), dir.path());
        damage(&dir.path().join("index"));
        let out = run(&["index"], dir.path());
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(0), "{name}: {stderr}");
        assert!(stderr.contains("rebuilding it from the files"), "{name}: {stderr}");
        assert!(stdout.contains("重建完成"), "{name}: {stdout}");
        assert_eq!(indexed_count(&stdout), Some(count), "{name}: {stdout}");
        // The rebuilt index is whole: the next run trusts it.
        let again = run(&["index"], dir.path());
        let again_out = String::from_utf8_lossy(&again.stdout).to_string();
        let again_err = String::from_utf8_lossy(&again.stderr).to_string();
        assert!(again.status.success(), "{name}: {again_err}");
        assert!(again_out.contains("更新完成"), "{name}: {again_out}");
        assert_eq!(indexed_count(&again_out), Some(0), "{name}: {again_out}");
        assert!(!again_err.contains("rebuilding"), "{name}: {again_err}");
    }
}

#[test]
fn index_rebuild_does_not_need_a_readable_index() {
    let (pristine, count) = indexed();
    for (name, damage) in DAMAGES.iter().step_by(3) {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&pristine.path().join("content"), dir.path());
        copy_dir(&pristine.path().join("index"), dir.path());
        damage(&dir.path().join("index"));
        let out = run(&["index", "--rebuild"], dir.path());
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("重建完成"), "{name}: {stdout}");
        assert_eq!(indexed_count(&stdout), Some(count), "{name}: {stdout}");
    }
}

#[test]
fn a_damaged_delete_bitset_is_rebuilt_too() {
    let (dir, count) = indexed();
    // Changing a record deletes its old document: its segment gets a
    // delete bitset, unless the record was the segment's only document.
    let index = dir.path().join("index");
    let has_bitset = |index: &Path| {
        fs::read_dir(index)
            .unwrap()
            .any(|e| e.unwrap().path().extension().is_some_and(|x| x == "del"))
    };
    for rel in [
        "bridge-li/hanging-basket.md",
        "bridge-li/anchor-patent.md",
        "bridge-li/long-method.md",
        "power-chen/open-problem.md",
    ] {
        let path = dir.path().join("content").join(rel);
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, text.replacen("title: ", "title: 改 ", 1)).unwrap();
        let out = run(&["index"], dir.path());
        assert!(out.status.success());
        if has_bitset(&index) {
            break;
        }
    }
    truncate(&largest(&index, "del"), 0.5);
    let out = run(&["index"], dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("重建完成"), "{stdout}");
    assert_eq!(indexed_count(&stdout), Some(count), "{stdout}");
}

#[test]
fn a_garbled_journal_loses_nothing_and_is_rewritten() {
    let (dir, count) = indexed();
    let journal = dir.path().join("index/manifest.log");
    // Binary garbage, a line of another shape, a line cut short.
    fs::write(
        &journal,
        b"\xff\xfe\x00garbage\n{\"rel\": 3}\n{\"rel\":\"bridge-li/x.md\",\"entry\":{\"id\"",
    )
    .unwrap();
    let out = run(&["index"], dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("更新完成"), "{stdout}");
    assert_eq!(indexed_count(&stdout), Some(0), "{stdout}");
    assert!(count > 0);
    assert!(stderr.contains("unreadable lines"), "{stderr}");
    assert!(!journal.exists(), "the manifest is written whole, the journal emptied");
}

#[test]
fn only_index_files_are_removed_by_a_rebuild() {
    let (dir, count) = indexed();
    let index = dir.path().join("index");
    fs::write(index.join("notes.txt"), "not the index's").unwrap();
    fs::create_dir(index.join("keep")).unwrap();
    let stale: Vec<PathBuf> = files_with(&index, "idx");
    fs::write(index.join("meta.json"), "garbage").unwrap();
    let out = run(&["index"], dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success());
    assert_eq!(indexed_count(&stdout), Some(count), "{stdout}");
    assert!(index.join("notes.txt").is_file());
    assert!(index.join("keep").is_dir());
    for file in stale {
        assert!(!file.exists(), "{} left behind", file.display());
    }
}

fn total(app: &TestApp, q: &str) -> u64 {
    app.search(&format!("q={}", crate::support::enc(q)))["total"]
        .as_u64()
        .unwrap()
}

#[test]
fn serve_rebuilds_a_damaged_index_at_start() {
    let mut app = TestApp::start("basic");
    let all = total(&app, "");
    let basket = total(&app, "挂篮");
    assert!(all > 0 && basket > 0);
    for (name, damage) in [DAMAGES[0], DAMAGES[3], DAMAGES[6], DAMAGES[9], DAMAGES[13]] {
        app.kill();
        damage(&app.root.join("index"));
        app = app.restart();
        assert_eq!(total(&app, ""), all, "{name}");
        assert_eq!(total(&app, "挂篮"), basket, "{name}");
    }
}

#[test]
fn a_busy_index_is_an_error_and_is_left_alone() {
    let app = TestApp::start("basic");
    let all = total(&app, "");
    for args in [&["index"][..], &["index", "--rebuild"][..]] {
        let out = run(args, &app.root);
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("正被另一个 zhihui 进程使用"), "{args:?}: {stderr}");
    }
    assert!(app.root.join("index/meta.json").is_file());
    assert_eq!(app.get("/healthz").status, 200);
    assert_eq!(total(&app, ""), all);
}

/// Waits for `/healthz` to answer 200 again after a 503.
fn recovers(app: &TestApp) -> bool {
    app.wait_for(Duration::from_secs(30), |app| app.get("/healthz").status == 200)
}

#[test]
fn healthz_reports_an_index_damaged_under_the_server_which_is_rebuilt() {
    let app = TestApp::start("basic");
    let all = total(&app, "");
    let basket = total(&app, "挂篮");
    let health = app.get("/healthz");
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");
    let damages: [Damage; 5] = [
        ("folder deleted", |i| fs::remove_dir_all(i).unwrap()),
        ("segment file deleted", |i| {
            fs::remove_file(largest(i, "store")).unwrap()
        }),
        ("segment file truncated", |i| truncate(&largest(i, "idx"), 0.5)),
        ("meta.json garbled", |i| fs::write(i.join("meta.json"), "{").unwrap()),
        ("version deleted", |i| {
            fs::remove_file(i.join("zhihui-version")).unwrap()
        }),
    ];
    for (name, damage) in damages {
        damage(&app.root.join("index"));
        let broken = app.get("/healthz");
        assert_eq!(broken.status, 503, "{name}: {}", broken.body);
        let body = broken.json();
        assert_eq!(body["status"], "unavailable", "{name}");
        let message = body["error"].as_str().unwrap_or("");
        assert!(message.contains("索引"), "{name}: {message}");
        // Searches still answer meanwhile, from the files still open
        // (files removed, not cut short under the mapping).
        if name.ends_with("deleted") {
            assert_eq!(total(&app, "挂篮"), basket, "{name}");
        }
        assert!(recovers(&app), "{name}: not rebuilt");
        assert!(app.root.join("index/meta.json").is_file(), "{name}");
        assert_eq!(total(&app, ""), all, "{name}");
        assert_eq!(total(&app, "挂篮"), basket, "{name}");
    }
    // The rebuilt index survives a restart untouched.
    let app = app.restart();
    assert_eq!(total(&app, ""), all);
}

#[test]
fn writes_work_again_once_the_index_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture("basic").join("content"), dir.path());
    TestApp::add_user(dir.path(), "staff1", "staff", None);
    let token = TestApp::token(dir.path(), "staff1");
    let app = TestApp::serve(dir);
    fs::remove_dir_all(app.root.join("index")).unwrap();
    assert_eq!(app.get("/healthz").status, 503);
    assert!(recovers(&app));
    let text = "---\ntitle: 重建后新增\nkind: achievement\ncategory: tech\nstudio: tunnel-zhang\ndate: 2025-03-01\nvisibility: public\n---\n\n索引重建后写入的记录。\n";
    let bearer = format!("Bearer {token}");
    let put = app
        .request(
            "PUT",
            "/api/records/tunnel-zhang/after-rebuild",
            &[("authorization", &bearer), ("content-type", "text/markdown")],
            Some(text.as_bytes()),
        )
        .unwrap();
    assert_eq!(put.status, 201, "{}", put.body);
    assert_eq!(total(&app, "重建后新增"), 1);
    let app = app.restart();
    assert_eq!(total(&app, "重建后新增"), 1);
}
