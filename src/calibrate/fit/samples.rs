//! Reading measured durations: one per line (an optional header line, `#`
//! comments), or one column of a CSV file (`--column`). Values carry their
//! unit (`12ms`, `0.8s`) or take `--unit`; a bare number without `--unit`
//! is refused, as everywhere in capsim. Every bad value is an error at its
//! file:line; zero and negative durations are refused (a service time is
//! positive, and the log-likelihood of most families is undefined at 0).
//!
//! Ten million lines must take seconds, so the one-per-line path parses in
//! place, without allocating per line.

use std::path::Path;

use super::super::InputError;

/// Fewest samples worth fitting two-parameter families to.
pub const MIN_SAMPLES: usize = 10;

/// The seconds per unit of `--unit`, checked.
pub fn default_unit(unit: Option<&str>) -> Result<Option<f64>, InputError> {
    unit.map(|u| {
        crate::units::seconds_per(u.trim()).ok_or_else(|| {
            InputError::new(format!("unknown time unit `{u}`"))
                .with_key("--unit")
                .with_hint("use ns, us, ms, s, m or h")
        })
    })
    .transpose()
}

/// One duration in seconds from text such as `12ms`, `1.5e3us` or `12`
/// (with a default unit). The error says what is wrong with it.
pub fn parse_value(text: &str, default: Option<f64>) -> Result<f64, String> {
    let text = text.trim();
    let split = text
        .char_indices()
        .find(|&(i, c)| {
            c.is_alphabetic()
                && !((c == 'e' || c == 'E')
                    && i > 0
                    && text[i + 1..].starts_with(|d: char| d.is_ascii_digit() || d == '-' || d == '+'))
        })
        .map_or(text.len(), |(i, _)| i);
    let (num, unit) = (text[..split].trim(), text[split..].trim());
    let value: f64 = num.parse().map_err(|_| format!("`{text}` is not a duration (write e.g. 12ms)"))?;
    let scale = if unit.is_empty() {
        default
            .ok_or_else(|| format!("`{text}` has no unit: write e.g. `{text}ms`, or give the unit with --unit ms"))?
    } else {
        crate::units::seconds_per(unit)
            .ok_or_else(|| format!("`{text}`: unknown time unit `{unit}` (use ns, us, ms, s, m, h or d)"))?
    };
    let seconds = value * scale;
    if !seconds.is_finite() {
        return Err(format!("`{text}` is not a finite duration"));
    }
    if seconds <= 0.0 {
        return Err(format!(
            "`{text}`: a duration must be positive (a zero or negative time is a clock or logging error; remove the row)"
        ));
    }
    Ok(seconds)
}

/// Reads the durations of `file`, in seconds: one per line, or the CSV
/// column `column`. Checks there are enough to fit.
pub fn read(file: &Path, column: Option<&str>, unit: Option<&str>) -> Result<Vec<f64>, InputError> {
    let default = default_unit(unit)?;
    let text =
        std::fs::read_to_string(file).map_err(|e| InputError::in_file(file, format!("cannot read the file: {e}")))?;
    let values = match column {
        None => one_per_line(file, &text, default)?,
        Some(name) => csv_column(file, &text, name, default)?,
    };
    if values.len() < MIN_SAMPLES {
        return Err(InputError::in_file(
            file,
            format!("{} sample(s) is too few to fit a distribution: at least {MIN_SAMPLES} are needed", values.len()),
        )
        .with_hint("with only a few values, give them as --percentiles or write empirical(...) by hand"));
    }
    if values.iter().all(|&v| v == values[0]) {
        return Err(InputError::in_file(file, "every sample is the same value: the time is constant")
            .with_hint(format!("write const({}) in the model", super::families::duration(values[0]))));
    }
    Ok(values)
}

fn one_per_line(file: &Path, text: &str, default: Option<f64>) -> Result<Vec<f64>, InputError> {
    let mut values = Vec::with_capacity(text.len() / 8);
    let mut seen_data = false;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.contains(',') {
            return Err(InputError::in_file(file, "this line has several fields")
                .at_line(i + 1)
                .with_hint("for a CSV file, choose the column with --column NAME"));
        }
        match parse_value(line, default) {
            Ok(v) => values.push(v),
            // A first line that is a word, not a number, names the column.
            Err(_) if !seen_data && line.starts_with(|c: char| c.is_alphabetic() || c == '_') => {}
            Err(e) => return Err(InputError::in_file(file, e).at_line(i + 1)),
        }
        seen_data = true;
    }
    Ok(values)
}

fn csv_column(file: &Path, text: &str, name: &str, default: Option<f64>) -> Result<Vec<f64>, InputError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let not_csv = |e: csv::Error| {
        let err = InputError::in_file(file, format!("not valid CSV: {e}"));
        match e.position() {
            Some(p) => err.at_line(p.line() as usize),
            None => err,
        }
    };
    let header = reader.headers().map_err(not_csv)?.clone();
    let header_line = reader.position().line().saturating_sub(1).max(1) as usize;
    let col = header.iter().position(|h| h.eq_ignore_ascii_case(name.trim())).ok_or_else(|| {
        let names: Vec<&str> = header.iter().collect();
        InputError::in_file(file, format!("no column `{name}`"))
            .at_line(header_line)
            .with_key("--column")
            .with_hint(format!("the header names {}", names.join(", ")))
    })?;
    let mut values = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(not_csv)? {
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(str::is_empty) {
            continue;
        }
        let field = record.get(col).ok_or_else(|| {
            InputError::in_file(
                file,
                format!("this row has {} field(s); `{}` is column {}", record.len(), &header[col], col + 1),
            )
            .at_line(line)
        })?;
        let v = parse_value(field, default)
            .map_err(|e| InputError::in_file(file, e).at_line(line).with_key(header[col].to_string()))?;
        values.push(v);
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_take_their_unit_or_the_default() {
        assert_eq!(parse_value("12ms", None), Ok(0.012));
        assert_eq!(parse_value(" 1.5e3us ", None), Ok(0.0015));
        assert_eq!(parse_value("12", Some(1e-3)), Ok(0.012));
        assert!(parse_value("12", None).unwrap_err().contains("--unit"));
        assert!(parse_value("0ms", None).unwrap_err().contains("positive"));
        assert!(parse_value("-3ms", None).unwrap_err().contains("positive"));
        assert!(parse_value("3 parsecs", None).unwrap_err().contains("unknown time unit"));
    }

    #[test]
    fn lines_and_columns_are_located() {
        let f = Path::new("d.txt");
        let v = one_per_line(f, "latency\n# note\n1ms\n\n2ms\n", None).unwrap();
        assert_eq!(v, [0.001, 0.002]);
        let e = one_per_line(f, "1ms\n2ms\nfast\n", None).unwrap_err();
        assert_eq!(e.to_string(), "d.txt:3: `fast` is not a duration (write e.g. 12ms)");
        let c = csv_column(f, "id,ms\n1,3\n2,4\n", "MS", Some(1e-3)).unwrap();
        assert_eq!(c, [0.003, 0.004]);
        let e = csv_column(f, "id,ms\n1,3\n2,x\n", "ms", Some(1e-3)).unwrap_err();
        assert!(e.to_string().starts_with("d.txt:3: `ms`: "), "{e}");
        let e = csv_column(f, "id,ms\n1,3\n", "latency", None).unwrap_err();
        assert!(e.to_string().contains("no column `latency`") && e.to_string().contains("id, ms"), "{e}");
    }
}
