//! Walking a content folder: which files are records, profiles, exhibits,
//! attachments of a page bundle or staff configuration, with the id rules
//! (no `..`, no absolute paths, no hidden files, no symlinks leaving the
//! folder). Also loads the profiles, which every record is checked against.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{
    Alliance, Document, Exhibit, FileProblem, KnownIds, Problem, RecordIds, Section, Severity, Studio, Visibility,
    parse_document,
};

pub const DICTIONARY_FILE: &str = "dictionary.txt";
pub const SYNONYMS_FILE: &str = "synonyms.txt";

/// A Markdown document found under the content folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Path relative to the content folder, `/`-separated.
    pub rel: String,
    pub id: String,
    pub section: Section,
}

#[derive(Debug, Default)]
pub struct Scan {
    pub documents: Vec<SourceFile>,
    pub problems: Vec<FileProblem>,
}

impl Scan {
    pub fn record_ids(&self) -> RecordIds {
        self.documents
            .iter()
            .filter(|d| d.section == Section::Records)
            .map(|d| d.id.clone())
            .collect()
    }
}

/// The id of the file at `rel` (relative, `/`-separated), or why it has none.
pub fn id_for(rel: &str) -> Result<String, String> {
    if rel.starts_with('/') || rel.contains('\\') || rel.as_bytes().get(1) == Some(&b':') {
        return Err("不允许使用绝对路径".into());
    }
    let stem = rel.strip_suffix(".md").ok_or("只有 .md 文件才是记录")?;
    let id = stem.strip_suffix("/index").unwrap_or(stem);
    if id.len() > MAX_ID_BYTES {
        return Err(format!(
            "编号过长：最多 {MAX_ID_BYTES} 字节（约 {} 个汉字）",
            MAX_ID_BYTES / 3
        ));
    }
    for part in id.split('/') {
        check_segment(part)?;
    }
    if id == "index" || id.is_empty() {
        return Err("content/ 根目录下的 index.md 不是记录".into());
    }
    let mut parts = id.split('/');
    if let (Some(first @ ("studios" | "alliances" | "exhibits")), rest) = (parts.next(), parts.count())
        && rest != 1
    {
        return Err(format!("“{first}/” 是资料文件夹，其中只能直接放 <编号>.md 资料文件"));
    }
    Ok(id.to_string())
}

/// Longest part of an id between slashes, in bytes. File systems allow
/// 255 per name, and a pending version (`.<slug>.pending.md`) or a write
/// in progress (`.<name>.<pid>.tmp`) adds up to about 40 to it.
pub const MAX_SEGMENT_BYTES: usize = 200;
/// Longest id, in bytes.
pub const MAX_ID_BYTES: usize = 600;

/// Characters that make an id look like something it is not: bidi
/// controls (which reorder what is shown), invisible format characters,
/// and look-alikes of `.`, `/` and `\` (which make `․․／x` read as `../x`).
fn deceptive(c: char) -> bool {
    matches!(c,
        // Bidi_Control, as Unicode lists it.
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        // Invisible: soft hyphen, Mongolian vowel separator, zero widths, word joiners, BOM,
        // interlinear annotation marks, and tag characters.
        | '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}'
        | '\u{206A}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{E0000}'..='\u{E007F}'
        // Dots: one/two-dot leaders, ellipsis, small, full-width and half-width ideographic full stops.
        | '\u{2024}' | '\u{2025}' | '\u{2026}' | '\u{FE52}' | '\u{FF0E}' | '\u{FF61}' | '\u{3002}'
        | '\u{0701}' | '\u{0702}' | '\u{A4F8}' | '\u{A60E}'
        // Slashes and backslashes: division, fraction, full-width, big solidus, small reverse solidus.
        | '\u{2215}' | '\u{2044}' | '\u{FF0F}' | '\u{29F8}' | '\u{29F5}' | '\u{29F9}' | '\u{FE68}'
        | '\u{FF3C}' | '\u{1735}' | '\u{2CC6}' | '\u{3033}'
    )
}

