//! Numbers for people, in one place: durations with their unit, three
//! significant digits, thousands separators, dollars. Machine-readable
//! output (CSV, JSON) never goes through here.

/// Formats seconds for people: "850 µs", "12.3 ms", "4.56 s", "2.5 min".
pub fn format_duration(seconds: f64) -> String {
    let abs = seconds.abs();
    if !seconds.is_finite() {
        format!("{seconds}")
    } else if abs == 0.0 {
        "0".to_string()
    } else if abs < 1e-3 {
        format!("{} µs", sig3(seconds * 1e6))
    } else if abs < 1.0 {
        format!("{} ms", sig3(seconds * 1e3))
    } else if abs < 120.0 {
        format!("{} s", sig3(seconds))
    } else if abs < 7200.0 {
        format!("{} min", sig3(seconds / 60.0))
    } else {
        format!("{} h", sig3(seconds / 3600.0))
    }
}

/// Three significant digits, without trailing noise ("12.3", "0.456", "1230").
pub fn sig3(x: f64) -> String {
    let abs = x.abs();
    if abs >= 100.0 || abs == 0.0 {
        format!("{x:.0}")
    } else if abs >= 10.0 {
        format!("{x:.1}")
    } else if abs >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

/// Formats with `decimals` and groups the integer part by thousands.
pub fn group_thousands(v: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, v.abs());
    let (int, frac) = text.split_once('.').map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    // "-0" is noise, not a value.
    if v < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.insert(0, '-');
    }
    out
}

/// A load or count: whole numbers and anything from 1,000 up grouped by
/// thousands ("1,800", "1,988"), smaller fractions to three significant
/// digits ("12.5").
pub fn whole_or_sig3(x: f64) -> String {
    if (x == x.round() || x.abs() >= 1000.0) && x.abs() < 1e15 { group_thousands(x, 0) } else { sig3(x) }
}

/// `x` rounded up to two significant digits ("206000" becomes "210000"),
/// for a suggested setting that should be enough, not an exact figure.
pub fn round_up_sig2(x: f64) -> String {
    if !(x.is_finite() && x > 0.0) {
        return format!("{x}");
    }
    let step = 10f64.powi(x.log10().floor() as i32 - 1);
    round_sig6((x / step).ceil() * step)
}

/// Up to 6 significant digits, integers without a decimal point.
pub fn round_sig6(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e15 {
        return format!("{}", x as i64);
    }
    let digits = 6 - (x.abs().log10().floor() as i32 + 1);
    let factor = 10f64.powi(digits.max(0));
    let r = (x * factor).round() / factor;
    format!("{r}")
}

/// Dollars: "$12.34", "$1,234" from $100 up, "-" for no value.
pub fn dollars(x: f64) -> String {
    if !x.is_finite() {
        "-".into()
    } else if x.abs() >= 100.0 {
        format!("${}", group_thousands(x, 0))
    } else {
        format!("${x:.2}")
    }
}

/// [`dollars`] for the HTML report, where no value is an em dash.
pub fn dollars_grouped(x: f64) -> String {
    if x.is_finite() { dollars(x) } else { "—".to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped_the_same_everywhere() {
        assert_eq!(whole_or_sig3(1800.0), "1,800");
        assert_eq!(whole_or_sig3(1988.28), "1,988");
        assert_eq!(whole_or_sig3(12.5), "12.5");
        assert_eq!(dollars(1234.4), "$1,234");
        assert_eq!(dollars(12.345), "$12.35");
        assert_eq!(dollars_grouped(f64::NAN), "—");
    }

    #[test]
    fn durations_format_for_people() {
        assert_eq!(format_duration(0.0123), "12.3 ms");
        assert_eq!(format_duration(0.00085), "850 µs");
        assert_eq!(format_duration(4.56), "4.56 s");
    }
}
