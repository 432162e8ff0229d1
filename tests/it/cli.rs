//! The command line as scripts use it: check, index.

use crate::support::{fixture, run};

#[test]
fn check_reports_every_problem_with_its_line_and_exits_1() {
    let dir = fixture("basic");
    let out = run(&["check", "--content", "content"], &dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("content/broken/bad-yaml.md:5: front matter: YAML 语法错误"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "content/broken/unknown-studio.md:4: studio: 找不到工作室“tunnel-zhnag”，是否应为“tunnel-zhang”？"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("segment-repair"), "valid files are quiet: {stdout}");
    assert!(stdout.contains("2 个错误"), "{stdout}");
}

#[test]
fn check_exits_0_on_valid_content() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    std::fs::create_dir_all(content.join("studios")).unwrap();
    std::fs::write(content.join("studios/s.md"), "---\nkind: studio\nname: 工作室\n---\n").unwrap();
    std::fs::write(
        content.join("r.md"),
        "---\ntitle: t\nkind: problem\nstudio: s\ndate: 2024-01-01\nstatus: open\n---\n",
    )
    .unwrap();
    let out = run(&["check"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn index_is_incremental_and_rebuildable() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    std::fs::create_dir_all(content.join("studios")).unwrap();
    std::fs::write(content.join("studios/s.md"), "---\nkind: studio\nname: 工作室\n---\n").unwrap();
    for i in 0..5 {
        std::fs::write(
            content.join(format!("r{i}.md")),
            format!(
                "---\ntitle: 记录{i}\nkind: problem\nstudio: s\ndate: 2024-01-01\nvisibility: public\n---\n正文{i}{}\n",
                if i == 0 { "，一次合格率提高" } else { "" }
            ),
        )
        .unwrap();
    }
    let first = run(&["index"], dir.path());
    let text = String::from_utf8_lossy(&first.stdout).to_string();
    assert!(first.status.success(), "{text}");
    assert!(text.contains("索引 5 个文件"), "{text}");
    let again = String::from_utf8_lossy(&run(&["index"], dir.path()).stdout).to_string();
    assert!(
        again.contains("索引 0 个文件") && again.contains("未变 5 个"),
        "{again}"
    );
    // A dictionary edit re-indexes only the records holding a long word
    // it added or removed (they hold it whole in the index).
    let dictionary = |words: &str| {
        std::fs::write(content.join("dictionary.txt"), words).unwrap();
        String::from_utf8_lossy(&run(&["index"], dir.path()).stdout).to_string()
    };
    let none_holds_it = dictionary("正文记录\n");
    assert!(none_holds_it.contains("索引 0 个文件"), "{none_holds_it}");
    let one_holds_it = dictionary("正文记录\n一次合格率 3000 n\n");
    assert!(one_holds_it.contains("索引 1 个文件"), "{one_holds_it}");
    let short_word_only = dictionary("正文记录\n一次合格率 3000 n\n合格 100\n");
    assert!(short_word_only.contains("索引 0 个文件"), "{short_word_only}");
    let removed = dictionary("正文记录\n");
    assert!(removed.contains("索引 1 个文件"), "{removed}");
    std::fs::write(
        content.join("r1.md"),
        "---\ntitle: 改过\nkind: problem\nstudio: s\ndate: 2024-01-01\n---\n",
    )
    .unwrap();
    std::fs::remove_file(content.join("r2.md")).unwrap();
    let changed = String::from_utf8_lossy(&run(&["index"], dir.path()).stdout).to_string();
    assert!(
        changed.contains("索引 1 个文件") && changed.contains("删除 1 个"),
        "{changed}"
    );
    let rebuilt = String::from_utf8_lossy(&run(&["index", "--rebuild"], dir.path()).stdout).to_string();
    assert!(
        rebuilt.contains("重建完成") && rebuilt.contains("索引 4 个文件"),
        "{rebuilt}"
    );
    // Deleting the index is always safe.
    std::fs::remove_dir_all(dir.path().join("index")).unwrap();
    let fresh = String::from_utf8_lossy(&run(&["index"], dir.path()).stdout).to_string();
    assert!(fresh.contains("索引 4 个文件"), "{fresh}");
    // A corrupt index is rebuilt, not fatal.
    std::fs::write(dir.path().join("index/meta.json"), "garbage").unwrap();
    let repaired = run(&["index"], dir.path());
    assert!(
        repaired.status.success(),
        "{}",
        String::from_utf8_lossy(&repaired.stderr)
    );
    assert!(String::from_utf8_lossy(&repaired.stdout).contains("索引 4 个文件"));
}

#[test]
fn missing_content_folder_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["index", "--content", "nowhere"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("内容目录不存在"));
}

#[test]
fn user_and_token_commands() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("content/studios")).unwrap();
    std::fs::write(
        dir.path().join("content/studios/tunnel-zhang.md"),
        "---\nkind: studio\nname: 工作室\n---\n",
    )
    .unwrap();
    let add = |args: &[&str], password: &str| {
        let mut child = std::process::Command::new(crate::support::BIN)
            .args(args)
            .current_dir(dir.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        // A refused command exits before reading the password: a closed
        // pipe is then expected, and its exit status is what is checked.
        let _ = child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{password}\n").as_bytes());
        child.wait_with_output().unwrap()
    };
    assert!(
        add(
            &[
                "user",
                "add",
                "zhang",
                "--role",
                "publisher",
                "--studio",
                "tunnel-zhang"
            ],
            "password-123"
        )
        .status
        .success()
    );
    let typo = add(
        &["user", "add", "li", "--role", "publisher", "--studio", "tunel-zhang"],
        "password-123",
    );
    assert_eq!(typo.status.code(), Some(1), "refused input, not a failure to run");
    assert!(
        String::from_utf8_lossy(&typo.stderr).contains("是否应为“tunnel-zhang”"),
        "{}",
        String::from_utf8_lossy(&typo.stderr)
    );
    let short = add(&["user", "add", "wang", "--role", "staff"], "short");
    assert!(String::from_utf8_lossy(&short.stderr).contains("密码至少 8 个字符"));
    assert_eq!(short.status.code(), Some(1));
    assert!(
        !add(&["user", "add", "zhang", "--role", "member"], "password-123")
            .status
            .success(),
        "duplicate"
    );
    let list = String::from_utf8_lossy(&run(&["user", "list"], dir.path()).stdout).to_string();
    assert!(list.contains("zhang\tpublisher\ttunnel-zhang"), "{list}");
    let token = String::from_utf8_lossy(&run(&["token", "new", "zhang", "--label", "ci"], dir.path()).stdout)
        .trim()
        .to_string();
    assert!(token.starts_with("zh_") && token.len() > 40, "{token}");
    let stored = std::fs::read_to_string(dir.path().join("data/accounts.json")).unwrap();
    assert!(
        !stored.contains(&token) && !stored.contains("password-123"),
        "only hashes are stored"
    );
    assert!(String::from_utf8_lossy(&run(&["token", "list", "zhang"], dir.path()).stdout).contains("ci"));
    assert!(run(&["token", "revoke", "zhang", "ci"], dir.path()).status.success());
    assert!(run(&["user", "remove", "zhang"], dir.path()).status.success());
    assert!(!String::from_utf8_lossy(&run(&["user", "list"], dir.path()).stdout).contains("zhang"));
}

/// The content format's field table in the docs is the one the code uses.
#[test]
fn the_documented_fields_are_the_ones_the_code_knows() {
    let out = crate::support::run(&["fields"], std::path::Path::new(env!("CARGO_MANIFEST_DIR")));
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("| `solved_by` |"), "{table}");
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/content-format.md")).unwrap();
    let documented = docs
        .split("<!-- fields:begin -->\n")
        .nth(1)
        .and_then(|rest| rest.split("<!-- fields:end -->").next())
        .unwrap();
    assert_eq!(
        documented, table,
        "run `zhihui fields` and paste its table into docs/content-format.md"
    );
}