/// One part of an id, between slashes.
fn check_segment(part: &str) -> Result<(), String> {
    if part.is_empty() || part == "." || part == ".." {
        return Err("路径中不允许出现空段、“.” 或 “..”".into());
    }
    if part.starts_with('.') {
        return Err("不允许隐藏文件或文件夹（以 . 开头）".into());
    }
    if part
        .chars()
        .any(|c| c.is_control() || matches!(c, '?' | '#' | '%' | '"' | '<' | '>' | '\\'))
    {
        return Err("路径中含有不允许的字符（? # % \" < > \\ 或控制字符）".into());
    }
    if let Some(c) = part.chars().find(|&c| deceptive(c)) {
        return Err(format!(
            "路径中含有易混淆或不可见的字符 U+{:04X}（双向控制符、零宽字符，或形似 . / \\ 的字符）",
            c as u32
        ));
    }
    if part.starts_with(char::is_whitespace) || part.ends_with(char::is_whitespace) {
        return Err("路径的每一段不能以空格开头或结尾".into());
    }
    if part.len() > MAX_SEGMENT_BYTES {
        return Err(format!(
            "路径中的“{}…”过长：每段最多 {MAX_SEGMENT_BYTES} 字节（约 {} 个汉字）",
            part.chars().take(12).collect::<String>(),
            MAX_SEGMENT_BYTES / 3
        ));
    }
    Ok(())
}

/// The id of a record written through the site: `id_for`'s rules, and
/// the id must be written as it is stored, so that no part of it is
/// `index` (the file of a page bundle: `a/index` would be `a` itself).
pub fn new_record_id(id: &str) -> Result<String, String> {
    if id.split('/').any(|part| part.eq_ignore_ascii_case("index")) {
        return Err("编号中不能有“index”这一段：它是附件文件夹里记录正文的文件名".into());
    }
    if id.to_ascii_lowercase().ends_with(".md") {
        return Err("编号不能以 .md 结尾（文件名会自动加上 .md）".into());
    }
    let parsed = id_for(&format!("{id}.md"))?;
    if parsed != id {
        return Err("编号无效".into());
    }
    if Section::of_id(id) != Section::Records || matches!(id, "studios" | "alliances" | "exhibits") {
        return Err("studios、alliances、exhibits 是工作室、联盟和成果展的资料文件夹，不能用作记录编号".into());
    }
    Ok(parsed)
}

fn problem(path: String, message: impl Into<String>) -> FileProblem {
    FileProblem {
        path,
        problem: Problem::error(1, "path", message),
    }
}

/// Walks `root` and sorts its Markdown files into sections. `display` is how
/// the root is named in messages (e.g. `content`).
pub fn scan(root: &Path) -> std::io::Result<Scan> {
    let canonical_root = root.canonicalize()?;
    // Each entry of the root is walked on its own, on all cores: at 100k
    // records the walk is a third of a start-up with nothing changed. The
    // results are then taken in the order one sorted walk gives.
    let mut out = Scan::default();
    let mut tops: Vec<PathBuf> = Vec::new();
    for entry in std::fs::read_dir(root)? {
        match entry {
            Ok(e) if e.file_name().to_string_lossy().starts_with('.') => {}
            Ok(e) => tops.push(e.path()),
            Err(e) => out
                .problems
                .push(problem(root.display().to_string(), format!("无法读取：{e}"))),
        }
    }
    tops.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    // A walker that panics fails the scan (rayon passes the panic on): it
    // must not look like a folder without files, whose records a sync
    // would take for deleted.
    let walked: Vec<Vec<Found>> = tops.par_iter().map(|top| walk(root, &canonical_root, top)).collect();
    let mut seen_ids: HashMap<String, String> = HashMap::new();
    for found in walked.into_iter().flatten() {
        match found {
            Found::Problem(problem) => out.problems.push(problem),
            Found::File { rel, id } => {
                if let Some(first) = seen_ids.get(&id) {
                    let shown = root.join(&rel).display().to_string();
                    out.problems
                        .push(problem(shown, format!("与 {first} 的编号“{id}”重复，已跳过")));
                    continue;
                }
                seen_ids.insert(id.clone(), rel.clone());
                let section = Section::of_id(&id);
                out.documents.push(SourceFile { rel, id, section });
            }
        }
    }
    Ok(out)
}

/// What the walk of one entry of the content folder finds, in order.
enum Found {
    Problem(FileProblem),
    File { rel: String, id: String },
}

