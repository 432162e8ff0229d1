//! Statistics as files and data: JSON (the `/api/stats` shape), CSV (UTF-8
//! with a BOM, so that Excel and WPS read Chinese), XLSX (one sheet per
//! table with Chinese headers, number formats, a frozen header row and an
//! autofilter, and a 成果清单 sheet of every matching record) and plain text
//! for the terminal. Every file has the same columns, from `COLUMNS`.

use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};
use serde_json::{Map, Value, json};

use super::{Dimension, Facts, Measures, StatsTable, Wan};
use crate::content::load::Profiles;
use crate::content::spec;
use crate::search::Card;

/// A figure as a cell: a count or an amount of 万元.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Figure {
    Count(u64),
    Money(Wan),
}

impl Figure {
    pub fn text(self) -> String {
        match self {
            Figure::Count(n) => n.to_string(),
            Figure::Money(w) => w.to_string(),
        }
    }
}

/// A figure column: its header and how it reads a group's measures.
pub type Column = (&'static str, fn(&Measures) -> Figure);

/// Every figure column.
pub const COLUMNS: &[Column] = &[
    ("成果数", |m| Figure::Count(m.count)),
    ("经济效益（万元）", |m| Figure::Money(m.benefit)),
    ("国家级奖励", |m| Figure::Count(m.awards[0])),
    ("省部级奖励", |m| Figure::Count(m.awards[1])),
    ("行业级奖励", |m| Figure::Count(m.awards[2])),
    ("企业级奖励", |m| Figure::Count(m.awards[3])),
    ("获国家级奖成果", |m| Figure::Count(m.awarded[0])),
    ("获省部级奖成果", |m| Figure::Count(m.awarded[1])),
    ("获省部级以上奖成果", |m| Figure::Count(m.awarded_high)),
    ("授权发明专利", |m| Figure::Count(m.granted[0])),
    ("授权实用新型专利", |m| Figure::Count(m.granted[1])),
    ("授权外观设计专利", |m| Figure::Count(m.granted[2])),
    ("国家级工法", |m| Figure::Count(m.methods[0])),
    ("省部级工法", |m| Figure::Count(m.methods[1])),
    ("企业级工法", |m| Figure::Count(m.methods[2])),
    ("解决难题", |m| Figure::Count(m.solved)),
    ("推广应用（次）", |m| Figure::Count(m.adoptions)),
    ("推广项目（个）", |m| Figure::Count(m.projects)),
];

/// What the total row is called, and what it means.
pub const TOTAL_LABEL: &str = "合计（每条记录只计一次）";

fn levels(names: &[spec::Choice], counts: &[u64]) -> Value {
    Value::Object(
        names
            .iter()
            .zip(counts)
            .map(|(c, n)| (c.value.to_string(), json!(n)))
            .collect(),
    )
}

fn measures_json(m: &Measures, into: &mut Map<String, Value>) {
    into.insert("count".into(), json!(m.count));
    into.insert("benefit".into(), json!(m.benefit));
    into.insert("benefit_text".into(), json!(m.benefit.to_string()));
    into.insert("awards".into(), levels(spec::AWARD_LEVELS, &m.awards));
    into.insert("awarded".into(), levels(spec::AWARD_LEVELS, &m.awarded));
    into.insert("awarded_high".into(), json!(m.awarded_high));
    into.insert("granted".into(), levels(spec::PATENT_TYPES, &m.granted));
    into.insert("methods".into(), levels(spec::METHOD_LEVELS, &m.methods));
    into.insert("solved".into(), json!(m.solved));
    into.insert("adoptions".into(), json!(m.adoptions));
    into.insert("projects".into(), json!(m.projects));
}

/// `{"groups":[{"key":{…},"label":{…},"count":N,"benefit":X,…}],"total":N,"benefit":X,…}`:
/// the content format's shape, with every measure beside `count` and
/// `benefit` and the total's measures at the top level.
pub fn json(table: &StatsTable, profiles: &Profiles) -> Value {
    let by = &table.query.by;
    let groups: Vec<Value> = table
        .groups
        .iter()
        .map(|g| {
            let mut out = Map::new();
            let key = by.iter().zip(&g.key).map(|(d, v)| (d.name().to_string(), json!(v)));
            out.insert("key".into(), Value::Object(key.collect()));
            let label = by
                .iter()
                .zip(&g.key)
                .map(|(d, v)| (d.name().to_string(), json!(d.label(v, profiles))));
            out.insert("label".into(), Value::Object(label.collect()));
            measures_json(&g.measures, &mut out);
            Value::Object(out)
        })
        .collect();
    let mut out = Map::new();
    out.insert("by".into(), json!(by.iter().map(|d| d.name()).collect::<Vec<_>>()));
    out.insert("years".into(), json!({"from": table.query.from, "to": table.query.to}));
    out.insert("groups".into(), Value::Array(groups));
    let mut total = Map::new();
    measures_json(&table.total, &mut total);
    out.insert("total".into(), json!(table.total.count));
    out.insert("benefit".into(), json!(table.total.benefit));
    out.insert("benefit_text".into(), json!(table.total.benefit.to_string()));
    out.insert("totals".into(), Value::Object(total));
    out.insert(
        "note".into(),
        json!("每项数字按其自身日期计：成果按日期、奖项按获奖年度、专利按授权日、难题按解决日期、应用按应用年度。一个工作室属于多个联盟时在每个联盟下都计入；合计中每条记录只计一次。"),
    );
    Value::Object(out)
}

/// The table's rows as text cells: the dimensions' labels, then every
/// column of `COLUMNS`; the total row last.
pub fn rows(table: &StatsTable, profiles: &Profiles) -> (Vec<String>, Vec<Vec<String>>) {
    let mut header: Vec<String> = table.query.by.iter().map(|d| d.zh().to_string()).collect();
    header.extend(COLUMNS.iter().map(|(name, _)| name.to_string()));
    let mut out = Vec::new();
    for g in &table.groups {
        let mut row: Vec<String> = table
            .query
            .by
            .iter()
            .zip(&g.key)
            .map(|(d, v)| d.label(v, profiles))
            .collect();
        row.extend(COLUMNS.iter().map(|(_, get)| get(&g.measures).text()));
        out.push(row);
    }
    let mut total = vec![TOTAL_LABEL.to_string()];
    total.extend((1..table.query.by.len()).map(|_| String::new()));
    total.extend(COLUMNS.iter().map(|(_, get)| get(&table.total).text()));
    out.push(total);
    (header, out)
}

fn csv_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

/// The table as CSV: a BOM, a header row, a row per group, the total.
pub fn csv(table: &StatsTable, profiles: &Profiles) -> Vec<u8> {
    let (header, rows) = rows(table, profiles);
    let mut out = String::from("\u{feff}");
    for row in std::iter::once(&header).chain(&rows) {
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            csv_field(&mut out, cell);
        }
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// The table as aligned text for a terminal.
pub fn text(table: &StatsTable, profiles: &Profiles) -> String {
    let (header, rows) = rows(table, profiles);
    // Only the columns with a figure somewhere, so that it fits a terminal.
    let dims = table.query.by.len().max(1);
    let keep: Vec<usize> = (0..header.len())
        .filter(|&i| i < dims || rows.iter().any(|r| r.get(i).is_some_and(|c| c != "0" && !c.is_empty())))
        .collect();
    let width = |s: &str| s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum::<usize>();
    let widths: Vec<usize> = keep
        .iter()
        .map(|&i| {
            std::iter::once(&header)
                .chain(&rows)
                .map(|r| r.get(i).map_or(0, |c| width(c)))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = keep
            .iter()
            .zip(&widths)
            .map(|(&i, &w)| {
                let cell = row.get(i).map_or("", String::as_str);
                format!("{cell}{}", " ".repeat(w.saturating_sub(width(cell))))
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// A named table for a workbook: its sheet name and figures.
pub struct Sheet<'a> {
    pub name: String,
    pub table: &'a StatsTable,
}

fn header_format() -> Format {
    Format::new()
        .set_bold()
        .set_background_color(0xE8EEF7)
        .set_align(FormatAlign::Center)
        .set_text_wrap()
}

fn write_table(sheet: &mut Worksheet, table: &StatsTable, profiles: &Profiles) -> Result<(), XlsxError> {
    let header = header_format();
    let money = Format::new().set_num_format("#,##0.00##");
    let count = Format::new().set_num_format("#,##0");
    let bold = Format::new().set_bold();
    let dims = table.query.by.len();
    let label_columns = dims.max(1);
    let mut col = 0u16;
    for d in &table.query.by {
        sheet.write_string_with_format(0, col, d.zh(), &header)?;
        sheet.set_column_width(col, 16)?;
        col += 1;
    }
    if dims == 0 {
        sheet.write_string_with_format(0, 0, "范围", &header)?;
        sheet.set_column_width(0, 16)?;
        col = 1;
    }
    for (name, _) in COLUMNS {
        sheet.write_string_with_format(0, col, *name, &header)?;
        sheet.set_column_width(col, 12)?;
        col += 1;
    }
    let write_figures =
        |sheet: &mut Worksheet, row: u32, m: &Measures, extra: Option<&Format>| -> Result<(), XlsxError> {
            for (i, (_, get)) in COLUMNS.iter().enumerate() {
                let c = (label_columns + i) as u16;
                let format = match get(m) {
                    Figure::Money(_) => &money,
                    Figure::Count(_) => &count,
                };
                let format = match extra {
                    Some(e) => &format.clone().set_bold().merge(e),
                    None => format,
                };
                match get(m) {
                    Figure::Count(n) => sheet.write_number_with_format(row, c, n as f64, format)?,
                    Figure::Money(w) => sheet.write_number_with_format(row, c, w.as_f64(), format)?,
                };
            }
            Ok(())
        };
    let mut row = 1u32;
    for g in &table.groups {
        for (i, (d, v)) in table.query.by.iter().zip(&g.key).enumerate() {
            sheet.write_string(row, i as u16, d.label(v, profiles))?;
        }
        write_figures(sheet, row, &g.measures, None)?;
        row += 1;
    }
    let last_data_row = row.saturating_sub(1).max(1);
    sheet.write_string_with_format(row, 0, TOTAL_LABEL, &bold)?;
    write_figures(sheet, row, &table.total, Some(&bold))?;
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, last_data_row, (label_columns + COLUMNS.len() - 1) as u16)?;
    Ok(())
}

/// At most this many records are listed in a 成果清单 (newest first), so
/// that an export of a very large search stays a file people can open.
pub const LISTING_LIMIT: usize = 100_000;

/// The 成果清单 columns.
pub const LISTING: [&str; 12] = [
    "标题",
    "类型",
    "类别",
    "工作室",
    "联盟",
    "日期",
    "完成人",
    "经济效益（万元）",
    "获奖",
    "应用推广",
    "专利号/工法编号",
    "链接",
];

fn listing_row(card: &Card, facts: &Facts, profiles: &Profiles) -> Vec<String> {
    let label = |field: &str, v: &str| spec::choice_label(field, v, false).unwrap_or(v).to_string();
    let category = card
        .category
        .as_deref()
        .map(|c| label("category", c))
        .or_else(|| card.patent_type.as_deref().map(|t| label("patent_type", t)))
        .or_else(|| card.level.as_deref().map(|l| label("level", l)))
        .unwrap_or_default();
    let alliances: Vec<String> = facts
        .alliances
        .iter()
        .map(|a| Dimension::Alliance.label(a, profiles))
        .collect();
    let awards: Vec<String> = facts
        .awards
        .iter()
        .map(|a| {
            let level = label("award_level", &a.level);
            match a.year {
                Some(y) => format!("{}（{level}，{y}）", a.name),
                None => format!("{}（{level}）", a.name),
            }
        })
        .collect();
    let applied: Vec<String> = facts
        .applied
        .iter()
        .map(|a| match a.year {
            Some(y) => format!("{}（{y}）", a.project),
            None => a.project.clone(),
        })
        .collect();
    vec![
        card.title.clone(),
        label("kind", &card.kind),
        category,
        card.studio_name.clone(),
        alliances.join("、"),
        card.date.clone(),
        card.authors.join("、"),
        String::new(),
        awards.join("；"),
        applied.join("；"),
        card.code.clone().unwrap_or_default(),
        format!("/records/{}", card.id),
    ]
}

/// A workbook of `sheets`, then a 成果清单 sheet listing `records`;
/// `base` (the site's address) makes the links whole.
pub fn xlsx(
    sheets: &[Sheet],
    records: &[(Card, Facts)],
    matched: usize,
    profiles: &Profiles,
    base: &str,
) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    for s in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(sheet_name(&s.name))?;
        write_table(sheet, s.table, profiles)?;
    }
    write_listing(book.add_worksheet(), records, matched, profiles, base)?;
    book.save_to_buffer()
}

fn write_listing(
    sheet: &mut Worksheet,
    records: &[(Card, Facts)],
    matched: usize,
    profiles: &Profiles,
    base: &str,
) -> Result<(), XlsxError> {
    sheet.set_name("成果清单")?;
    let header = header_format();
    let money = Format::new().set_num_format("#,##0.00##");
    let widths = [40, 10, 12, 22, 18, 12, 20, 14, 40, 30, 20, 40];
    for (i, (name, w)) in LISTING.iter().zip(widths).enumerate() {
        sheet.write_string_with_format(0, i as u16, *name, &header)?;
        sheet.set_column_width(i as u16, w)?;
    }
    for (r, (card, facts)) in records.iter().enumerate() {
        let row = r as u32 + 1;
        let cells = listing_row(card, facts, profiles);
        for (i, cell) in cells.iter().enumerate() {
            match i {
                7 => {
                    if card.benefit.is_some() {
                        sheet.write_number_with_format(row, 7, Wan(facts.benefit).as_f64(), &money)?;
                    }
                }
                // A link needs the site's address; without one (the
                // command line) the path is written as text.
                11 if !base.is_empty() => {
                    let url = format!("{base}{cell}");
                    sheet.write_url_with_text(row, 11, url.as_str(), url.as_str())?;
                }
                _ => {
                    sheet.write_string(row, i as u16, cell)?;
                }
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, records.len().max(1) as u32, (LISTING.len() - 1) as u16)?;
    if matched > records.len() {
        let note = format!("仅列出最新的 {} 条，共 {matched} 条符合条件", records.len());
        sheet.write_string_with_format(records.len() as u32 + 2, 0, note, &Format::new().set_bold())?;
    }
    Ok(())
}

/// The annual report as a workbook: a 年度总结 sheet (the sentences and
/// the change against the previous year), a sheet per alliance and per
/// kind, and the 成果清单 of the records dated in the year.
pub fn report_xlsx(
    report: &super::report::AnnualReport,
    records: &[(Card, Facts)],
    matched: usize,
    profiles: &Profiles,
    base: &str,
) -> Result<Vec<u8>, XlsxError> {
    let sheets = [
        Sheet {
            name: "各联盟".into(),
            table: &report.by_alliance,
        },
        Sheet {
            name: "各类型".into(),
            table: &report.by_kind,
        },
    ];
    let mut book = Workbook::new();
    let summary = book.add_worksheet();
    summary.set_name("年度总结")?;
    let title = Format::new().set_bold().set_font_size(14);
    let header = header_format();
    summary.write_string_with_format(0, 0, format!("{}{}年度总结", report.subject, report.year), &title)?;
    summary.set_column_width(0, 24)?;
    summary.set_column_width(1, 16)?;
    summary.set_column_width(2, 16)?;
    summary.set_column_width(3, 20)?;
    let mut row = 2u32;
    for sentence in &report.sentences {
        summary.write_string(row, 0, sentence)?;
        row += 1;
    }
    row += 1;
    let header_row = row;
    for (i, h) in [
        "指标",
        &format!("{}年", report.year),
        &format!("{}年", report.year - 1),
        "增减",
    ]
    .iter()
    .enumerate()
    {
        summary.write_string_with_format(row, i as u16, *h, &header)?;
    }
    row += 1;
    let number = |s: &str| s.parse::<f64>().ok();
    for change in report.changes() {
        summary.write_string(row, 0, change.label)?;
        for (col, cell) in [(1, &change.this_year), (2, &change.last_year)] {
            match number(cell) {
                Some(n) => summary.write_number(row, col, n)?,
                None => summary.write_string(row, col, cell)?,
            };
        }
        summary.write_string(row, 3, &change.change)?;
        row += 1;
    }
    summary.autofilter(header_row, 0, row - 1, 3)?;
    for s in &sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(sheet_name(&s.name))?;
        write_table(sheet, s.table, profiles)?;
    }
    write_listing(book.add_worksheet(), records, matched, profiles, base)?;
    book.save_to_buffer()
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    name.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{Group, StatsQuery};

    fn table() -> StatsTable {
        let m = |count, benefit| Measures {
            count,
            benefit: Wan(benefit),
            ..Measures::default()
        };
        StatsTable {
            query: StatsQuery::by(&[Dimension::Kind]),
            groups: vec![
                Group {
                    key: vec!["achievement".into()],
                    measures: m(2, 1_000_500),
                },
                Group {
                    key: vec!["pa,\"x\"".into()],
                    measures: m(1, 1),
                },
            ],
            total: m(3, 1_000_501),
        }
    }

    #[test]
    fn csv_has_a_bom_labels_and_quotes() {
        let text = String::from_utf8(csv(&table(), &Profiles::default())).unwrap();
        assert!(text.starts_with('\u{feff}'));
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
        assert!(lines[0].starts_with("类型,成果数,经济效益（万元）"));
        assert!(lines[1].starts_with("创新成果,2,100.05,"));
        assert!(lines[2].starts_with("\"pa,\"\"x\"\"\",1,0.0001,"));
        assert!(lines[3].starts_with("合计（每条记录只计一次）,3,100.0501,"));
    }

    #[test]
    fn json_has_the_spec_shape() {
        let v = json(&table(), &Profiles::default());
        assert_eq!(v["total"], 3);
        assert_eq!(v["benefit"].to_string(), "100.0501");
        assert_eq!(v["groups"][0]["key"]["kind"], "achievement");
        assert_eq!(v["groups"][0]["label"]["kind"], "创新成果");
        assert_eq!(v["groups"][0]["count"], 2);
        assert_eq!(v["groups"][0]["awards"]["provincial"], 0);
    }

    #[test]
    fn a_listing_past_its_limit_says_how_many_matched() {
        use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
        let card = |id: &str| -> Card {
            serde_json::from_value(serde_json::json!({
                "id": id, "title": format!("成果{id}"), "kind": "achievement", "studio": "s",
                "studio_name": "工作室", "date": "2024-01-01", "tags": [], "summary": "",
                "visibility": "public", "benefit": 1.5, "authors": ["甲"]
            }))
            .unwrap()
        };
        let facts = Facts {
            benefit: 15_000,
            ..Facts::default()
        };
        let records = vec![(card("a"), facts.clone()), (card("b"), facts)];
        let table = table();
        let sheets = [Sheet {
            name: "按类型".into(),
            table: &table,
        }];
        let body = xlsx(&sheets, &records, 5, &Profiles::default(), "http://zhihui.test").unwrap();
        let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(body)).unwrap();
        let rows: Vec<Vec<Data>> = book
            .worksheet_range("成果清单")
            .unwrap()
            .rows()
            .map(<[Data]>::to_vec)
            .collect();
        assert_eq!(rows[1][0], Data::String("成果a".into()));
        assert_eq!(rows[1][7], Data::Float(1.5));
        assert_eq!(rows[1][11], Data::String("http://zhihui.test/records/a".into()));
        assert_eq!(
            rows.last().unwrap()[0],
            Data::String("仅列出最新的 2 条，共 5 条符合条件".into())
        );
        let all = xlsx(&sheets, &records, 2, &Profiles::default(), "").unwrap();
        let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(all)).unwrap();
        let rows = book.worksheet_range("成果清单").unwrap();
        assert_eq!(rows.height(), 3, "no note when every record is listed");
    }

    #[test]
    fn sheet_names_are_what_excel_accepts() {
        assert_eq!(sheet_name("按联盟/类型"), "按联盟类型");
        assert_eq!(sheet_name(&"长".repeat(40)).chars().count(), 31);
    }
}
