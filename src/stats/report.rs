//! The annual report (年度总结) of the union or of one alliance: the
//! headline sentences staff write every year ("获省部级以上奖励…项、授权
//! 发明专利…项……创造经济效益…万元"), built from the year's figures, a
//! table per alliance, the figures by kind and the change against the
//! previous year. Everything comes from `Engine::stats`, so it holds only
//! what the viewer may see.

use std::collections::BTreeMap;

use super::{Dimension, Measures, StatsQuery, StatsTable, star_word};
use crate::auth::Viewer;
use crate::content::load::Profiles;
use crate::search::{Engine, FacetField, SearchError, SearchRequest};

/// Everything a year's report shows.
#[derive(Debug, Clone)]
pub struct AnnualReport {
    pub year: i32,
    /// The alliance reported on (`None`: all of them).
    pub alliance: Option<String>,
    /// Who the report is about: an alliance's name or 全部联盟.
    pub subject: String,
    /// Studios by stars (most first), from the studio profiles.
    pub studios_by_stars: Vec<(u8, usize)>,
    pub studios: usize,
    pub this_year: Measures,
    pub last_year: Measures,
    /// This year's figures by alliance and by kind.
    pub by_alliance: StatsTable,
    pub by_kind: StatsTable,
    /// QC results with an award at provincial level or above this year.
    pub qc_high_awards: u64,
    pub sentences: Vec<String>,
}

/// One line of the comparison with the previous year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub label: &'static str,
    pub this_year: String,
    pub last_year: String,
    /// `+3`, `-1`, `0`, with the percentage when last year's is not zero.
    pub change: String,
}

impl AnnualReport {
    pub fn build(
        engine: &Engine,
        viewer: &Viewer,
        year: i32,
        alliance: Option<&str>,
    ) -> Result<AnnualReport, SearchError> {
        let profiles = engine.snapshot().profiles.clone();
        let request = match alliance {
            Some(a) => SearchRequest::filtered(FacetField::Alliance, a),
            None => SearchRequest::default(),
        };
        let this = StatsQuery::default().year(year);
        let last = StatsQuery::default().year(year - 1);
        let by_alliance = engine.stats(
            &request,
            viewer,
            &StatsQuery {
                by: vec![Dimension::Alliance],
                ..this.clone()
            },
        )?;
        let by_kind = engine.stats(
            &request,
            viewer,
            &StatsQuery {
                by: vec![Dimension::Kind],
                ..this.clone()
            },
        )?;
        let by_category = engine.stats(
            &request,
            viewer,
            &StatsQuery {
                by: vec![Dimension::Category],
                ..this.clone()
            },
        )?;
        let qc_high_awards = by_category.group(&["qc"]).map_or(0, |m| m.awarded_high);
        let this_year = by_kind.total.clone();
        let last_year = engine.stats(&request, viewer, &last)?.total;
        let (studios, studios_by_stars) = studio_counts(&profiles, alliance);
        let subject = match alliance {
            Some(a) => Dimension::Alliance.label(a, &profiles),
            None => "全部联盟".to_string(),
        };
        let mut report = AnnualReport {
            year,
            alliance: alliance.map(str::to_string),
            subject,
            studios_by_stars,
            studios,
            this_year,
            last_year,
            by_alliance,
            by_kind,
            qc_high_awards,
            sentences: Vec::new(),
        };
        report.sentences = report.headlines();
        Ok(report)
    }

    /// The headline sentences, in the seed articles' order and style.
    fn headlines(&self) -> Vec<String> {
        let m = &self.this_year;
        let mut out = Vec::new();
        if self.studios > 0 {
            let stars: Vec<String> = self
                .studios_by_stars
                .iter()
                .filter(|(s, _)| *s > 0)
                .map(|(s, n)| format!("{}星级{n}个", star_word(*s as usize)))
                .collect();
            let detail = if stars.is_empty() {
                String::new()
            } else {
                format!("，其中{}", stars.join("、"))
            };
            out.push(format!("{}现有创新工作室{}个{detail}。", self.subject, self.studios));
        }
        let kinds: Vec<String> = self
            .by_kind
            .groups
            .iter()
            .filter(|g| g.measures.count > 0)
            .map(|g| {
                format!(
                    "{}{}项",
                    Dimension::Kind.label(&g.key[0], &Profiles::default()),
                    g.measures.count
                )
            })
            .collect();
        let kinds = if kinds.is_empty() {
            String::new()
        } else {
            format!("（{}）", kinds.join("、"))
        };
        out.push(format!("{}年，新增各类成果{}项{kinds}。", self.year, m.count));
        let national = if m.awards[0] > 0 {
            format!("（其中国家级{}项）", m.awards[0])
        } else {
            String::new()
        };
        let qc = if self.qc_high_awards > 0 {
            format!("，省部级以上QC成果{}项", self.qc_high_awards)
        } else {
            String::new()
        };
        out.push(format!(
            "获省部级以上奖励{}项{national}{qc}，授权发明专利{}项、实用新型专利{}项，形成省部级以上工法{}项。",
            m.high_awards(),
            m.granted[0],
            m.granted[1],
            m.high_methods()
        ));
        out.push(format!(
            "解决生产难题{}个，成果在{}个项目推广应用{}次，创造经济效益{}。",
            m.solved,
            m.projects,
            m.adoptions,
            m.benefit.headline()
        ));
        let last = &self.last_year;
        if !last.is_empty() {
            out.push(format!(
                "与{}年相比，新增成果{}，省部级以上奖励{}，经济效益{}。",
                self.year - 1,
                change_words(m.count as i64, last.count as i64, "项"),
                change_words(m.high_awards() as i64, last.high_awards() as i64, "项"),
                money_change(m.benefit.0, last.benefit.0)
            ));
        }
        out
    }

