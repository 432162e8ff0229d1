//! Statistics over HTTP: `/api/stats` (JSON), the `/stats` page (filters,
//! SVG charts, tables whose numbers link to the search listing those
//! records), `/stats.csv`, `/stats.xlsx`, and the annual report
//! `/reports/{year}` with its `/reports/{year}.xlsx`. Figures come from
//! `crate::stats` for the asking viewer: an anonymous visitor's are of
//! public records only.

mod charts;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use crate::auth::Viewer;
use crate::content::load::Profiles;
use crate::search::{FacetField, SearchRequest};
use crate::stats::export::{self, Sheet};
use crate::stats::report::{AnnualReport, Change};
use crate::stats::{Dimension, Measures, StatsQuery, StatsTable};
use crate::web::pages::{Chrome, render_page};
use crate::web::session::Current;
use crate::web::{AppError, AppState, params, unblock};

use charts::Datum;

/// A statistics request from the URL: the search's words and filters,
/// `by` (repeatable, at most two), and the years `from`/`to`.
struct StatsParams {
    request: SearchRequest,
    query: StatsQuery,
}

fn year_param(name: &str, value: &str) -> Result<Option<i32>, AppError> {
    if value.is_empty() {
        return Ok(None);
    }
    match value.parse::<i32>() {
        Ok(y) if (1900..=2100).contains(&y) => Ok(Some(y)),
        _ => Err(AppError::BadRequest(format!(
            "参数 {name} 的年份“{value}”无效，应为 1900–2100 之间的四位数字，如 2024"
        ))),
    }
}

fn stats_params(raw: Option<&str>) -> Result<StatsParams, AppError> {
    let request = params::search_request(raw);
    let mut query = StatsQuery::default();
    let mut by = Vec::new();
    for (key, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let value = value.trim();
        match key.as_ref() {
            "by" => by.push(value.to_string()),
            "from" | "year_from" => query.from = year_param(&key, value)?,
            "to" | "year_to" => query.to = year_param(&key, value)?,
            _ => {}
        }
    }
    query.by = crate::stats::parse_dimensions(by.iter().map(String::as_str)).map_err(AppError::BadRequest)?;
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from > to
    {
        return Err(AppError::BadRequest(format!("起始年份 {from} 晚于截止年份 {to}")));
    }
    Ok(StatsParams { request, query })
}

async fn compute(
    state: &AppState,
    viewer: Viewer,
    asks: Vec<(SearchRequest, StatsQuery)>,
) -> Result<Vec<StatsTable>, AppError> {
    let engine = state.engine.clone();
    let tables = unblock(move || {
        asks.iter()
            .map(|(request, query)| engine.stats(request, &viewer, query))
            .collect::<Result<Vec<_>, _>>()
    })
    .await??;
    Ok(tables)
}

pub async fn api(
    State(state): State<AppState>,
    current: Current,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let StatsParams { request, query } = stats_params(raw.as_deref())?;
    let started = std::time::Instant::now();
    let tables = compute(&state, current.viewer.clone(), vec![(request, query)]).await?;
    let took_ms = (started.elapsed().as_secs_f64() * 100_000.0).round() / 100.0;
    let profiles = state.engine.snapshot().profiles.clone();
    let table = tables
        .first()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no table")))?;
    let mut body = export::json(table, &profiles);
    if let Some(map) = body.as_object_mut() {
        map.insert("took_ms".into(), took_ms.into());
    }
    Ok(axum::Json(body).into_response())
}

/// A table's title from its dimensions: 按联盟和类型.
fn sheet_title(query: &StatsQuery) -> String {
    let dims: Vec<&str> = query.by.iter().map(|d| d.zh()).collect();
    format!("按{}", dims.join("和"))
}

/// The tables of the `/stats` page and of `/stats.xlsx`.
const PAGE_TABLES: [(&str, &[Dimension]); 5] = [
    ("按联盟和类型", &[Dimension::Alliance, Dimension::Kind]),
    ("按联盟", &[Dimension::Alliance]),
    ("按类型", &[Dimension::Kind]),
    ("按年度", &[Dimension::Year]),
    ("按获奖级别", &[Dimension::AwardLevel]),
];