/// Walks `top` (an entry of `root`, a folder or a file) in file-name order:
/// its Markdown files with their ids, and the problems of the others.
fn walk(root: &Path, canonical_root: &Path, top: &Path) -> Vec<Found> {
    let mut out = Vec::new();
    let mut bundles = BundleDirs::default();
    // A symbolic link among the root's entries is an entry like any other,
    // not followed (walkdir follows a link it is asked to start at).
    let walker = walkdir::WalkDir::new(top)
        .follow_links(false)
        .follow_root_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().map(|p| p.display().to_string()).unwrap_or_default();
                out.push(Found::Problem(problem(path, format!("无法读取：{e}"))));
                continue;
            }
        };
        let path = entry.path();
        let shown = || path.display().to_string();
        let Ok(rel_path) = path.strip_prefix(root) else {
            continue;
        };
        let Some(rel) = rel_path.to_str().map(|s| s.replace('\\', "/")) else {
            out.push(Found::Problem(problem(shown(), "文件名不是有效的 UTF-8")));
            continue;
        };
        if !rel.ends_with(".md") {
            continue;
        }
        if entry.path_is_symlink() {
            match path.canonicalize() {
                Ok(target) if target.starts_with(canonical_root) && target.is_file() => {}
                _ => {
                    out.push(Found::Problem(problem(
                        shown(),
                        "符号链接指向 content/ 之外（或已失效），已拒绝",
                    )));
                    continue;
                }
            }
        } else if !entry.file_type().is_file() {
            continue;
        }
        // Markdown files inside a page bundle (other than index.md) are the
        // bundle's attachments, not records.
        if bundles.holds(root, &rel) {
            continue;
        }
        match id_for(&rel) {
            Ok(id) => out.push(Found::File { rel, id }),
            Err(message) => out.push(Found::Problem(problem(shown(), message))),
        }
    }
    out
}

/// Whether the Markdown file at `rel` (relative, `/`-separated) is a
/// record: not an attachment inside a page bundle. For one file, as the
/// watcher sees them; `scan` keeps the answers per folder.
pub fn is_record_file(root: &Path, rel: &str) -> bool {
    rel.ends_with(".md") && !BundleDirs::default().holds(root, rel)
}

/// Which folders are page bundles (hold an `index.md`), each looked up
/// once: a walk of 100k records would otherwise test every ancestor of
/// every file.
#[derive(Default)]
struct BundleDirs(HashMap<PathBuf, bool>);

impl BundleDirs {
    /// Whether the Markdown file `rel` is an attachment inside a bundle
    /// (a bundle's own `index.md` is not).
    fn holds(&mut self, root: &Path, rel: &str) -> bool {
        !rel.ends_with("/index.md")
            && Path::new(rel)
                .ancestors()
                .skip(1)
                .take_while(|a| !a.as_os_str().is_empty())
                .any(|dir| match self.0.get(dir) {
                    Some(&bundle) => bundle,
                    None => {
                        let bundle = root.join(dir).join("index.md").is_file();
                        self.0.insert(dir.to_path_buf(), bundle);
                        bundle
                    }
                })
    }
}

/// Studios, alliances and exhibits: small, loaded whole, checked together.
#[derive(Debug, Default, Clone)]
pub struct Profiles {
    pub studios: BTreeMap<String, Studio>,
    pub alliances: BTreeMap<String, Alliance>,
    pub exhibits: BTreeMap<String, Exhibit>,
    pub problems: Vec<FileProblem>,
}

impl Profiles {
    pub fn known_ids(&self, records: Option<RecordIds>) -> KnownIds {
        KnownIds {
            studios: self.studios.keys().cloned().collect(),
            alliances: self.alliances.keys().cloned().collect(),
            records,
        }
    }

    /// The alliances a studio belongs to (only those that exist).
    pub fn alliances_of(&self, studio: &str) -> Vec<&Alliance> {
        self.studios
            .get(studio)
            .map(|s| s.alliances.iter().filter_map(|a| self.alliances.get(a)).collect())
            .unwrap_or_default()
    }
}

