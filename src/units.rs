//! Parsing of quantities with units: durations ("5ms", "2.5s", "10m") and
//! rates ("900/s", "54000/h").
//!
//! Everything is converted to SI base units (seconds, events per second) as
//! `f64`. Bare numbers are refused for durations and rates: "5" could mean
//! seconds or milliseconds, and a wrong guess silently changes every result.

use std::fmt;

/// Why a quantity could not be parsed; the message says how to write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitError(pub String);

impl fmt::Display for UnitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UnitError {}

/// Seconds in one unit of time, for the suffixes capsim accepts.
pub fn seconds_per(unit: &str) -> Option<f64> {
    Some(match unit {
        "ns" => 1e-9,
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86400.0,
        _ => return None,
    })
}

fn split_number(text: &str) -> (&str, &str) {
    let end = text
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_digit()
                || c == '.'
                || c == '_'
                || ((c == 'e' || c == 'E')
                    && i > 0
                    && text[i + 1..].starts_with(|d: char| d.is_ascii_digit() || d == '-' || d == '+'))
                || ((c == '-' || c == '+') && (i == 0 || matches!(text.as_bytes()[i - 1], b'e' | b'E'))))
        })
        .map_or(text.len(), |(i, _)| i);
    (&text[..end], text[end..].trim())
}

fn parse_number(num: &str, whole: &str) -> Result<f64, UnitError> {
    let cleaned: String = num.chars().filter(|&c| c != '_').collect();
    cleaned
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| UnitError(format!("`{whole}` does not start with a number")))
}

/// Parses a duration such as `"5ms"`, `"2.5s"`, `"10m"` or `"1h"` into seconds.
///
/// Accepted units: ns, us (or µs), ms, s, m (or min), h, d. Negative durations
/// are refused.
pub fn parse_duration(text: &str) -> Result<f64, UnitError> {
    let text = text.trim();
    let (num, unit) = split_number(text);
    if num.is_empty() {
        return Err(UnitError(format!(
            "`{text}` is not a duration: write a number and a unit, e.g. \"5ms\" or \"2.5s\""
        )));
    }
    let value = parse_number(num, text)?;
    if unit.is_empty() {
        return Err(UnitError(format!("`{text}` has no unit: write e.g. \"{text}s\" or \"{text}ms\"")));
    }
    let scale = seconds_per(unit)
        .ok_or_else(|| UnitError(format!("`{text}`: unknown time unit `{unit}` (use ns, us, ms, s, m, h or d)")))?;
    if value < 0.0 {
        return Err(UnitError(format!("`{text}`: a duration cannot be negative")));
    }
    Ok(value * scale)
}

/// Parses a rate such as `"900/s"`, `"0.5/ms"` or `"54000/h"` into events per second.
///
/// Negative rates are refused; zero is allowed (a class that sends nothing).
pub fn parse_rate(text: &str) -> Result<f64, UnitError> {
    let text = text.trim();
    let Some((num, unit)) = text.split_once('/') else {
        return Err(UnitError(format!(
            "`{text}` is not a rate: write events per unit of time, e.g. \"900/s\" or \"54000/h\""
        )));
    };
    let num = num.trim();
    let value = parse_number(num, text)?;
    let unit = unit.trim();
    let (per_num, per_unit) = split_number(unit);
    let per = if per_num.is_empty() { 1.0 } else { parse_number(per_num, text)? };
    let scale = seconds_per(per_unit).ok_or_else(|| {
        UnitError(format!("`{text}`: unknown time unit `{per_unit}` after '/' (use ms, s, m, h or d)"))
    })?;
    if value < 0.0 {
        return Err(UnitError(format!("`{text}`: a rate cannot be negative")));
    }
    if per <= 0.0 {
        return Err(UnitError(format!("`{text}`: the period must be positive")));
    }
    Ok(value / (per * scale))
}

