//! The offline copy of an exhibit: a folder of static HTML, one stylesheet,
//! the records' images and files and inline QR codes, that opens from a
//! USB stick with no server and no network. Every link is relative and
//! nothing is fetched from elsewhere (an image the body takes from another
//! site is left out). It holds only public records, whoever exports it:
//! the copy is handed out, so it is made for a visitor.
//!
//! `build` makes the files in memory (an exhibit's records and images are
//! small), then `write_dir` writes them (`zhihui export exhibit`) or `zip`
//! packs them (the staff download).

use std::io::Write;
use std::path::Path;

use crate::content::load::Profiles;
use crate::content::{Exhibit, Record, Visibility, render};

use super::board::{Board, board, files_of, is_image};
use super::qr::{public_address, qr_svg};

/// The stylesheet of the copy, shared with the site's exhibit pages.
pub const STYLE: &str = include_str!("../../templates/static/exhibit.css");

/// A record an exhibit names, as the caller found it.
pub struct Found {
    pub record: Record,
    /// Its file, relative to the content folder.
    pub rel: String,
}

pub struct Source<'a> {
    pub exhibit: &'a Exhibit,
    pub profiles: &'a Profiles,
    pub content_root: &'a Path,
    /// The site's public address, for the QR codes; none without it.
    pub public_url: Option<&'a str>,
    /// Seconds since 1970, printed as the time of the copy.
    pub now: i64,
}

pub struct Export {
    /// Relative path (`/`-separated) and bytes of every file.
    pub files: Vec<(String, Vec<u8>)>,
    /// Items in the copy, and items left out (not public, or gone).
    pub shown: usize,
    pub left_out: usize,
}

pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    crate::content::render::escape_into(&mut out, text);
    out
}

