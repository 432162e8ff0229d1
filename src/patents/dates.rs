//! The dates of a patent under Chinese patent law, as pure functions of
//! its type, filing date and status: when its term ends, when the next
//! annual fee falls due, and how long an application has waited.
//!
//! Every term runs from the filing date (专利法第四十二条): an invention
//! 20 years, a utility model 10, a design 10 years, or 15 for a design
//! filed on or after 2021-06-01 (the fourth amendment). Annual fees fall
//! due each year on the filing anniversary while the patent is in force.
//! An anniversary of a 29 February filing falls on 28 February in a
//! common year, the last day of that month.

use time::{Date, Month};

/// The kind of patent, which decides its term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatentType {
    Invention,
    Utility,
    Design,
}

impl PatentType {
    /// From the content format's `patent_type` value.
    pub fn parse(value: &str) -> Option<PatentType> {
        match value {
            "invention" => Some(PatentType::Invention),
            "utility" => Some(PatentType::Utility),
            "design" => Some(PatentType::Design),
            _ => None,
        }
    }
}

/// The first filing date of designs with a 15-year term.
pub fn design_15_from() -> Date {
    Date::from_calendar_date(2021, Month::June, 1).unwrap_or(Date::MIN)
}

/// A `YYYY-MM-DD` date as the content format writes it.
pub fn parse_date(text: &str) -> Option<Date> {
    let mut parts = text.trim().splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// How many years the term runs.
pub fn term_years(kind: PatentType, filing: Date) -> i32 {
    match kind {
        PatentType::Invention => 20,
        PatentType::Utility => 10,
        PatentType::Design if filing >= design_15_from() => 15,
        PatentType::Design => 10,
    }
}

/// The same day and month `years` later, or the month's last day when
/// that year has no such day (29 February in a common year).
pub fn anniversary(date: Date, years: i32) -> Date {
    let year = date.year() + years;
    let month = date.month();
    let day = date.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).unwrap_or(Date::MAX)
}

/// The day the term runs out: the anniversary of filing in its last year.
pub fn term_end(kind: PatentType, filing: Date) -> Date {
    anniversary(filing, term_years(kind, filing))
}

/// Only a granted patent is in force and pays annual fees; a pending
/// application pays none yet, and an expired, rejected or withdrawn one
/// never again.
pub fn in_force(status: &str) -> bool {
    status == "granted"
}

/// The next annual-fee date on or after `today`: the next filing
/// anniversary while a granted patent's term runs; `None` for any other
/// status or once the term has ended.
pub fn next_fee(kind: PatentType, filing: Date, status: &str, today: Date) -> Option<Date> {
    if !in_force(status) {
        return None;
    }
    let end = term_end(kind, filing);
    let mut years = (today.year() - filing.year()).max(1);
    let mut due = anniversary(filing, years);
    while due < today {
        years += 1;
        due = anniversary(filing, years);
    }
    (due < end).then_some(due)
}

/// Days a pending application has waited since filing; `None` unless
/// it is pending.
pub fn days_pending(filing: Date, status: &str, today: Date) -> Option<i64> {
    (status == "pending").then(|| (today - filing).whole_days())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        parse_date(text).unwrap()
    }

    #[test]
    fn each_type_has_its_term() {
        let filed = d("2015-03-10");
        assert_eq!(term_end(PatentType::Invention, filed), d("2035-03-10"));
        assert_eq!(term_end(PatentType::Utility, filed), d("2025-03-10"));
        assert_eq!(term_end(PatentType::Design, filed), d("2025-03-10"));
    }

    #[test]
    fn a_design_filed_from_2021_06_01_runs_fifteen_years() {
        assert_eq!(term_end(PatentType::Design, d("2021-05-31")), d("2031-05-31"));
        assert_eq!(term_end(PatentType::Design, d("2021-06-01")), d("2036-06-01"));
        assert_eq!(term_end(PatentType::Design, d("2023-11-20")), d("2038-11-20"));
        // Utility models kept 10 years through the same amendment.
        assert_eq!(term_end(PatentType::Utility, d("2021-06-01")), d("2031-06-01"));
    }

    #[test]
    fn a_leap_day_filing_falls_on_28_february_in_common_years() {
        let filed = d("2020-02-29");
        assert_eq!(term_end(PatentType::Invention, filed), d("2040-02-29"));
        assert_eq!(term_end(PatentType::Utility, filed), d("2030-02-28"));
        assert_eq!(term_end(PatentType::Design, filed), d("2030-02-28"));
        assert_eq!(
            next_fee(PatentType::Invention, filed, "granted", d("2026-12-07")),
            Some(d("2027-02-28"))
        );
        assert_eq!(
            next_fee(PatentType::Invention, filed, "granted", d("2027-03-01")),
            Some(d("2028-02-29"))
        );
        assert_eq!(anniversary(filed, 1), d("2021-02-28"));
    }

    #[test]
    fn the_fee_falls_on_the_next_anniversary_while_in_force() {
        let filed = d("2019-09-15");
        let kind = PatentType::Utility;
        assert_eq!(next_fee(kind, filed, "granted", d("2026-12-07")), Some(d("2027-09-15")));
        assert_eq!(next_fee(kind, filed, "granted", d("2026-09-15")), Some(d("2026-09-15")));
        assert_eq!(next_fee(kind, filed, "granted", d("2026-09-16")), Some(d("2027-09-15")));
        // The last anniversary is the term's end: nothing is paid for it.
        assert_eq!(next_fee(kind, filed, "granted", d("2028-09-16")), None);
        // Granted the same year it was filed: the first fee is a year on.
        assert_eq!(
            next_fee(PatentType::Invention, d("2026-01-05"), "granted", d("2026-06-01")),
            Some(d("2027-01-05"))
        );
    }

    #[test]
    fn no_fee_date_unless_granted() {
        let filed = d("2020-05-01");
        for status in ["pending", "expired", "rejected", "withdrawn", ""] {
            assert_eq!(
                next_fee(PatentType::Invention, filed, status, d("2026-12-07")),
                None,
                "{status}"
            );
        }
    }

    #[test]
    fn pending_days_count_from_filing() {
        assert_eq!(days_pending(d("2024-12-07"), "pending", d("2026-12-07")), Some(730));
        assert_eq!(days_pending(d("2024-12-07"), "granted", d("2026-12-07")), None);
    }

    #[test]
    fn dates_are_read_as_written() {
        assert_eq!(parse_date("2021-06-01"), Some(design_15_from()));
        assert_eq!(parse_date("2021-02-29"), None);
        assert_eq!(parse_date("2021-13-01"), None);
        assert_eq!(parse_date("soon"), None);
    }
}
