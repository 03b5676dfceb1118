//! Errors in a model file, located by file, line, column and key.
//!
//! Every problem a user can make in a model (syntax, unknown key, bad unit,
//! a call to an operation that does not exist, ...) becomes one [`ModelError`]
//! that prints like a compiler diagnostic: where, what, and how to fix it.

use std::fmt;
use std::ops::Range;

/// A problem in a model file, with its location and a hint on how to fix it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelError {
    /// The model file's path as the user gave it.
    pub file: String,
    /// 1-based line, when the problem has a place in the file.
    pub line: Option<usize>,
    /// 1-based column (in characters).
    pub column: Option<usize>,
    /// Dotted key path, e.g. `services.api.threads`.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// The offending source line and a caret under the problem.
    pub snippet: Option<String>,
}

impl ModelError {
    /// An error without a place in the file (e.g. the file cannot be read).
    pub fn new(file: &str, message: impl Into<String>) -> Self {
        ModelError {
            file: file.to_string(),
            line: None,
            column: None,
            key: None,
            message: message.into(),
            hint: None,
            snippet: None,
        }
    }

    /// An error located at a byte span of the model text.
    pub fn at(file: &str, source: &str, span: Option<Range<usize>>, message: impl Into<String>) -> Self {
        let mut err = ModelError::new(file, message);
        if let Some(span) = span {
            let start = span.start.min(source.len());
            let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
            let line_end = source[start..].find('\n').map_or(source.len(), |i| start + i);
            let line_no = source[..line_start].matches('\n').count() + 1;
            let column = source[line_start..start].chars().count() + 1;
            let text = &source[line_start..line_end];
            let width = source[start..span.end.clamp(start, line_end)].chars().count().max(1);
            let gutter = line_no.to_string().len();
            err.line = Some(line_no);
            err.column = Some(column);
            err.snippet = Some(format!(
                "{:gutter$} |\n{line_no} | {text}\n{:gutter$} | {}{}",
                "",
                "",
                " ".repeat(column - 1),
                "^".repeat(width)
            ));
        }
        err
    }

    /// Names the key the error is about.
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Adds a hint on how to fix the problem.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": ")?;
        if let Some(key) = &self.key {
            write!(f, "`{key}`: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(snippet) = &self.snippet {
            write!(f, "\n{snippet}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\nhint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ModelError {}

/// Edit distance, used to suggest the name the user probably meant.
pub(crate) fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for (j, &cb) in b.iter().enumerate() {
                let cur = row[j + 1];
                row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(row[j + 1] + 1);
                prev = cur;
            }
        }
        row[b.len()]
    }
    candidates
        .into_iter()
        .map(|c| (distance(wanted, c), c))
        .filter(|&(d, c)| d <= 2.max(c.len() / 3))
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_points_at_line_and_column() {
        let src = "a = 1\nbad = \"x\"\n";
        let start = src.find("\"x\"").unwrap();
        let err = ModelError::at("m.toml", src, Some(start..start + 3), "wrong").with_key("bad");
        assert_eq!((err.line, err.column), (Some(2), Some(7)));
        let text = err.to_string();
        assert!(text.starts_with("m.toml:2:7: `bad`: wrong"), "{text}");
        assert!(text.contains("2 | bad = \"x\""), "{text}");
        assert!(text.contains("^^^"), "{text}");
    }

    #[test]
    fn closest_name_is_suggested() {
        assert_eq!(closest("db.reed", ["db.read", "cache.get"]), Some("db.read"));
        assert_eq!(closest("zzzzzz", ["db.read"]), None);
    }
}