/// The figures a page's table shows (the files have every column).
type PageColumn = (&'static str, fn(&Measures) -> String);

const PAGE_COLUMNS: [PageColumn; 9] = [
    ("成果数", |m| m.count.to_string()),
    ("经济效益（万元）", |m| m.benefit.to_string()),
    ("省部级以上奖励", |m| m.high_awards().to_string()),
    ("授权发明专利", |m| m.granted[0].to_string()),
    ("授权实用新型", |m| m.granted[1].to_string()),
    ("省部级以上工法", |m| m.high_methods().to_string()),
    ("解决难题", |m| m.solved.to_string()),
    ("推广应用（次）", |m| m.adoptions.to_string()),
    ("推广项目（个）", |m| m.projects.to_string()),
];

/// The search listing the records a group counts (its records by date):
/// the page's words and filters, the group's values and the years asked
/// for. None when a value has no search filter (an award's year, a
/// studio's stars) or the years are open on one side.
fn search_link(base: &SearchRequest, query: &StatsQuery, key: &[(Dimension, &str)]) -> Option<String> {
    let mut filters = base.filters.clone();
    let mut has_year = false;
    for (d, value) in key {
        let field = d.filter()?;
        has_year |= *d == Dimension::Year;
        let values = filters.entry(field).or_default();
        values.clear();
        values.push(value.to_string());
    }
    if !has_year {
        match (query.from, query.to) {
            (None, None) => {}
            (Some(from), Some(to)) if to - from < 50 => {
                filters.insert(FacetField::Year, (from..=to).map(|y| y.to_string()).collect());
            }
            _ => return None,
        }
    }
    let mut out = form_urlencoded::Serializer::new(String::new());
    if !base.q.is_empty() {
        out.append_pair("q", &base.q);
    }
    for (field, values) in &filters {
        for v in values {
            out.append_pair(field.name(), v);
        }
    }
    Some(format!("/search?{}", out.finish()))
}

pub struct Cell {
    pub text: String,
    pub url: Option<String>,
    pub number: bool,
}

pub struct Row {
    pub cells: Vec<Cell>,
    pub total: bool,
}

pub struct TableView {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

fn table_view(title: &str, table: &StatsTable, base: &SearchRequest, profiles: &Profiles) -> TableView {
    let by = &table.query.by;
    let mut headers: Vec<String> = by.iter().map(|d| d.zh().to_string()).collect();
    headers.extend(PAGE_COLUMNS.iter().map(|(h, _)| h.to_string()));
    let figures = |m: &Measures, url: Option<String>| -> Vec<Cell> {
        PAGE_COLUMNS
            .iter()
            .enumerate()
            .map(|(i, (_, get))| Cell {
                text: get(m),
                url: if i == 0 { url.clone() } else { None },
                number: true,
            })
            .collect()
    };
    let mut rows: Vec<Row> = table
        .groups
        .iter()
        .map(|g| {
            let key: Vec<(Dimension, &str)> = by.iter().copied().zip(g.key.iter().map(String::as_str)).collect();
            let mut cells: Vec<Cell> = key
                .iter()
                .map(|(d, v)| Cell {
                    text: d.label(v, profiles),
                    url: None,
                    number: false,
                })
                .collect();
            cells.extend(figures(&g.measures, search_link(base, &table.query, &key)));
            Row { cells, total: false }
        })
        .collect();
    let mut total: Vec<Cell> = by
        .iter()
        .enumerate()
        .map(|(i, _)| Cell {
            text: if i == 0 {
                export::TOTAL_LABEL.to_string()
            } else {
                String::new()
            },
            url: None,
            number: false,
        })
        .collect();
    total.extend(figures(&table.total, search_link(base, &table.query, &[])));
    rows.push(Row {
        cells: total,
        total: true,
    });
    TableView {
        title: title.to_string(),
        headers,
        rows,
    }
}

pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct Chart {
    pub title: String,
    pub svg: String,
}

#[derive(Template)]
#[template(path = "stats.html")]
pub struct StatsPage {
    pub chrome: Chrome,
    pub q: String,
    pub alliances: Vec<Opt>,
    pub studios: Vec<Opt>,
    pub kinds: Vec<Opt>,
    pub from: String,
    pub to: String,
    pub summary: Vec<(String, String)>,
    pub charts: Vec<Chart>,
    pub tables: Vec<TableView>,
    pub csv_url: String,
    pub xlsx_url: String,
    pub report_url: String,
    pub report_year: i32,
    pub public_only: bool,
}

fn options(all: impl Iterator<Item = (String, String)>, chosen: Option<&Vec<String>>) -> Vec<Opt> {
    all.map(|(value, label)| Opt {
        selected: chosen.is_some_and(|c| c.contains(&value)),
        value,
        label,
    })
    .collect()
}

/// The current year in Beijing time (UTC+8).
fn this_year() -> i32 {
    let now = time::OffsetDateTime::now_utc() + time::Duration::hours(8);
    now.year()
}

fn page_asks(params: &StatsParams) -> Vec<(SearchRequest, StatsQuery)> {
    PAGE_TABLES
        .iter()
        .map(|(_, by)| {
            (
                params.request.clone(),
                StatsQuery {
                    by: by.to_vec(),
                    ..params.query.clone()
                },
            )
        })
        .collect()
}

pub async fn page(
    State(state): State<AppState>,
    current: Current,
    chrome: Chrome,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let params = stats_params(raw.as_deref())?;
    // The table `by=` asks for comes first, unless the page has it anyway.
    let asked = (!params.query.by.is_empty() && !PAGE_TABLES.iter().any(|(_, by)| *by == params.query.by.as_slice()))
        .then(|| (params.request.clone(), params.query.clone()));
    let mut asks = page_asks(&params);
    asks.extend(asked.clone());
    let mut tables = compute(&state, current.viewer.clone(), asks).await?;
    let asked = asked.and_then(|_| tables.pop());
    let snapshot = state.engine.snapshot();
    let profiles = &snapshot.profiles;
    let filters = &params.request.filters;
    let datum = |table: &StatsTable, value: fn(&Measures) -> u64| -> Vec<Datum> {
        table
            .groups
            .iter()
            .map(|g| {
                let key: Vec<(Dimension, &str)> = table
                    .query
                    .by
                    .iter()
                    .copied()
                    .zip(g.key.iter().map(String::as_str))
                    .collect();
                Datum {
                    label: key
                        .iter()
                        .map(|(d, v)| d.label(v, profiles))
                        .collect::<Vec<_>>()
                        .join(" · "),
                    value: value(&g.measures),
                    url: search_link(&params.request, &table.query, &key),
                }
            })
            .filter(|d| d.value > 0)
            .collect()
    };
    let total = &tables[1].total;
    let awards: Vec<Datum> = crate::content::spec::AWARD_LEVELS
        .iter()
        .zip(total.awards)
        .map(|(c, n)| Datum {
            label: c.zh.to_string(),
            value: n,
            url: None,
        })
        .collect();
    let charts = vec![
        Chart {
            title: "各联盟成果数".into(),
            svg: charts::bars("各联盟成果数", &datum(&tables[1], |m| m.count)),
        },
        Chart {
            title: "各类型成果数".into(),
            svg: charts::bars("各类型成果数", &datum(&tables[2], |m| m.count)),
        },
        Chart {
            title: "年度趋势（新增成果）".into(),
            svg: charts::trend("年度趋势", &datum(&tables[3], |m| m.count)),
        },
        Chart {
            title: "获奖级别占比（奖项数）".into(),
            svg: charts::shares("获奖级别占比", &awards),
        },
    ];
    let summary = vec![
        ("成果".to_string(), format!("{} 项", total.count)),
        ("经济效益".to_string(), format!("{} 万元", total.benefit)),
        ("省部级以上奖励".to_string(), format!("{} 项", total.high_awards())),
        (
            "授权专利".to_string(),
            format!("发明 {} 项 · 实用新型 {} 项", total.granted[0], total.granted[1]),
        ),
        ("省部级以上工法".to_string(), format!("{} 项", total.high_methods())),
        ("解决难题".to_string(), format!("{} 个", total.solved)),
        (
            "推广应用".to_string(),
            format!("{} 次 · {} 个项目", total.adoptions, total.projects),
        ),
    ];
    let mut views: Vec<TableView> = asked
        .iter()
        .map(|t| table_view(&sheet_title(&t.query), t, &params.request, profiles))
        .collect();
    views.extend(
        PAGE_TABLES
            .iter()
            .zip(&tables)
            .map(|((title, _), t)| table_view(title, t, &params.request, profiles)),
    );
    let query = raw.clone().unwrap_or_default();
    // The report of the last year asked for, else the latest year with
    // figures (this year's may have none yet).
    let report_year = params.query.to.unwrap_or_else(|| {
        let now = this_year();
        tables[3]
            .groups
            .iter()
            .filter_map(|g| g.key[0].parse::<i32>().ok())
            .filter(|y| *y <= now)
            .max()
            .unwrap_or(now)
    });
    let alliance = filters.get(&FacetField::Alliance).and_then(|a| a.first());
    let report_url = match alliance {
        Some(a) => format!(
            "/reports/{report_year}?{}",
            form_urlencoded::Serializer::new(String::new())
                .append_pair("alliance", a)
                .finish()
        ),
        None => format!("/reports/{report_year}"),
    };
    let kinds = crate::content::spec::KINDS
        .iter()
        .map(|c| (c.value.to_string(), c.zh.to_string()));
    let page = StatsPage {
        q: params.request.q.clone(),
        alliances: options(
            profiles.alliances.values().map(|a| (a.id.clone(), a.name.clone())),
            filters.get(&FacetField::Alliance),
        ),
        studios: options(
            profiles.studios.values().map(|s| (s.id.clone(), s.name.clone())),
            filters.get(&FacetField::Studio),
        ),
        kinds: options(kinds, filters.get(&FacetField::Kind)),
        from: params.query.from.map(|y| y.to_string()).unwrap_or_default(),
        to: params.query.to.map(|y| y.to_string()).unwrap_or_default(),
        summary,
        charts,
        tables: views,
        csv_url: format!("/stats.csv?{query}"),
        xlsx_url: format!("/stats.xlsx?{query}"),
        report_url,
        report_year,
        public_only: current.viewer.name.is_none(),
        chrome,
    };
    render_page(&page)
}

fn download(body: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    // RFC 5987: the Chinese name for browsers that read it, an ASCII one
    // for those that do not.
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
    let ascii = match name.rsplit_once('.') {
        Some((_, ext)) => format!("zhihui-stats.{ext}"),
        None => "zhihui-stats".to_string(),
    };
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

/// The table a file holds when no `by` is given.
fn default_by(query: &mut StatsQuery) {
    if query.by.is_empty() {
        query.by = vec![Dimension::Alliance, Dimension::Kind];
    }
}

pub async fn csv(
    State(state): State<AppState>,
    current: Current,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let StatsParams { request, mut query } = stats_params(raw.as_deref())?;
    default_by(&mut query);
    let tables = compute(&state, current.viewer.clone(), vec![(request, query)]).await?;
    let profiles = state.engine.snapshot().profiles.clone();
    let body = export::csv(&tables[0], &profiles);
    Ok(download(body, "text/csv; charset=utf-8", "统计.csv"))
}

/// The site's address as the client reached it, for links in files.
fn site_base(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| h.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)))
        .unwrap_or("localhost");
    format!("http://{host}")
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub async fn xlsx(
    State(state): State<AppState>,
    current: Current,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let params = stats_params(raw.as_deref())?;
    let mut asks = Vec::new();
    let mut names = Vec::new();
    if !params.query.by.is_empty() {
        asks.push((params.request.clone(), params.query.clone()));
        names.push(sheet_title(&params.query));
    }
    // The page's tables, but not the one asked for again.
    for ((title, by), ask) in PAGE_TABLES.iter().zip(page_asks(&params)) {
        if *by != params.query.by.as_slice() {
            asks.push(ask);
            names.push(title.to_string());
        }
    }
    let base = site_base(&headers);
    let engine = state.engine.clone();
    let viewer = current.viewer.clone();
    let body = unblock(move || -> Result<Vec<u8>, AppError> {
        let tables = asks
            .iter()
            .map(|(request, query)| engine.stats(request, &viewer, query))
            .collect::<Result<Vec<_>, _>>()?;
        let (records, matched) = engine.matching_records(&listing_request(&params), &viewer, export::LISTING_LIMIT)?;
        let profiles = engine.snapshot().profiles.clone();
        let sheets: Vec<Sheet> = names
            .into_iter()
            .zip(&tables)
            .map(|(name, table)| Sheet { name, table })
            .collect();
        export::xlsx(&sheets, &records, matched, &profiles, &base).map_err(|e| AppError::Internal(e.into()))
    })
    .await??;
    Ok(download(body, XLSX, "统计.xlsx"))
}

/// The records a 成果清单 lists: the search's, dated in the years asked for.
fn listing_request(params: &StatsParams) -> SearchRequest {
    let mut request = params.request.clone();
    if let (Some(from), Some(to)) = (params.query.from, params.query.to) {
        request
            .filters
            .insert(FacetField::Year, (from..=to).map(|y| y.to_string()).collect());
    }
    request
}

#[derive(Template)]
#[template(path = "report.html")]
pub struct ReportPage {
    pub chrome: Chrome,
    pub report: AnnualReport,
    pub changes: Vec<Change>,
    pub by_alliance: TableView,
    pub by_kind: TableView,
    pub alliances: Vec<Opt>,
    pub xlsx_url: String,
    pub public_only: bool,
}

/// `2024` or `2024.xlsx`.
fn report_year(file: &str) -> Result<(i32, bool), AppError> {
    let (year, xlsx) = match file.strip_suffix(".xlsx") {
        Some(y) => (y, true),
        None => (file, false),
    };
    let year = year_param("year", year)?.ok_or_else(|| AppError::BadRequest("缺少年份，如 /reports/2024".into()))?;
    Ok((year, xlsx))
}

pub async fn report(
    State(state): State<AppState>,
    current: Current,
    chrome: Chrome,
    headers: HeaderMap,
    Path(file): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (year, as_xlsx) = report_year(&file)?;
    let alliance = form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "alliance")
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty());
    let snapshot = state.engine.snapshot();
    if let Some(a) = &alliance
        && !snapshot.profiles.alliances.contains_key(a)
    {
        return Err(AppError::BadRequest(format!("没有编号为“{a}”的联盟")));
    }
    let engine = state.engine.clone();
    let viewer = current.viewer.clone();
    let wanted = alliance.clone();
    let base = site_base(&headers);
    let built = unblock(move || -> Result<(AnnualReport, Option<Vec<u8>>), AppError> {
        let report = AnnualReport::build(&engine, &viewer, year, wanted.as_deref())?;
        if !as_xlsx {
            return Ok((report, None));
        }
        let mut request = match wanted.as_deref() {
            Some(a) => SearchRequest::filtered(FacetField::Alliance, a),
            None => SearchRequest::default(),
        };
        request.filters.insert(FacetField::Year, vec![year.to_string()]);
        let (records, matched) = engine.matching_records(&request, &viewer, export::LISTING_LIMIT)?;
        let profiles = engine.snapshot().profiles.clone();
        let body = export::report_xlsx(&report, &records, matched, &profiles, &base)
            .map_err(|e| AppError::Internal(e.into()))?;
        Ok((report, Some(body)))
    })
    .await??;
    let (report, body) = built;
    if let Some(body) = body {
        return Ok(download(body, XLSX, &format!("{year}年度总结.xlsx")));
    }
    let mut base_request = SearchRequest::default();
    if let Some(a) = &alliance {
        base_request.filters.insert(FacetField::Alliance, vec![a.clone()]);
    }
    let profiles = &snapshot.profiles;
    let query = raw.unwrap_or_default();
    let page = ReportPage {
        changes: report.changes(),
        by_alliance: table_view("各联盟", &report.by_alliance, &base_request, profiles),
        by_kind: table_view("各类型", &report.by_kind, &base_request, profiles),
        alliances: options(
            profiles.alliances.values().map(|a| (a.id.clone(), a.name.clone())),
            alliance.map(|a| vec![a]).as_ref(),
        ),
        xlsx_url: format!("/reports/{year}.xlsx?{query}"),
        public_only: current.viewer.name.is_none(),
        report,
        chrome,
    };
    render_page(&page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_read_or_refused_with_a_reason() {
        let p = stats_params(Some("by=alliance&by=kind&from=2023&to=2024&kind=patent&q=x")).unwrap();
        assert_eq!(p.query.by, vec![Dimension::Alliance, Dimension::Kind]);
        assert_eq!((p.query.from, p.query.to), (Some(2023), Some(2024)));
        assert_eq!(p.request.filters[&FacetField::Kind], vec!["patent"]);
        assert_eq!(stats_params(Some("by=kind,year")).unwrap().query.by.len(), 2);
        for bad in [
            "by=colour",
            "by=kind&by=year&by=tag",
            "from=20x4",
            "from=2025&to=2024",
            "to=1800",
        ] {
            assert!(matches!(stats_params(Some(bad)), Err(AppError::BadRequest(_))), "{bad}");
        }
        assert_eq!(report_year("2024.xlsx").unwrap(), (2024, true));
        assert!(report_year("24").is_err() && report_year("abc.xlsx").is_err());
    }

    #[test]
    fn numbers_link_to_the_search_that_lists_them() {
        let base = params::search_request(Some("q=%E7%9B%BE%E6%9E%84&kind=method"));
        let all = StatsQuery::default();
        assert_eq!(
            search_link(
                &base,
                &all,
                &[(Dimension::Alliance, "tunnel"), (Dimension::Kind, "patent")]
            )
            .unwrap(),
            "/search?q=%E7%9B%BE%E6%9E%84&kind=patent&alliance=tunnel"
        );
        let years = StatsQuery::default().year(2024);
        assert_eq!(
            search_link(&base, &years, &[]).unwrap(),
            "/search?q=%E7%9B%BE%E6%9E%84&kind=method&year=2024"
        );
        assert_eq!(search_link(&base, &all, &[(Dimension::GrantYear, "2024")]), None);
        let open = StatsQuery {
            from: Some(2020),
            ..StatsQuery::default()
        };
        assert_eq!(search_link(&base, &open, &[]), None);
    }
}