/// Reads and checks every profile and exhibit. Alliances are read first
/// (they name a lead studio, checked against the studio files present),
/// then studios, then exhibits against the record ids of `scan`.
pub fn load_profiles(root: &Path, scan: &Scan) -> Profiles {
    let mut profiles = Profiles::default();
    let files = |section| {
        scan.documents
            .iter()
            .filter(move |d: &&SourceFile| d.section == section)
    };
    let mut known = KnownIds {
        studios: files(Section::Studios)
            .map(|d| Section::local_id(&d.id).to_string())
            .collect(),
        alliances: files(Section::Alliances)
            .map(|d| Section::local_id(&d.id).to_string())
            .collect(),
        records: Some(scan.record_ids()),
    };
    for section in [Section::Alliances, Section::Studios, Section::Exhibits] {
        for file in files(section) {
            let path = root.join(&file.rel).display().to_string();
            let parsed = std::fs::read_to_string(root.join(&file.rel))
                .map_err(|e| vec![Problem::error(1, "file", format!("无法读取：{e}"))])
                .and_then(|text| parse_document(&file.id, &text, &known));
            let problems = match parsed {
                Ok((doc, warnings)) => {
                    match doc {
                        Document::Alliance(a) => {
                            profiles.alliances.insert(a.id.clone(), a);
                        }
                        Document::Studio(s) => {
                            profiles.studios.insert(s.id.clone(), s);
                        }
                        Document::Exhibit(e) => {
                            profiles.exhibits.insert(e.id.clone(), e);
                        }
                        Document::Record(_) => {}
                    }
                    warnings
                }
                Err(errors) => errors,
            };
            profiles
                .problems
                .extend(problems.into_iter().map(|problem| FileProblem {
                    path: path.clone(),
                    problem,
                }));
        }
        // Later sections are checked against the profiles that are valid.
        known.alliances = profiles.alliances.keys().cloned().collect();
        if section == Section::Studios {
            known.studios = profiles.studios.keys().cloned().collect();
        }
    }
    profiles
}

/// Everything `zhihui check` reports of a content folder.
#[derive(Debug, Default)]
pub struct Checked {
    /// Markdown documents found.
    pub files: usize,
    /// Every problem, by file and line.
    pub problems: Vec<FileProblem>,
}

/// Loads a content folder as the index would (walk, profiles, every
/// record against them) and returns every problem with its file, shown
/// as a path under `root`. Only a folder that cannot be read at all is
/// an error.
pub fn check(root: &Path) -> std::io::Result<Checked> {
    let scan = scan(root)?;
    let profiles = load_profiles(root, &scan);
    let known = profiles.known_ids(Some(scan.record_ids()));
    let mut problems: Vec<FileProblem> = scan.problems.clone();
    problems.extend(profiles.problems.iter().cloned());
    // Who may see each valid record, for the exhibits' checks below.
    let mut audiences: HashMap<String, (Visibility, String)> = HashMap::new();
    let mut problem_ids: std::collections::HashSet<String> = std::collections::HashSet::new();
    // Problems naming solutions, with where: a solution must be a record
    // of another kind, which only the whole folder tells.
    let mut solutions: Vec<(String, usize, Vec<String>)> = Vec::new();
    for file in scan.documents.iter().filter(|d| d.section == Section::Records) {
        let path = root.join(&file.rel);
        let found = match std::fs::read_to_string(&path) {
            Ok(text) => match parse_document(&file.id, &text, &known) {
                Ok((doc, warnings)) => {
                    if let Document::Record(r) = doc {
                        audiences.insert(r.id.clone(), (r.effective_visibility(), file.rel.clone()));
                        if r.kind == super::Kind::Problem {
                            problem_ids.insert(r.id.clone());
                            if !r.solved_by.is_empty() {
                                let line = super::front_matter::split(&text)
                                    .ok()
                                    .and_then(|(fm, _)| fm.get("solved_by").map(|(_, l)| l))
                                    .unwrap_or(1);
                                solutions.push((path.display().to_string(), line, r.solved_by.clone()));
                            }
                        }
                    }
                    warnings
                }
                Err(errors) => errors,
            },
            Err(e) => vec![Problem::error(1, "file", format!("无法读取，或不是 UTF-8 文本：{e}"))],
        };
        let shown = path.display().to_string();
        problems.extend(found.into_iter().map(|problem| FileProblem {
            path: shown.clone(),
            problem,
        }));
    }
    for (path, line, ids) in solutions {
        for id in ids.iter().filter(|id| problem_ids.contains(*id)) {
            problems.push(FileProblem {
                path: path.clone(),
                problem: Problem::error(
                    line,
                    "solved_by",
                    format!("“{id}”是另一个难题，不是解决方案：请写解决它的成果、专利或工法的编号"),
                ),
            });
        }
    }
    problems.extend(check_exhibits(root, &profiles, &audiences));
    problems.sort_by(|a, b| (&a.path, a.problem.line).cmp(&(&b.path, b.problem.line)));
    Ok(Checked {
        files: scan.documents.len(),
        problems,
    })
}

