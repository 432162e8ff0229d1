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
    let parts = locate(text)?;
    let fields = parse_yaml(&text[parts.yaml.clone()])?;
    Ok((
        FrontMatter {
            fields,
            body_line: parts.body_line,
        },
        &text[parts.body..],
    ))
}

/// Where the parts of a file are, in bytes of the text as given.
struct Parts {
    yaml: std::ops::Range<usize>,
    body: usize,
    body_line: usize,
}

/// Finds the fences: the one reading of where front matter starts and
/// ends, used by parsing and by every rewrite of a file.
fn locate(text: &str) -> Result<Parts, SyntaxError> {
    let start = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let mut lines = text[start..].split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        return Err(SyntaxError {
            line: 1,
            message: "文件必须以一行 `---` 开头，后接 YAML 元数据（front matter），再以一行 `---` 结束".into(),
        });
    }
    let yaml_start = start + first.len();
    let mut offset = yaml_start;
    let mut line_no = 1;
    for line in lines {
        line_no += 1;
        if line.trim_end() == "---" {
            return Ok(Parts {
                yaml: yaml_start..offset,
                body: offset + line.len(),
                body_line: line_no + 1,
            });
        }
        offset += line.len();
    }
    Err(SyntaxError {
        line: 1,
        message: "元数据没有结束：找不到第二行 `---`".into(),
    })
}

/// Rewrites a file with the top-level fields `remove` taken out and `add`
/// appended, leaving every other line and the body as written; the fences
/// come out as plain `---` lines. The result is read back with `split`: if
/// it does not hold exactly the fields intended (a key written in a form
/// the line edit missed), the front matter is written anew from its
/// parsed values instead, so what is written is always what was meant.
pub fn with_fields(text: &str, remove: &[&str], add: &[(&str, Value)]) -> Result<String, SyntaxError> {
    let parts = locate(text)?;
    let original = parse_yaml(&text[parts.yaml.clone()])?;
    let body = &text[parts.body..];
    let mut wanted: Vec<(String, Value)> = original
        .into_iter()
        .filter(|(k, _, _)| !remove.contains(&k.as_str()))
        .map(|(k, v, _)| (k, v))
        .collect();
    wanted.extend(add.iter().map(|(k, v)| (k.to_string(), v.clone())));

    let mut yaml = without_keys(&text[parts.yaml], remove);
    if !yaml.is_empty() && !yaml.ends_with('\n') {
        yaml.push('\n');
    }
    for (key, value) in add {
        yaml.push_str(&entry(key, value)?);
    }
    let edited = format!("---\n{yaml}---\n{body}");
    if holds_exactly(&edited, &wanted) {
        return Ok(edited);
    }
    let mut mapping = Mapping::new();
    for (key, value) in &wanted {
        mapping.insert(Value::String(key.clone()), value.clone());
    }
    let yaml = if mapping.is_empty() {
        String::new()
    } else {
        to_yaml(&Value::Mapping(mapping))?
    };
    let rewritten = format!("---\n{yaml}---\n{body}");
    if holds_exactly(&rewritten, &wanted) {
        Ok(rewritten)
    } else {
        Err(SyntaxError {
            line: 1,
            message: "无法改写元数据：请检查 YAML 写法".into(),
        })
    }
}

fn to_yaml(value: &Value) -> Result<String, SyntaxError> {
    serde_yaml_ng::to_string(value).map_err(|e| SyntaxError {
        line: 1,
        message: format!("无法写出元数据：{e}"),
    })
}

/// One `key: value` entry as YAML, ending in a newline.
fn entry(key: &str, value: &Value) -> Result<String, SyntaxError> {
    let mut mapping = Mapping::new();
    mapping.insert(Value::String(key.to_string()), value.clone());
    to_yaml(&Value::Mapping(mapping))
}

fn holds_exactly(text: &str, wanted: &[(String, Value)]) -> bool {
    split(text).is_ok_and(|(fm, _)| {
        fm.fields.len() == wanted.len()
            && fm
                .fields
                .iter()
                .zip(wanted)
                .all(|((k, v, _), (wk, wv))| k == wk && v == wv)
    })
}

/// The YAML with the top-level entries named in `keys` left out: the key
/// line and every line that continues its value (indented, blank, a
/// comment, or a list item at the margin).
fn without_keys(yaml: &str, keys: &[&str]) -> String {
    let mut out = String::with_capacity(yaml.len());
    let mut skipping = false;
    for line in yaml.split_inclusive('\n') {
        let continues = line.starts_with([' ', '\t', '#', '-']) || line.trim().is_empty();
        if skipping && continues && !line.starts_with("---") {
            continue;
        }
        skipping = top_level_key(line).is_some_and(|k| keys.contains(&k));
        if !skipping {
            out.push_str(line);
        }
    }
    out
}

/// The key a top-level `key: value` line names, quoted or not.
fn top_level_key(line: &str) -> Option<&str> {
    if line.starts_with([' ', '\t', '#', '-']) {
        return None;
    }
    let (key, rest) = match line.chars().next()? {
        q @ ('"' | '\'') => {
            let end = line[1..].find(q)? + 1;
            (&line[1..end], &line[end + 1..])
        }
        _ => {
            let colon = line.find(':')?;
            (line[..colon].trim_end(), &line[colon..])
        }
    };
    rest.trim_start().starts_with(':').then_some(key)
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
    fn fields_are_replaced_whatever_the_fences_and_key_forms() {
        let pending = [("review", Value::String("pending".into()))];
        for text in [
            "---\ntitle: t\nkind: method\n---\n正文\n",
            "\u{feff}---\ntitle: t\nkind: method\n---\n正文\n",
            "--- \ntitle: t\nkind: method\n---  \n正文\n",
            "---\t\r\ntitle: t\r\nkind: method\r\n---\r\n正文\n",
            "---\ntitle: t\nreview: null\nkind: method\n---\n正文\n",
            "---\ntitle: t\n\"review\": returned\nkind: method\n---\n正文\n",
            "---\ntitle: t\n'review' : ok\nreview_comment: |\n  a\n  b\nkind: method\n---\n正文\n",
            "---\ntitle: t\nreview:\n- a\n- b\nkind: method\n---\n正文\n",
            "---\n{title: t, review: x, kind: method}\n---\n正文\n",
            "---\ntitle: t\n? review\n: x\nkind: method\n---\n正文\n",
        ] {
            let out = with_fields(text, &["review", "review_comment"], &pending).unwrap();
            let (fm, body) = split(&out).unwrap();
            let keys: Vec<&str> = fm.fields.iter().map(|(k, _, _)| k.as_str()).collect();
            assert_eq!(keys, ["title", "kind", "review"], "{text:?} -> {out:?}");
            assert_eq!(fm.get("review").and_then(|(v, _)| v.as_str()), Some("pending"));
            assert_eq!(body, "正文\n", "{text:?}");
        }
        let kept = "---\n# 注释\ntitle: t # 行尾注释\n---\n正文\n";
        assert_eq!(
            with_fields(kept, &["review"], &[]).unwrap(),
            "---\n# 注释\ntitle: t # 行尾注释\n---\n正文\n"
        );
    }

    #[test]
    fn crlf_and_bom_are_accepted() {
        let (fm, body) = split("\u{feff}---\r\ntitle: x\r\n---\r\nbody").unwrap();
        assert!(fm.get("title").is_some());
        assert_eq!(body, "body");
    }
}