/// `YYYY-MM-DD HH:MM` in Beijing time (UTC+8, no daylight saving).
pub fn beijing_time(secs: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(secs)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(crate::content::BEIJING);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// Makes the page of each public record and the exhibit's index.
pub fn build(source: &Source, lookup: impl Fn(&str) -> Option<Found>) -> Export {
    let exhibit = source.exhibit;
    let mut files: Vec<(String, Vec<u8>)> = vec![("style.css".into(), STYLE.as_bytes().to_vec())];
    let mut sections_html = String::new();
    let mut contents = String::new();
    let (mut shown, mut left_out) = (0, 0);
    for section in &exhibit.sections {
        let mut items_html = String::new();
        let mut entries = String::new();
        for item in &section.items {
            let Some(found) = lookup(&item.id).filter(|f| f.record.effective_visibility() == Visibility::Public) else {
                left_out += 1;
                continue;
            };
            shown += 1;
            let n = format!("{shown:03}");
            let names = files_of(source.content_root, &found.rel);
            let images: Vec<String> = names.iter().filter(|n| is_image(n)).cloned().collect();
            let b = board(&found.record, item, source.profiles, &images, false);
            let mut copied = Vec::new();
            if let Some(dir) = crate::content::load::bundle_dir(source.content_root, &found.rel) {
                for name in &names {
                    if let Ok(bytes) = std::fs::read(dir.join(name)) {
                        files.push((format!("files/{n}/{name}"), bytes));
                        copied.push(name.clone());
                    }
                }
            }
            let qr = source
                .public_url
                .and_then(|base| qr_svg(&public_address(base, &found.record.id)));
            let page = format!("records/{n}.html");
            entries.push_str(&format!("<li><a href=\"{page}\">{}</a></li>", esc(&b.title)));
            items_html.push_str(&board_html(&b, &page, &format!("files/{n}/"), qr.as_deref()));
            files.push((page, record_page(exhibit, &found.record, &b, &n, &copied).into_bytes()));
        }
        if !items_html.is_empty() || !section.title.is_empty() {
            let heading = if section.title.is_empty() {
                String::new()
            } else {
                format!("<h2>{}</h2>", esc(&section.title))
            };
            sections_html.push_str(&format!(
                "<section class=\"exhibit-section\">{heading}{items_html}</section>"
            ));
            if section.title.is_empty() {
                contents.push_str(&entries);
            } else {
                contents.push_str(&format!("<li>{}<ol>{entries}</ol></li>", esc(&section.title)));
            }
        }
    }
    let intro = offline(&render::to_html(&exhibit.body, "files/"));
    let cover = exhibit
        .cover
        .as_ref()
        .map(|c| format!("<p class=\"cover-text\">{}</p>", esc(c)))
        .unwrap_or_default();
    let gap = if left_out > 0 {
        format!("<p class=\"left-out\">另有 {left_out} 项非公开成果未收入离线版。</p>")
    } else {
        String::new()
    };
    let qr_note = if source.public_url.is_some() {
        "扫描展项旁的二维码，可在手机上打开在线版。"
    } else {
        "导出时未设置公开地址，展项不带二维码。"
    };
    let index = format!(
        "<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n<link rel=\"stylesheet\" href=\"style.css\">\n</head>\n<body class=\"offline\">\n<header class=\"exhibit-cover\"><h1>{title}</h1>{cover}</header>\n<main>\n<div class=\"body\">{intro}</div>\n{gap}<nav class=\"exhibit-contents\"><h2>目录</h2><ol>{contents}</ol></nav>\n{sections_html}\n</main>\n<footer>离线版 · {qr_note} · 导出于 {time}（北京时间）</footer>\n</body>\n</html>\n",
        title = esc(&exhibit.title),
        time = beijing_time(source.now),
    );
    files.push(("index.html".into(), index.into_bytes()));
    Export { files, shown, left_out }
}

/// One item as the exhibit shows it, linking to its page.
fn board_html(b: &Board, page: &str, files: &str, qr: Option<&str>) -> String {
    let mut out = format!("<article class=\"exhibit-item kind-{}\">", b.kind);
    if let Some(image) = &b.image {
        out.push_str(&format!(
            "<img class=\"item-image\" src=\"{files}{}\" alt=\"{}\">",
            esc(image),
            esc(&b.title)
        ));
    }
    out.push_str(&format!(
        "<div class=\"item-text\"><p class=\"meta\"><span class=\"badge kind\">{}</span> {}{}</p><h3><a href=\"{page}\">{}</a></h3>",
        esc(b.kind_label),
        esc(&b.studio_name),
        b.alliances.iter().map(|a| format!(" · {}", esc(a))).collect::<String>(),
        esc(&b.title)
    ));
    out.push_str(&facts_html(b));
    if !b.caption.is_empty() {
        out.push_str(&format!("<p class=\"caption\">{}</p>", esc(&b.caption)));
    }
    out.push_str("</div>");
    if let Some(svg) = qr {
        out.push_str(&format!("<div class=\"qr\">{svg}<small>扫码查看在线版</small></div>"));
    }
    out.push_str("</article>");
    out
}

fn facts_html(b: &Board) -> String {
    let mut out = String::new();
    if !b.authors.is_empty() {
        out.push_str(&format!("<p class=\"authors\">完成人：{}</p>", esc(&b.authors)));
    }
    if !b.summary.is_empty() {
        out.push_str(&format!("<p class=\"summary\">{}</p>", esc(&b.summary)));
    }
    if !b.facts.is_empty() {
        out.push_str("<dl class=\"facts\">");
        for f in &b.facts {
            out.push_str(&format!("<dt>{}</dt><dd>{}</dd>", esc(f.label), esc(&f.value)));
        }
        out.push_str("</dl>");
    }
    out
}

fn record_page(exhibit: &Exhibit, record: &Record, b: &Board, n: &str, files: &[String]) -> String {
    let body = offline(&render::to_html(&record.body, &format!("../files/{n}/")));
    let attachments: String = files
        .iter()
        .map(|name| {
            let href = format!("../files/{n}/{}", esc(name));
            if is_image(name) {
                format!("<li><img src=\"{href}\" alt=\"{}\"></li>", esc(name))
            } else {
                format!("<li><a href=\"{href}\">{}</a></li>", esc(name))
            }
        })
        .collect();
    let attachments = if attachments.is_empty() {
        String::new()
    } else {
        format!("<h2>附件</h2><ul class=\"attachments\">{attachments}</ul>")
    };
    format!(
        "<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n<link rel=\"stylesheet\" href=\"../style.css\">\n</head>\n<body class=\"offline\">\n<main>\n<p><a href=\"../index.html\">← {exhibit_title}</a></p>\n<article class=\"profile\">\n<p class=\"meta\"><span class=\"badge kind\">{kind}</span> {studio}{alliances}</p>\n<h1>{title}</h1>\n{facts}\n<div class=\"body\">{body}</div>\n{attachments}\n</article>\n</main>\n</body>\n</html>\n",
        title = esc(&record.title),
        exhibit_title = esc(&exhibit.title),
        kind = esc(b.kind_label),
        studio = esc(&b.studio_name),
        alliances = b.alliances.iter().map(|a| format!(" · {}", esc(a))).collect::<String>(),
        facts = facts_html(b),
    )
}

/// Rendered HTML with nothing that would reach a server: an image or
/// other resource from elsewhere is dropped, and so is a link to the
/// site's own root (`/records/…`), which points nowhere on a USB stick
/// (its text stays). Links to other sites stay: they are only followed
/// when clicked, by someone online.
fn offline(html: &str) -> String {
    let mut out = html.to_string();
    for remote in ["src=\"http://", "src=\"https://", "src=\"//", "src=\"/"] {
        out = out.replace(remote, "data-offline-removed=\"");
    }
    out.replace("href=\"/", "data-online-href=\"/")
}

/// Writes the files under `out` (created if missing), each atomically.
pub fn write_dir(export: &Export, out: &Path) -> std::io::Result<()> {
    for (rel, bytes) in &export.files {
        let path = out.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        crate::atomic::write(&path, bytes)?;
    }
    Ok(())
}

/// The files as a ZIP archive (deflate), under one folder named `folder`.
pub fn zip(export: &Export, folder: &str) -> std::io::Result<Vec<u8>> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (rel, bytes) in &export.files {
        writer
            .start_file(format!("{folder}/{rel}"), options)
            .map_err(std::io::Error::other)?;
        writer.write_all(bytes)?;
    }
    Ok(writer.finish().map_err(std::io::Error::other)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_remote_is_fetched_and_text_is_escaped() {
        let html =
            offline("<img src=\"https://example.com/a.png\"><img src=\"files/b.png\"><a href=\"https://x\">x</a>");
        assert!(!html.contains("src=\"http"), "{html}");
        assert!(html.contains("src=\"files/b.png\""));
        assert!(html.contains("href=\"https://x\""));
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(beijing_time(1_700_000_000), "2023-11-15 06:13");
    }
}
