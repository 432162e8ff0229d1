//! The query mix: what people type (1–3 words, filters, facets browsing,
//! newest first, phrases, codes), the same for our engine, the bare
//! engine and HTTP.

use std::collections::BTreeMap;

use zhihui::search::{FacetField, SearchRequest, Sort};

use crate::generator;

#[derive(Debug, Clone)]
pub struct QuerySpec {
    pub category: &'static str,
    pub q: String,
    pub filters: Vec<(&'static str, String)>,
    pub sort: &'static str,
}

pub const CATEGORIES: &[&str] = &[
    "1 word",
    "common word",
    "2-3 words",
    "filters",
    "facets",
    "newest",
    "phrase",
    "code",
];

fn spec(category: &'static str, q: &str, filters: &[(&'static str, &str)], sort: &'static str) -> QuerySpec {
    QuerySpec {
        category,
        q: q.to_string(),
        filters: filters.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        sort,
    }
}

impl QuerySpec {
    pub fn request(&self) -> SearchRequest {
        let mut filters: BTreeMap<FacetField, Vec<String>> = BTreeMap::new();
        for (name, value) in &self.filters {
            if let Some(field) = FacetField::parse(name) {
                filters.entry(field).or_default().push(value.clone());
            }
        }
        SearchRequest {
            q: self.q.clone(),
            filters,
            sort: Sort::parse(self.sort).unwrap_or_default(),
            page: 1,
            per_page: 10,
            facet_limit: 10,
        }
    }

    pub fn url(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("q", &self.q);
        for (name, value) in &self.filters {
            query.append_pair(name, value);
        }
        if self.sort != "relevance" {
            query.append_pair("sort", self.sort);
        }
        format!("/api/search?{}", query.finish())
    }

    pub fn label(&self) -> String {
        let mut label = if self.q.is_empty() {
            "(all)".to_string()
        } else {
            self.q.clone()
        };
        for (k, v) in &self.filters {
            label.push_str(&format!(" {k}={v}"));
        }
        if self.sort != "relevance" {
            label.push_str(&format!(" sort={}", self.sort));
        }
        label
    }
}

/// The mix over a generated corpus; the codes are real ones of its first
/// records.
pub fn synthetic(seed: u64, records: u64) -> Vec<QuerySpec> {
    let (patents, methods) = generator::sample_codes(seed, records);
    let r = "relevance";
    let mut mix = vec![
        spec("1 word", "盾构", &[], r),
        spec("1 word", "接触网", &[], r),
        spec("1 word", "挂篮", &[], r),
        spec("1 word", "注浆", &[], r),
        spec("1 word", "一次合格率", &[], r),
        spec("1 word", "钢轨", &[], r),
        spec("2-3 words", "盾构 管片 错台", &[], r),
        spec("2-3 words", "接触网 吊弦", &[], r),
        spec("2-3 words", "同步注浆 沉降", &[], r),
        spec("2-3 words", "支座 同步顶升", &[], r),
        spec("2-3 words", "深基坑 监测", &[], r),
        spec("2-3 words", "焊接机器人 焊缝", &[], r),
        spec("filters", "注浆", &[("kind", "method")], r),
        spec("filters", "接触网", &[("year", "2023")], r),
        spec("filters", "管片", &[("studio", "tunnel-zhang")], r),
        spec("filters", "张拉", &[("alliance", "bridge")], r),
        spec("filters", "焊缝", &[("kind", "patent"), ("status", "granted")], r),
        spec("filters", "tag:盾构 沉降", &[], r),
        spec("facets", "", &[], r),
        spec("facets", "", &[("kind", "patent")], r),
        spec("facets", "", &[("alliance", "tunnel")], r),
        spec("facets", "施工 质量", &[], r),
        spec("newest", "盾构", &[], "newest"),
        spec("newest", "", &[("kind", "method")], "newest"),
        spec("newest", "接触网 吊弦", &[], "newest"),
        spec("phrase", "\"管片错台\"", &[], r),
        spec("phrase", "\"同步注浆\"", &[], r),
        spec("phrase", "\"一次合格率\"", &[], r),
        spec("phrase", "\"接触网吊弦\"", &[], r),
        spec("code", "E21D 11/08", &[], r),
    ];
    for code in patents.iter().take(2).chain(methods.iter().take(2)) {
        mix.push(spec("code", code, &[], r));
    }
    mix
}

/// Single words found in half or more of the generated records (`--words`):
/// what a broad search costs when nearly everything matches.
pub fn common_words() -> Vec<QuerySpec> {
    ["技术", "施工", "质量", "效率", "监测", "优化", "安全", "工艺"]
        .iter()
        .map(|w| spec("common word", w, &[], "relevance"))
        .collect()
}

/// The mix over the lawrefbook corpus (no codes there).
pub fn lawref() -> Vec<QuerySpec> {
    let r = "relevance";
    vec![
        spec("1 word", "专利", &[], r),
        spec("1 word", "铁路", &[], r),
        spec("1 word", "安全生产", &[], r),
        spec("1 word", "消防", &[], r),
        spec("1 word", "环境保护", &[], r),
        spec("1 word", "劳动合同", &[], r),
        spec("2-3 words", "建设工程 质量", &[], r),
        spec("2-3 words", "电力 设施 保护", &[], r),
        spec("2-3 words", "招标 投标", &[], r),
        spec("2-3 words", "道路 交通 安全", &[], r),
        spec("2-3 words", "合理化建议 奖励", &[], r),
        spec("2-3 words", "知识产权 保护", &[], r),
        spec("filters", "安全", &[("kind", "method")], r),
        spec("filters", "条例", &[("year", "2020")], r),
        spec("filters", "管理", &[("studio", "tunnel-zhang")], r),
        spec("filters", "保护", &[("alliance", "bridge")], r),
        spec("facets", "", &[], r),
        spec("facets", "", &[("kind", "problem")], r),
        spec("facets", "", &[("alliance", "tunnel")], r),
        spec("facets", "人民政府 管理", &[], r),
        spec("newest", "铁路", &[], "newest"),
        spec("newest", "", &[("kind", "method")], "newest"),
        spec("newest", "安全 生产", &[], "newest"),
        spec("phrase", "\"建设工程质量管理条例\"", &[], r),
        spec("phrase", "\"安全生产\"", &[], r),
        spec("phrase", "\"合理化建议\"", &[], r),
        spec("phrase", "\"第十条\"", &[], r),
    ]
}