/// What only the whole folder tells of an exhibit: a public exhibit
/// holding a record visitors may not see (they would see a gap), and an
/// image that is not a file of its record's bundle.
fn check_exhibits(
    root: &Path,
    profiles: &Profiles,
    audiences: &HashMap<String, (Visibility, String)>,
) -> Vec<FileProblem> {
    let mut problems = Vec::new();
    for exhibit in profiles.exhibits.values() {
        let path = root
            .join("exhibits")
            .join(format!("{}.md", exhibit.id))
            .display()
            .to_string();
        let field = |title: &str| if title.is_empty() { "items" } else { "sections" };
        for section in &exhibit.sections {
            for item in &section.items {
                let Some((visibility, rel)) = audiences.get(&item.id) else {
                    continue;
                };
                if exhibit.visibility == Visibility::Public && *visibility != Visibility::Public {
                    problems.push(FileProblem {
                        path: path.clone(),
                        problem: Problem::new(
                            Severity::Warning,
                            item.line,
                            field(&section.title),
                            format!(
                                "公开的成果展中，记录“{}”不是公开的（{}）：访客看不到这一项",
                                item.id,
                                super::spec::choice_label("visibility", visibility.as_str(), false).unwrap_or("")
                            ),
                        ),
                    });
                }
                if let Some(image) = &item.image {
                    let present = bundle_dir(root, rel).is_some_and(|dir| dir.join(image).is_file());
                    if !present {
                        problems.push(FileProblem {
                            path: path.clone(),
                            problem: Problem::new(
                                Severity::Warning,
                                item.line,
                                field(&section.title),
                                format!("记录“{}”的附件中没有图片“{image}”，将显示它的第一张图片", item.id),
                            ),
                        });
                    }
                }
            }
        }
    }
    problems
}

/// The folder a record's files live in, if it is a page bundle.
pub fn bundle_dir(root: &Path, rel: &str) -> Option<PathBuf> {
    rel.strip_suffix("/index.md").map(|dir| root.join(dir))
}

