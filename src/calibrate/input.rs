//! Measurement files as users hand them over: CSV tables with a header, and
//! values with or without units. Every problem becomes an [`InputError`]
//! that names the file, the line and the column, so `capsim fit`, `demands`
//! and `validate` refuse bad input the way `capsim run` refuses a bad model
//! (exit status 2, nothing written).

use std::fmt;
use std::path::{Path, PathBuf};

use crate::units::parse_duration;

/// A problem in a measurement file or a calibration flag, located.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    /// The file as the user named it; `None` for a flag such as `--percentiles`.
    pub file: Option<PathBuf>,
    /// 1-based line in the file.
    pub line: Option<usize>,
    /// The column, flag or key the problem is about.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl InputError {
    /// An error about input that is not a file (a flag's value).
    pub fn new(message: impl Into<String>) -> Self {
        InputError { file: None, line: None, key: None, message: message.into(), hint: None }
    }

    /// An error about a file, without a line.
    pub fn in_file(file: &Path, message: impl Into<String>) -> Self {
        InputError { file: Some(file.to_path_buf()), ..InputError::new(message) }
    }

    /// Places the error on a 1-based line.
    pub fn at_line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }

    /// Names the column, flag or key the error is about.
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

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, "{}:{line}: ", file.display())?,
            (Some(file), None) => write!(f, "{}: ", file.display())?,
            _ => {}
        }
        if let Some(key) = &self.key {
            write!(f, "`{key}`: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InputError {}

/// A CSV table read whole: its header and its rows, each with its line.
#[derive(Debug, Clone)]
pub struct Table {
    /// The file it came from.
    pub file: PathBuf,
    /// Column names, trimmed.
    pub header: Vec<String>,
    /// 1-based line of the header.
    pub header_line: usize,
    /// Rows in file order.
    pub rows: Vec<Row>,
}

/// One data row and where it was.
#[derive(Debug, Clone)]
pub struct Row {
    /// 1-based line of the row in the file.
    pub line: usize,
    /// Fields, trimmed; as many as the header has columns.
    pub fields: Vec<String>,
}

impl Table {
    /// Reads a CSV file with a header line. Blank lines and lines starting
    /// with `#` are skipped; a row with a different number of fields than
    /// the header is an error at its line.
    pub fn read(file: &Path) -> Result<Table, InputError> {
        let text = std::fs::read_to_string(file)
            .map_err(|e| InputError::in_file(file, format!("cannot read the file: {e}")))?;
        Table::parse(file, &text)
    }

    /// Parses CSV text as [`Table::read`] does; `file` names it in errors.
    /// Lines are read one by one (a quoted field cannot span lines), so
    /// every row keeps its true line number.
    pub fn parse(file: &Path, text: &str) -> Result<Table, InputError> {
        let mut header: Option<Vec<String>> = None;
        let mut header_line = 1;
        let mut rows = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let fields = split_csv_line(raw)
                .map_err(|e| InputError::in_file(file, format!("not valid CSV: {e}")).at_line(line))?;
            match &header {
                None => {
                    header = Some(fields);
                    header_line = line;
                }
                Some(h) if fields.len() != h.len() => {
                    return Err(InputError::in_file(
                        file,
                        format!("this row has {} field(s) but the header has {} column(s)", fields.len(), h.len()),
                    )
                    .at_line(line));
                }
                Some(_) => rows.push(Row { line, fields }),
            }
        }
        let header = header.ok_or_else(|| {
            InputError::in_file(file, "the file is empty").with_hint("the first line names the columns")
        })?;
        Ok(Table { file: file.to_path_buf(), header, header_line, rows })
    }

    /// The index of a column, by name (case-insensitive).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h.eq_ignore_ascii_case(name))
    }

    /// An error at a row's line about one of its columns.
    pub fn error_at(&self, row: &Row, column: usize, message: impl Into<String>) -> InputError {
        InputError::in_file(&self.file, message).at_line(row.line).with_key(self.header[column].clone())
    }

    /// The number in a row's column (a plain number, no unit).
    pub fn number(&self, row: &Row, column: usize) -> Result<f64, InputError> {
        let text = &row.fields[column];
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(self.error_at(row, column, format!("`{text}` is not a number"))),
        }
    }
}

/// The fields of one CSV line, trimmed, with quotes honoured.
fn split_csv_line(line: &str) -> Result<Vec<String>, csv::Error> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).trim(csv::Trim::All).from_reader(line.as_bytes());
    match reader.records().next() {
        Some(record) => Ok(record?.iter().map(str::to_string).collect()),
        None => Ok(Vec::new()),
    }
}

/// A duration in seconds from text such as `12ms` or `0.8s`; a bare number
/// takes `default_unit` (e.g. `"ms"`), and without one a bare number is
/// refused, as in model files, because a wrong guess changes every result.
pub fn duration_value(text: &str, default_unit: Option<&str>) -> Result<f64, String> {
    let text = text.trim();
    if let Ok(v) = text.parse::<f64>() {
        return match default_unit {
            Some(unit) => parse_duration(&format!("{v}{unit}")).map_err(|e| e.to_string()),
            None => Err(format!("`{text}` has no unit: write e.g. `{text}ms`, or give the unit with --unit ms")),
        };
    }
    parse_duration(text).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_their_lines_and_short_rows_are_located() {
        let t = Table::parse(Path::new("m.csv"), "# comment\na, b\n1,2\n\n3,4\n# note\n\n5,6\n").unwrap();
        assert_eq!(t.header, ["a", "b"]);
        assert_eq!(t.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [3, 5, 8]);
        let err = Table::parse(Path::new("m.csv"), "a,b\n1,2\n3\n").unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(err.to_string().starts_with("m.csv:3: "), "{err}");
    }

    #[test]
    fn durations_need_a_unit_unless_one_is_given() {
        assert_eq!(duration_value("12ms", None), Ok(0.012));
        assert_eq!(duration_value("12", Some("ms")), Ok(0.012));
        assert!(duration_value("12", None).unwrap_err().contains("--unit"));
        assert!(duration_value("-3ms", None).is_err());
    }
}
