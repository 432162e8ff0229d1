//! How times are shown: in the server's time zone, Beijing time
//! (Asia/Shanghai, UTC+08:00) unless `zhihui serve --time-zone` says
//! otherwise. China has kept one offset all year since 1991, so a fixed
//! offset is exact there and no time zone database is needed; other
//! places are given as a fixed offset too (`+05:30`, `UTC`).

use time::{OffsetDateTime, UtcOffset};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    offset: UtcOffset,
}

impl Default for Clock {
    fn default() -> Clock {
        Clock {
            offset: crate::content::BEIJING,
        }
    }
}

impl Clock {
    /// `Asia/Shanghai` (and the other names of Beijing time), `UTC`, or
    /// a fixed offset `+HH:MM` / `-HH:MM`.
    pub fn parse(text: &str) -> Result<Clock, String> {
        let text = text.trim();
        match text {
            "Asia/Shanghai" | "Asia/Chongqing" | "Asia/Harbin" | "PRC" | "CST" | "北京时间" => {
                return Ok(Clock::default());
            }
            "UTC" | "Z" | "Etc/UTC" => return Ok(Clock { offset: UtcOffset::UTC }),
            _ => {}
        }
        let bad = || format!("无法识别的时区“{text}”：请写 Asia/Shanghai、UTC 或 +08:00 这样的固定时差");
        let (sign, rest) = match text.as_bytes().first() {
            Some(b'+') => (1, &text[1..]),
            Some(b'-') => (-1, &text[1..]),
            _ => return Err(bad()),
        };
        let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
        let h: i8 = h.parse().map_err(|_| bad())?;
        let m: i8 = m.parse().map_err(|_| bad())?;
        if !(0..=14).contains(&h) || !(0..60).contains(&m) {
            return Err(bad());
        }
        let offset = UtcOffset::from_hms(sign * h, sign * m, 0).map_err(|_| bad())?;
        Ok(Clock { offset })
    }

    /// `YYYY-MM-DD HH:MM` in the server's zone, for seconds since 1970.
    pub fn format(&self, secs: u64) -> String {
        let at = i64::try_from(secs)
            .ok()
            .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
            .to_offset(self.offset);
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute()
        )
    }

    /// The zone's name as shown beside times: 北京时间, or the offset.
    pub fn label(&self) -> String {
        if *self == Clock::default() {
            return "北京时间".into();
        }
        let (h, m, _) = self.offset.as_hms();
        if (h, m) == (0, 0) {
            return "UTC".into();
        }
        let sign = if self.offset.is_negative() { '-' } else { '+' };
        format!("UTC{sign}{:02}:{:02}", h.unsigned_abs(), m.unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_time_by_default_and_fixed_offsets_otherwise() {
        let beijing = Clock::default();
        assert_eq!(beijing.format(0), "1970-01-01 08:00");
        // 22:13 UTC is the next morning in Beijing.
        assert_eq!(beijing.format(1_700_000_000), "2023-11-15 06:13");
        assert_eq!(beijing.label(), "北京时间");
        assert_eq!(Clock::parse("Asia/Shanghai"), Ok(beijing));
        assert_eq!(Clock::parse("+08:00"), Ok(beijing));
        let utc = Clock::parse("UTC").unwrap();
        assert_eq!(utc.format(1_700_000_000), "2023-11-14 22:13");
        assert_eq!(utc.label(), "UTC");
        let india = Clock::parse("+05:30").unwrap();
        assert_eq!(india.format(1_700_000_000), "2023-11-15 03:43");
        assert_eq!(india.label(), "UTC+05:30");
        let west = Clock::parse("-03:30").unwrap();
        assert_eq!(west.format(1_700_000_000), "2023-11-14 18:43");
        assert_eq!(west.label(), "UTC-03:30");
        for bad in ["Europe/Paris", "+15:00", "+08:60", "8", "", "+ab"] {
            assert!(Clock::parse(bad).is_err(), "{bad}");
        }
    }
}