/// Names of the files in a bundle folder that may be listed and served, in
/// name order: hidden files wait for review or are a write in progress, and
/// Markdown is source (the record, a draft), never a file to serve.
pub fn bundle_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| !n.starts_with('.') && !n.to_ascii_lowercase().ends_with(".md"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_path_rules() {
        assert_eq!(id_for("tunnel/segment-repair.md").unwrap(), "tunnel/segment-repair");
        assert_eq!(id_for("tunnel/管片修复/index.md").unwrap(), "tunnel/管片修复");
        assert!(id_for("../etc/passwd.md").is_err());
        assert!(id_for("a/../b.md").is_err());
        assert!(id_for("/abs.md").is_err());
        assert!(id_for("a/.hidden.md").is_err());
        assert!(id_for("a/b.txt").is_err());
        assert!(id_for("index.md").is_err());
        assert!(id_for("studios/index.md").is_err());
        assert!(id_for("studios/a/b.md").is_err());
        assert!(id_for("studios/a.md").is_ok());
    }

    #[test]
    fn deceptive_and_oversized_ids_are_refused() {
        for bad in [
            "a/\u{2024}\u{2024}/b",
            "a/\u{FF0E}\u{FF0E}\u{FF0F}b",
            "a/x\u{202E}gpj.md",
            "a/x\u{200B}y",
            "a/x\u{2066}y",
            "a/\u{FEFF}y",
            "a/x\\y",
            " a/b",
            "a/b\u{3000}",
        ] {
            assert!(id_for(&format!("{bad}.md")).is_err(), "{bad:?}");
        }
        let long = "长".repeat(MAX_SEGMENT_BYTES / 3 + 1);
        assert!(id_for(&format!("a/{long}.md")).unwrap_err().contains("过长"));
        let fits = "长".repeat(MAX_SEGMENT_BYTES / 3);
        assert!(id_for(&format!("a/{fits}.md")).is_ok());
        assert!(
            id_for(&format!("{}.md", "a/".repeat(400)))
                .unwrap_err()
                .contains("过长")
        );
        assert!(id_for("a/v1.2 版.md").is_ok());
    }

    #[test]
    fn ids_written_through_the_site_are_what_they_say() {
        assert_eq!(new_record_id("tunnel/管片").unwrap(), "tunnel/管片");
        for bad in [
            "a/index",
            "a/INDEX/b",
            "studios",
            "exhibits",
            "alliances",
            "studios/x",
            "a/",
            "a//b",
        ] {
            assert!(new_record_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scan_sorts_files_and_rejects_escaping_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("studios")).unwrap();
        std::fs::create_dir_all(root.join("s/bundle")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::write(root.join("studios/a.md"), "x").unwrap();
        std::fs::write(root.join("s/r.md"), "x").unwrap();
        std::fs::write(root.join("s/bundle/index.md"), "x").unwrap();
        std::fs::write(root.join("s/bundle/notes.md"), "x").unwrap();
        std::fs::write(root.join(".git/x.md"), "x").unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.md"), "x").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(outside.path().join("secret.md"), root.join("s/link.md")).unwrap();
        // A link among the root's entries to a folder outside is not walked.
        std::fs::create_dir_all(outside.path().join("records")).unwrap();
        std::fs::write(outside.path().join("records/leak.md"), "x").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(outside.path().join("records"), root.join("linked")).unwrap();
        // Two files with one id, from two entries of the root: the first in
        // file-name order wins.
        std::fs::create_dir_all(root.join("a")).unwrap();
        std::fs::write(root.join("a/index.md"), "x").unwrap();
        std::fs::write(root.join("a.md"), "x").unwrap();
        let scan = scan(root).unwrap();
        let ids: Vec<&str> = scan.documents.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, vec!["a", "s/bundle", "s/r", "studios/a"]);
        assert_eq!(scan.documents[0].rel, "a/index.md");
        assert!(
            scan.problems
                .iter()
                .any(|p| p.path.ends_with("a.md") && p.problem.message.contains("重复")),
            "{:?}",
            scan.problems
        );
        // One file at a time, as the watcher asks, gives the same answers.
        assert!(is_record_file(root, "s/r.md"));
        assert!(is_record_file(root, "s/bundle/index.md"));
        assert!(!is_record_file(root, "s/bundle/notes.md"));
        assert_eq!(scan.documents[3].section, Section::Studios);
        #[cfg(unix)]
        assert!(
            scan.problems.iter().any(|p| p.path.ends_with("link.md")),
            "{:?}",
            scan.problems
        );
    }

    #[test]
    fn a_solution_is_a_record_of_another_kind() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("studios")).unwrap();
        std::fs::create_dir_all(root.join("s")).unwrap();
        std::fs::write(root.join("studios/s.md"), "---\nkind: studio\nname: 甲\n---\n").unwrap();
        let record = |kind: &str, extra: &str| {
            format!("---\ntitle: 记录\nkind: {kind}\nstudio: s\ndate: 2024-01-01\n{extra}---\n正文\n")
        };
        std::fs::write(root.join("s/method.md"), record("method", "")).unwrap();
        std::fs::write(root.join("s/other.md"), record("problem", "status: open\n")).unwrap();
        std::fs::write(
            root.join("s/p.md"),
            record("problem", "status: solved\nsolved_by: [s/method, s/other]\n"),
        )
        .unwrap();
        let checked = check(root).unwrap();
        let errors: Vec<String> = checked.problems.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].ends_with(
                "p.md:7: solved_by: “s/other”是另一个难题，不是解决方案：请写解决它的成果、专利或工法的编号"
            ),
            "{errors:?}"
        );
    }
}