/// Parses a size such as `"10KB"`, `"50MB"`, `"1.5GiB"` or `"512B"` into bytes.
///
/// KB, MB, GB are powers of 1000; KiB, MiB, GiB powers of 1024.
pub fn parse_bytes(text: &str) -> Result<f64, UnitError> {
    let text = text.trim();
    let (num, unit) = split_number(text);
    if num.is_empty() || unit.is_empty() {
        return Err(UnitError(format!("`{text}` is not a size: write e.g. \"10KB\", \"50MB\" or \"512B\"")));
    }
    let value = parse_number(num, text)?;
    let scale = match unit {
        "B" => 1.0,
        "KB" | "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        _ => {
            return Err(UnitError(format!(
                "`{text}`: unknown size unit `{unit}` (use B, KB, MB, GB, KiB, MiB or GiB)"
            )));
        }
    };
    if value < 0.0 {
        return Err(UnitError(format!("`{text}`: a size cannot be negative")));
    }
    Ok(value * scale)
}

/// Parses a bandwidth such as `"1Gbps"`, `"100Mbps"` or `"125MB/s"` into bytes per second.
pub fn parse_bandwidth(text: &str) -> Result<f64, UnitError> {
    let text = text.trim();
    let (num, unit) = split_number(text);
    let value = parse_number(num, text)?;
    let bytes_per_s = match unit {
        "bps" => value / 8.0,
        "Kbps" | "kbps" => value * 1e3 / 8.0,
        "Mbps" => value * 1e6 / 8.0,
        "Gbps" => value * 1e9 / 8.0,
        u if u.ends_with("/s") => parse_bytes(&format!("{num}{}", &u[..u.len() - 2]))?,
        _ => {
            return Err(UnitError(format!(
                "`{text}` is not a bandwidth: write e.g. \"1Gbps\", \"100Mbps\" or \"125MB/s\""
            )));
        }
    };
    if bytes_per_s <= 0.0 {
        return Err(UnitError(format!("`{text}`: a bandwidth must be positive")));
    }
    Ok(bytes_per_s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_convert_to_seconds() {
        assert_eq!(parse_duration("5ms").unwrap(), 0.005);
        assert_eq!(parse_duration("2.5s").unwrap(), 2.5);
        assert_eq!(parse_duration("10m").unwrap(), 600.0);
        assert_eq!(parse_duration("1h").unwrap(), 3600.0);
        assert_eq!(parse_duration("250 us").unwrap(), 250e-6);
        assert_eq!(parse_duration("1_000ms").unwrap(), 1.0);
        assert_eq!(parse_duration("1e3ms").unwrap(), 1.0);
    }

    #[test]
    fn durations_without_unit_or_negative_are_refused_with_a_hint() {
        assert!(parse_duration("5").unwrap_err().0.contains("\"5s\""));
        assert!(parse_duration("-5ms").is_err());
        assert!(parse_duration("5 parsecs").unwrap_err().0.contains("unknown time unit"));
        assert!(parse_duration("ms").is_err());
    }

    #[test]
    fn rates_convert_to_per_second() {
        assert_eq!(parse_rate("900/s").unwrap(), 900.0);
        assert_eq!(parse_rate("54000/h").unwrap(), 15.0);
        assert_eq!(parse_rate("0.95/s").unwrap(), 0.95);
        assert_eq!(parse_rate("3/ms").unwrap(), 3000.0);
        assert_eq!(parse_rate("30/10s").unwrap(), 3.0);
    }

    #[test]
    fn bad_rates_are_refused() {
        assert!(parse_rate("900").is_err());
        assert!(parse_rate("-1/s").unwrap_err().0.contains("negative"));
        assert!(parse_rate("5/fortnight").is_err());
    }

    #[test]
    fn sizes_and_bandwidths_convert() {
        assert_eq!(parse_bytes("50MB").unwrap(), 50e6);
        assert_eq!(parse_bytes("1KiB").unwrap(), 1024.0);
        assert_eq!(parse_bandwidth("1Gbps").unwrap(), 125e6);
        assert_eq!(parse_bandwidth("125MB/s").unwrap(), 125e6);
        assert!(parse_bytes("50").is_err());
        assert!(parse_bandwidth("fast").is_err());
    }
}
