//! Typed reading of front matter fields, collecting every problem with its
//! line instead of stopping at the first.

use std::collections::BTreeSet;

use serde_yaml_ng::Value;

use super::front_matter::FrontMatter;
use super::{Choice, Date, Problem, Severity};

pub struct FieldReader<'a> {
    fm: &'a FrontMatter,
    used: BTreeSet<&'static str>,
    pub problems: Vec<Problem>,
}

impl<'a> FieldReader<'a> {
    pub fn new(fm: &'a FrontMatter) -> Self {
        FieldReader {
            fm,
            used: BTreeSet::new(),
            problems: Vec::new(),
        }
    }

    pub fn error(&mut self, field: &str, line: usize, message: impl Into<String>) {
        self.problems.push(Problem::new(Severity::Error, line, field, message));
    }

    pub fn line_of(&self, key: &str) -> usize {
        self.fm.get(key).map(|(_, l)| l).unwrap_or(1)
    }

    fn value(&mut self, key: &'static str) -> Option<(&'a Value, usize)> {
        self.used.insert(key);
        match self.fm.get(key) {
            Some((Value::Null, _)) | None => None,
            Some(found) => Some(found),
        }
    }

    fn require<T>(&mut self, key: &'static str, found: Option<T>) -> Option<T> {
        if found.is_none() && !self.problems.iter().any(|p| p.field == key) {
            self.error(key, 1, "缺少必填字段");
        }
        found
    }

    pub fn string(&mut self, key: &'static str, max_chars: usize) -> Option<String> {
        let (value, line) = self.value(key)?;
        let text = match value {
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => {
                self.error(key, line, "应为一段文字");
                return None;
            }
        };
        if text.is_empty() {
            self.error(key, line, "不能为空");
            return None;
        }
        let count = text.chars().count();
        if count > max_chars {
            self.error(key, line, format!("过长：{count} 个字符，最多 {max_chars} 个"));
            return None;
        }
        Some(text)
    }

    pub fn required_string(&mut self, key: &'static str, max_chars: usize) -> Option<String> {
        let found = self.string(key, max_chars);
        self.require(key, found)
    }

    pub fn choice(&mut self, key: &'static str, allowed: &[Choice]) -> Option<String> {
        let line = self.line_of(key);
        let text = self.string(key, 100)?;
        if super::spec::is_choice(allowed, &text) {
            Some(text)
        } else {
            self.error(
                key,
                line,
                format!("“{text}”不是可选值，应为 {} 之一", super::spec::values(allowed)),
            );
            None
        }
    }

    pub fn date(&mut self, key: &'static str) -> Option<Date> {
        let line = self.line_of(key);
        let text = self.string(key, 40)?;
        match Date::parse(&text) {
            Some(d) => Some(d),
            None => {
                self.error(
                    key,
                    line,
                    format!("“{text}”不是有效日期，应写成 YYYY-MM-DD，例如 2023-06-18"),
                );
                None
            }
        }
    }

    pub fn required_date(&mut self, key: &'static str) -> Option<Date> {
        let found = self.date(key);
        self.require(key, found)
    }

    pub fn number(&mut self, key: &'static str) -> Option<f64> {
        let (value, line) = self.value(key)?;
        let number = match value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match number {
            Some(n) if n.is_finite() && n >= 0.0 => Some(n),
            _ => {
                self.error(key, line, "应为不小于 0 的数字（单位：万元），例如 85.6");
                None
            }
        }
    }

    pub fn integer(&mut self, key: &'static str, min: i64, max: i64) -> Option<i64> {
        let (value, line) = self.value(key)?;
        let number = match value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        match number {
            Some(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                self.error(key, line, format!("应为 {min} 到 {max} 之间的整数"));
                None
            }
        }
    }

    /// A list of strings; a single string is accepted as a list of one.
    pub fn string_list(&mut self, key: &'static str) -> Vec<String> {
        let Some((value, line)) = self.value(key) else {
            return Vec::new();
        };
        match value {
            Value::String(s) => vec![s.trim().to_string()],
            Value::Sequence(items) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        Value::String(s) if !s.trim().is_empty() => out.push(s.trim().to_string()),
                        Value::Number(n) => out.push(n.to_string()),
                        _ => self.error(key, line, "列表中的每一项都应为一段文字，例如 [盾构, 管片]"),
                    }
                }
                out
            }
            _ => {
                self.error(key, line, "应为列表，例如 [盾构, 管片]");
                Vec::new()
            }
        }
    }

    /// A list of mappings, each handed to `read` with the list's line.
    pub fn object_list<T>(
        &mut self,
        key: &'static str,
        mut read: impl FnMut(&mut Self, &serde_yaml_ng::Mapping, usize) -> Option<T>,
    ) -> Vec<T> {
        let Some((value, line)) = self.value(key) else {
            return Vec::new();
        };
        let Value::Sequence(items) = value else {
            self.error(key, line, "应为列表，每项写成 {…} 或以“- ”开头的一组字段");
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            match item {
                Value::Mapping(map) => out.extend(read(self, map, line)),
                _ => self.error(
                    key,
                    line,
                    "列表中的每一项都应为一组字段，例如 {name: …, level: …, year: 2023}",
                ),
            }
        }
        out
    }

    /// Fields present in the file that nothing read: kept, but warned about.
    pub fn finish(mut self) -> (Vec<Problem>, Vec<(String, Value)>) {
        let mut unknown = Vec::new();
        for (key, value, line) in &self.fm.fields {
            if !self.used.contains(key.as_str()) {
                self.problems.push(Problem::new(
                    Severity::Warning,
                    *line,
                    key,
                    "未知字段：已保留，但不会被检索或展示（是否拼写错误？）",
                ));
                unknown.push((key.clone(), value.clone()));
            }
        }
        (self.problems, unknown)
    }

    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.fm.get(key).map(|(v, _)| v)
    }

    pub fn mark_used(&mut self, key: &'static str) {
        self.used.insert(key);
    }
}

pub fn map_str(map: &serde_yaml_ng::Mapping, key: &str) -> Option<String> {
    match map.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub fn map_int(map: &serde_yaml_ng::Mapping, key: &str) -> Option<i64> {
    match map.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
