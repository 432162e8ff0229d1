//! Charts drawn on the server as SVG: bars, a trend line and a shares bar.
//! Colours and fonts come from classes in `stats.css` (the CSP allows no
//! inline style); labels are escaped here, since the SVG is put into the
//! page as it is.

use std::fmt::Write;

/// One bar or point: its label, its value, and the search that lists it.
pub struct Datum {
    pub label: String,
    pub value: u64,
    pub url: Option<String>,
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    crate::content::render::escape_into(&mut out, s);
    out
}

fn link_open(out: &mut String, url: &Option<String>) {
    if let Some(u) = url {
        let _ = write!(out, r#"<a href="{}">"#, esc(u));
    }
}

fn link_close(out: &mut String, url: &Option<String>) {
    if url.is_some() {
        out.push_str("</a>");
    }
}

/// Horizontal bars, one per datum, longest the widest.
pub fn bars(title: &str, data: &[Datum]) -> String {
    let row = 26;
    let label_w = 170;
    let width = 560;
    let height = 30 + row * data.len().max(1);
    let max = data.iter().map(|d| d.value).max().unwrap_or(0).max(1);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="chart bars" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>"#,
        esc(title)
    );
    if data.is_empty() {
        let _ = write!(out, r#"<text class="empty" x="10" y="40">暂无数据</text>"#);
    }
    for (i, d) in data.iter().enumerate() {
        let y = 10 + i * row;
        let w = (d.value as f64 / max as f64 * (width - label_w - 60) as f64).round() as usize;
        link_open(&mut out, &d.url);
        let _ = write!(
            out,
            r#"<text class="label" x="{}" y="{}" text-anchor="end">{}</text><rect class="bar c{}" x="{label_w}" y="{y}" width="{}" height="{}"><title>{}：{}</title></rect><text class="value" x="{}" y="{}">{}</text>"#,
            label_w - 6,
            y + 16,
            esc(&d.label),
            i % 6,
            w.max(1),
            row - 6,
            esc(&d.label),
            d.value,
            label_w + w + 6,
            y + 16,
            d.value
        );
        link_close(&mut out, &d.url);
    }
    out.push_str("</svg>");
    out
}

/// A line over the years, with each year's value marked.
pub fn trend(title: &str, data: &[Datum]) -> String {
    let (width, height, left, bottom, top) = (560usize, 240usize, 40usize, 30usize, 20usize);
    let max = data.iter().map(|d| d.value).max().unwrap_or(0).max(1);
    let plot_w = width - left - 20;
    let plot_h = height - bottom - top;
    let x = |i: usize| {
        left + if data.len() > 1 {
            i * plot_w / (data.len() - 1)
        } else {
            plot_w / 2
        }
    };
    let y = |v: u64| top + plot_h - (v as f64 / max as f64 * plot_h as f64).round() as usize;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="chart trend" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{}</title><line class="axis" x1="{left}" y1="{}" x2="{}" y2="{}"/>"#,
        esc(title),
        top + plot_h,
        width - 10,
        top + plot_h
    );
    if data.is_empty() {
        let _ = write!(out, r#"<text class="empty" x="{left}" y="60">暂无数据</text>"#);
    }
    let points: Vec<String> = data
        .iter()
        .enumerate()
        .map(|(i, d)| format!("{},{}", x(i), y(d.value)))
        .collect();
    if data.len() > 1 {
        let _ = write!(out, r#"<polyline class="line" points="{}"/>"#, points.join(" "));
    }
    for (i, d) in data.iter().enumerate() {
        link_open(&mut out, &d.url);
        let _ = write!(
            out,
            r#"<circle class="point" cx="{}" cy="{}" r="4"><title>{}：{}</title></circle><text class="value" x="{}" y="{}" text-anchor="middle">{}</text><text class="label" x="{}" y="{}" text-anchor="middle">{}</text>"#,
            x(i),
            y(d.value),
            esc(&d.label),
            d.value,
            x(i),
            y(d.value) - 8,
            d.value,
            x(i),
            height - 8,
            esc(&d.label)
        );
        link_close(&mut out, &d.url);
    }
    out.push_str("</svg>");
    out
}

/// One bar split into each datum's share, with a legend below.
pub fn shares(title: &str, data: &[Datum]) -> String {
    let (width, bar_h) = (560usize, 34usize);
    let total: u64 = data.iter().map(|d| d.value).sum();
    let legend_rows = data.len().div_ceil(2);
    let height = bar_h + 20 + 24 * legend_rows.max(1);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="chart shares" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>"#,
        esc(title)
    );
    if total == 0 {
        let _ = write!(
            out,
            r#"<rect class="bar none" x="0" y="0" width="{width}" height="{bar_h}"/>"#
        );
    }
    let mut at = 0usize;
    for (i, d) in data.iter().enumerate() {
        let w = if total == 0 {
            0
        } else {
            (d.value as f64 / total as f64 * width as f64).round() as usize
        };
        if w > 0 {
            link_open(&mut out, &d.url);
            let _ = write!(
                out,
                r#"<rect class="bar c{}" x="{at}" y="0" width="{w}" height="{bar_h}"><title>{}：{}</title></rect>"#,
                i % 6,
                esc(&d.label),
                d.value
            );
            link_close(&mut out, &d.url);
        }
        at += w;
        let (lx, ly) = ((i % 2) * width / 2, bar_h + 20 + (i / 2) * 24);
        let percent = (d.value * 1000).checked_div(total).map_or(0, |p| (p + 5) / 10);
        let _ = write!(
            out,
            r#"<rect class="bar c{}" x="{lx}" y="{}" width="14" height="14"/><text class="label" x="{}" y="{}">{} {}（{percent}%）</text>"#,
            i % 6,
            ly - 12,
            lx + 20,
            ly,
            esc(&d.label),
            d.value
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> Vec<Datum> {
        vec![
            Datum {
                label: "桥梁<联盟>".into(),
                value: 3,
                url: Some("/search?alliance=bridge&kind=method".into()),
            },
            Datum {
                label: "隧道".into(),
                value: 1,
                url: None,
            },
        ]
    }

    #[test]
    fn charts_escape_labels_and_carry_no_inline_style_or_script() {
        for svg in [bars("t", &data()), trend("t", &data()), shares("t", &data())] {
            assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
            assert!(svg.contains("桥梁&lt;联盟&gt;"));
            assert!(!svg.contains("style=") && !svg.contains("<script"), "{svg}");
            assert!(
                svg.contains(r#"href="/search?alliance=bridge&amp;kind=method""#),
                "{svg}"
            );
        }
        assert!(shares("t", &data()).contains("（75%）"));
        assert!(bars("t", &[]).contains("暂无数据"));
    }
}
