//! Splitting a file into YAML front matter and Markdown body, and reading
//! the YAML into a map whose keys remember their line in the file.
//!
//! It does not know which fields exist: `validate` decides that.

use serde_yaml_ng::{Mapping, Value};

/// Front matter read from a file, each top-level key with its 1-based line.
#[derive(Debug, Clone)]
pub struct FrontMatter {
    pub fields: Vec<(String, Value, usize)>,
    /// Line of the body's first line (after the closing `---`).
    pub body_line: usize,
}

impl FrontMatter {
    pub fn get(&self, key: &str) -> Option<(&Value, usize)> {
        self.fields.iter().find(|(k, _, _)| k == key).map(|(_, v, l)| (v, *l))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub message: String,
}

/// Splits `text` into its front matter and body.
pub fn split(text: &str) -> Result<(FrontMatter, &str), SyntaxError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        return Err(SyntaxError {
            line: 1,
            message: "文件必须以一行 `---` 开头，后接 YAML 元数据（front matter），再以一行 `---` 结束".into(),
        });
    }
    let yaml_start = first.len();
    let mut offset = yaml_start;
    let mut line_no = 1;
    for line in lines {
        line_no += 1;
        if line.trim_end() == "---" {
            let yaml = &text[yaml_start..offset];
            let body = &text[offset + line.len()..];
            let fields = parse_yaml(yaml)?;
            return Ok((
                FrontMatter {
                    fields,
                    body_line: line_no + 1,
                },
                body,
            ));
        }
        offset += line.len();
    }
    Err(SyntaxError {
        line: 1,
        message: "元数据没有结束：找不到第二行 `---`".into(),
    })
}

fn parse_yaml(yaml: &str) -> Result<Vec<(String, Value, usize)>, SyntaxError> {
    if yaml.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mapping: Mapping = serde_yaml_ng::from_str(yaml).map_err(|e| SyntaxError {
        // +1 for the opening `---` line.
        line: e.location().map(|l| l.line() + 1).unwrap_or(1),
        message: format!("YAML 语法错误：{}", strip_location(&e.to_string())),
    })?;
    let mut fields = Vec::with_capacity(mapping.len());
    for (key, value) in mapping {
        let key = match key {
            Value::String(s) => s,
            other => serde_yaml_ng::to_string(&other).unwrap_or_default().trim().to_string(),
        };
        let line = key_line(yaml, &key).map(|l| l + 1).unwrap_or(1);
        fields.push((key, value, line));
    }
    Ok(fields)
}

/// serde_yaml's messages end in "at line N column M", which we report ourselves.
fn strip_location(message: &str) -> &str {
    message.split(" at line ").next().unwrap_or(message)
}

/// The 1-based line (within the YAML) of a top-level key.
fn key_line(yaml: &str, key: &str) -> Option<usize> {
    yaml.lines()
        .position(|l| {
            let unquoted = l.trim_start_matches(['"', '\'']);
            !l.starts_with([' ', '\t', '#', '-'])
                && unquoted.starts_with(key)
                && unquoted[key.len()..]
                    .trim_start_matches(['"', '\''])
                    .trim_start()
                    .starts_with(':')
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_remembers_lines() {
        let (fm, body) = split("---\ntitle: 标题\ntags: [a, b]\n---\n正文\n").unwrap();
        assert_eq!(body, "正文\n");
        assert_eq!(fm.get("title").map(|(_, l)| l), Some(2));
        assert_eq!(fm.get("tags").map(|(_, l)| l), Some(3));
        assert_eq!(fm.body_line, 5);
    }

    #[test]
    fn missing_delimiters_are_reported() {
        assert_eq!(split("title: x\n").unwrap_err().line, 1);
        assert!(split("---\ntitle: x\n").unwrap_err().message.contains("---"));
    }

    #[test]
    fn yaml_errors_carry_the_file_line() {
        let err = split("---\ntitle: a\ntags: [a, b\nkind: x\n---\n").unwrap_err();
        assert!(err.line >= 3, "{err:?}");
        assert!(err.message.starts_with("YAML"));
    }

    #[test]
    fn crlf_and_bom_are_accepted() {
        let (fm, body) = split("\u{feff}---\r\ntitle: x\r\n---\r\nbody").unwrap();
        assert!(fm.get("title").is_some());
        assert_eq!(body, "body");
    }
}