    /// This year against the previous one, figure by figure.
    pub fn changes(&self) -> Vec<Change> {
        let (a, b) = (&self.this_year, &self.last_year);
        let count = |label, x: u64, y: u64| Change {
            label,
            this_year: x.to_string(),
            last_year: y.to_string(),
            change: signed(x as i64 - y as i64, y as i64, x as i64),
        };
        vec![
            count("新增成果", a.count, b.count),
            count("省部级以上奖励", a.high_awards(), b.high_awards()),
            count("授权发明专利", a.granted[0], b.granted[0]),
            count("授权实用新型专利", a.granted[1], b.granted[1]),
            count("省部级以上工法", a.high_methods(), b.high_methods()),
            count("解决生产难题", a.solved, b.solved),
            count("推广应用（次）", a.adoptions, b.adoptions),
            Change {
                label: "经济效益（万元）",
                this_year: a.benefit.to_string(),
                last_year: b.benefit.to_string(),
                change: {
                    let d = super::Wan(a.benefit.0 - b.benefit.0);
                    let sign = if d.0 > 0 { "+" } else { "" };
                    format!("{sign}{d}{}", percent(d.0, b.benefit.0))
                },
            },
        ]
    }
}

fn percent(delta: i64, base: i64) -> String {
    if base == 0 {
        return String::new();
    }
    // Tenths of a percent, rounded half away from zero, in integers.
    let tenths = (delta * 1000 * 2 + base.signum() * delta.signum() * base.abs()) / (2 * base);
    let sign = if tenths > 0 { "+" } else { "" };
    format!("（{sign}{}.{}%）", tenths / 10, (tenths % 10).abs())
}

fn signed(delta: i64, base: i64, _now: i64) -> String {
    let sign = if delta > 0 { "+" } else { "" };
    format!("{sign}{delta}{}", percent(delta, base))
}

fn change_words(now: i64, before: i64, unit: &str) -> String {
    match now - before {
        0 => "持平".to_string(),
        d if d > 0 => format!("增加{d}{unit}"),
        d => format!("减少{}{unit}", -d),
    }
}

fn money_change(now: i64, before: i64) -> String {
    match now - before {
        0 => "持平".to_string(),
        d if d > 0 => format!("增加{}", super::Wan(d).headline()),
        d => format!("减少{}", super::Wan(-d).headline()),
    }
}

/// Studios of an alliance (or all), and how many have each number of stars.
fn studio_counts(profiles: &Profiles, alliance: Option<&str>) -> (usize, Vec<(u8, usize)>) {
    let mut by_stars: BTreeMap<u8, usize> = BTreeMap::new();
    let mut total = 0;
    for s in profiles.studios.values() {
        if alliance.is_some_and(|a| !s.alliances.iter().any(|x| x == a)) {
            continue;
        }
        total += 1;
        *by_stars.entry(s.stars).or_default() += 1;
    }
    (total, by_stars.into_iter().rev().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headlines_follow_the_figures() {
        let table = |by| StatsTable {
            query: StatsQuery::by(&[by]),
            groups: Vec::new(),
            total: Measures::default(),
        };
        let this_year = Measures {
            count: 12,
            benefit: super::super::Wan(1_234_560_000),
            awards: [2, 5, 1, 0],
            granted: [3, 7, 0],
            methods: [1, 2, 4],
            solved: 9,
            adoptions: 11,
            projects: 6,
            ..Measures::default()
        };
        let mut report = AnnualReport {
            year: 2024,
            alliance: None,
            subject: "全部联盟".into(),
            studios_by_stars: vec![(5, 2), (3, 1), (0, 1)],
            studios: 4,
            this_year,
            last_year: Measures::default(),
            by_alliance: table(Dimension::Alliance),
            by_kind: table(Dimension::Kind),
            qc_high_awards: 3,
            sentences: Vec::new(),
        };
        let text = report.headlines().join("");
        assert!(
            text.contains("全部联盟现有创新工作室4个，其中五星级2个、三星级1个。"),
            "{text}"
        );
        assert!(text.contains("获省部级以上奖励7项（其中国家级2项），省部级以上QC成果3项，授权发明专利3项、实用新型专利7项，形成省部级以上工法3项。"), "{text}");
        assert!(
            text.contains("解决生产难题9个，成果在6个项目推广应用11次，创造经济效益12.3456亿元。"),
            "{text}"
        );
        assert!(!text.contains("与2023年相比"), "no comparison with an empty year");
        report.qc_high_awards = 0;
        report.last_year.count = 12;
        let text = report.headlines().join("");
        assert!(
            !text.contains("QC") && text.contains("与2023年相比，新增成果持平"),
            "{text}"
        );
    }

    #[test]
    fn changes_are_signed_with_exact_percentages() {
        assert_eq!(signed(3, 6, 9), "+3（+50.0%）");
        assert_eq!(signed(-1, 3, 2), "-1（-33.3%）");
        assert_eq!(signed(2, 0, 2), "+2");
        assert_eq!(signed(0, 4, 4), "0（0.0%）");
        assert_eq!(change_words(5, 5, "项"), "持平");
        assert_eq!(change_words(3, 5, "项"), "减少2项");
        assert_eq!(money_change(2_000_000_000, 0), "增加20亿元");
    }
}
