//! Axes: scales (linear, log, percentile "nines", categories), tick
//! positions at round numbers and tick labels with units.
//!
//! Plotters is given plain `f64` coordinates with explicit key points, so
//! every chart has the same coordinate type whatever its scale: a log axis
//! maps values through `log10` here, and its labels map them back.

/// How tick values are written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Fmt {
    /// Seconds, shown in µs, ms or s (the unit is chosen from the range).
    Seconds,
    /// A plain number with thousands separators ("2,300").
    Number,
    /// Dollars ("$1.20").
    Dollars,
    /// A fraction shown as a percentage ("40%").
    Percent,
}

/// How values are placed along the axis.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scale {
    /// Proportional.
    Linear,
    /// Proportional to `log10`; values must be positive.
    Log,
    /// Cumulative probabilities q at `-log10(1 - q)`: 90%, 99% and 99.9% are
    /// equally spaced, so the tail is visible.
    Nines,
    /// Named categories at 0, 1, 2, ...
    Categories(Vec<String>),
}

/// An axis as a chart builder describes it.
#[derive(Debug, Clone)]
pub(crate) struct Axis {
    /// Axis title; the unit is appended for [`Fmt::Seconds`].
    pub title: String,
    /// Placement.
    pub scale: Scale,
    /// Tick label format.
    pub fmt: Fmt,
    /// Whether a linear axis starts at zero (bars and counts do).
    pub zero: bool,
    /// Where a log axis starts exactly: the base of its bars.
    pub start: Option<f64>,
}

impl Axis {
    /// A linear axis.
    pub(crate) fn linear(title: impl Into<String>, fmt: Fmt, zero: bool) -> Axis {
        Axis { title: title.into(), scale: Scale::Linear, fmt, zero, start: None }
    }

    /// A linear axis, or a log axis when the positive values span more than
    /// `ratio` (latency near saturation grows by orders of magnitude).
    pub(crate) fn auto(title: impl Into<String>, fmt: Fmt, values: impl IntoIterator<Item = f64>, ratio: f64) -> Axis {
        let (lo, hi) = finite_positive_range(values);
        let log = lo > 0.0 && hi / lo > ratio;
        Axis { title: title.into(), scale: if log { Scale::Log } else { Scale::Linear }, fmt, zero: !log, start: None }
    }

    /// The same axis, starting at `base` when it is logarithmic (bars on a
    /// log axis need a base; a linear one starts at zero).
    pub(crate) fn starting_at(self, base: f64) -> Axis {
        Axis { start: (self.scale == Scale::Log && base > 0.0).then_some(base), ..self }
    }

    /// Categories at 0, 1, 2, ...
    pub(crate) fn categories(title: impl Into<String>, names: Vec<String>) -> Axis {
        Axis { title: title.into(), scale: Scale::Categories(names), fmt: Fmt::Number, zero: false, start: None }
    }

    /// Cumulative probabilities on the nines scale.
    pub(crate) fn nines(title: impl Into<String>) -> Axis {
        Axis { title: title.into(), scale: Scale::Nines, fmt: Fmt::Percent, zero: false, start: None }
    }

    /// Maps a value to the plotting coordinate; `None` when it cannot be shown
    /// (NaN, infinite, not positive on a log axis, q >= 1 on the nines scale).
    pub(crate) fn coord(&self, v: f64) -> Option<f64> {
        if !v.is_finite() {
            return None;
        }
        match self.scale {
            Scale::Linear | Scale::Categories(_) => Some(v),
            Scale::Log => (v > 0.0).then(|| v.log10()),
            Scale::Nines => (0.0..1.0).contains(&v).then(|| -(1.0 - v).log10()),
        }
    }

    /// The inverse of [`Axis::coord`].
    fn value(&self, c: f64) -> f64 {
        match self.scale {
            Scale::Linear | Scale::Categories(_) => c,
            Scale::Log => 10f64.powf(c),
            Scale::Nines => 1.0 - 10f64.powf(-c),
        }
    }

    /// Fixes the range and ticks from the coordinates of everything drawn.
    pub(crate) fn resolve(&self, coords: &[f64]) -> Resolved {
        let finite: Vec<f64> = coords.iter().copied().filter(|c| c.is_finite()).collect();
        let min = finite.iter().copied().fold(f64::INFINITY, f64::min);
        let max = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        match &self.scale {
            Scale::Categories(names) => {
                let n = names.len().max(1) as f64;
                Resolved {
                    lo: -0.5,
                    hi: n - 0.5,
                    // A nameless category (the one point of a sweep without axes) gets no tick.
                    ticks: (0..names.len()).filter(|&i| !names[i].is_empty()).map(|i| i as f64).collect(),
                    labels: names.iter().filter(|n| !n.is_empty()).cloned().collect(),
                    title: self.title.clone(),
                }
            }
            Scale::Linear => self.resolve_linear(min, max),
            Scale::Log => self.resolve_log(min, max),
            Scale::Nines => self.resolve_nines(max),
        }
    }

    fn resolve_linear(&self, min: f64, max: f64) -> Resolved {
        let (mut lo, mut hi) = if min.is_finite() { (min, max) } else { (0.0, 1.0) };
        if self.zero {
            lo = lo.min(0.0);
            hi = hi.max(0.0);
        }
        if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
            let pad = if hi == 0.0 { 1.0 } else { hi.abs() * 0.1 };
            hi += pad;
            if !(self.zero && lo == 0.0) {
                lo -= pad;
            }
        }
        // Headroom so the highest point and its label are not on the frame.
        let span = hi - lo;
        hi += 0.06 * span;
        if !(self.zero && lo == 0.0) {
            lo -= 0.04 * span;
        }
        let step = nice_step((hi - lo) / 5.0);
        let first = (lo / step).ceil() as i64;
        let last = (hi / step).floor() as i64;
        let ticks: Vec<f64> = (first..=last).map(|k| k as f64 * step).collect();
        let (scale, unit) = match self.fmt {
            Fmt::Seconds => seconds_unit(lo.abs().max(hi.abs())),
            Fmt::Percent => (100.0, ""),
            Fmt::Number | Fmt::Dollars => (1.0, ""),
        };
        let decimals = decimals_for(step * scale);
        let labels = ticks.iter().map(|&t| linear_label(t, self.fmt, scale, decimals)).collect();
        let title = if unit.is_empty() { self.title.clone() } else { format!("{} [{unit}]", self.title) };
        Resolved { lo, hi, ticks, labels, title }
    }

    fn resolve_log(&self, min: f64, max: f64) -> Resolved {
        let (lo, hi) = if min.is_finite() { (min, max) } else { (0.0, 1.0) };
        let span = (hi - lo).max(0.3);
        let mid = (hi + lo) / 2.0;
        let (lo, hi) = match self.start {
            Some(base) => (base.log10(), hi.max(base.log10() + 0.3) + span * 0.05),
            None => (mid - span * 0.55, mid + span * 0.55),
        };
        let mut ticks = Vec::new();
        for mantissas in [
            &[1.0][..],
            &[1.0, 3.0],
            &[1.0, 2.0, 5.0],
            &[1.0, 2.0, 3.0, 5.0, 7.0],
            &[1., 2., 3., 4., 5., 6., 7., 8., 9.],
        ] {
            ticks = (lo.floor() as i64..=hi.ceil() as i64)
                .flat_map(|d| mantissas.iter().map(move |m| (m * 10f64.powi(d as i32)).log10()))
                .filter(|c| (lo..=hi).contains(c))
                .collect();
            if ticks.len() >= 5 {
                break;
            }
        }
        let labels = ticks.iter().map(|&c| log_label(self.value(c), self.fmt)).collect();
        Resolved { lo, hi, ticks, labels, title: format!("{} (log scale)", self.title) }
    }

    fn resolve_nines(&self, max: f64) -> Resolved {
        // At least to 99%; at most to the deepest level measured.
        let hi = if max.is_finite() { max.max(2.0) } else { 3.0 };
        let mut ticks = vec![0.0, 2f64.log10()];
        ticks.extend((1..=(hi + 1e-9).floor() as i32).map(f64::from));
        let labels = ticks.iter().map(|&c| percentile_label(self.value(c))).collect();
        Resolved { lo: 0.0, hi: hi + 0.08, ticks, labels, title: self.title.clone() }
    }
}

/// An axis ready to draw: range and ticks in plotting coordinates.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    /// Lowest coordinate shown.
    pub lo: f64,
    /// Highest coordinate shown.
    pub hi: f64,
    /// Tick coordinates.
    pub ticks: Vec<f64>,
    /// The label of each tick.
    pub labels: Vec<String>,
    /// Title with unit.
    pub title: String,
}

impl Resolved {
    /// The label of the tick at `c` (plotters asks by coordinate).
    pub(crate) fn label(&self, c: f64) -> String {
        self.ticks
            .iter()
            .position(|t| (t - c).abs() <= 1e-9 * (1.0 + t.abs()))
            .map(|i| self.labels[i].clone())
            .unwrap_or_default()
    }
}

fn finite_positive_range(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    values
        .into_iter()
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, 0.0), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

/// 1, 2 or 5 times a power of ten, nearest `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw > 0.0 && raw.is_finite()) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let m = raw / mag;
    let nice = if m < 1.5 {
        1.0
    } else if m < 3.0 {
        2.0
    } else if m < 7.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// Decimals needed to write multiples of `step` exactly.
fn decimals_for(step: f64) -> usize {
    (0..10)
        .find(|&d| {
            let x = step * 10f64.powi(d);
            (x - x.round()).abs() < 1e-6 * x.max(1.0)
        })
        .unwrap_or(10) as usize
}

/// The display unit for seconds, from the largest value on the axis.
fn seconds_unit(max_s: f64) -> (f64, &'static str) {
    if max_s < 2e-3 {
        (1e6, "µs")
    } else if max_s < 2.0 {
        (1e3, "ms")
    } else {
        (1.0, "s")
    }
}

fn linear_label(v: f64, fmt: Fmt, scale: f64, decimals: usize) -> String {
    match fmt {
        Fmt::Seconds | Fmt::Number => crate::format::group_thousands(v * scale, decimals),
        // Cents, not "$0.5".
        Fmt::Dollars => {
            format!("${}", crate::format::group_thousands(v, if decimals > 0 { decimals.max(2) } else { 0 }))
        }
        Fmt::Percent => format!("{}%", crate::format::group_thousands(v * scale, decimals)),
    }
}

fn log_label(v: f64, fmt: Fmt) -> String {
    match fmt {
        Fmt::Seconds => {
            let (scale, unit) = if v < 1e-3 {
                (1e6, "µs")
            } else if v < 1.0 {
                (1e3, "ms")
            } else {
                (1.0, "s")
            };
            format!("{} {unit}", compact(v * scale))
        }
        Fmt::Number => compact(v),
        Fmt::Dollars => format!("${}", compact(v)),
        Fmt::Percent => format!("{}%", compact(v * 100.0)),
    }
}

/// "99.9%" for 0.999; "50%" for 0.5.
pub(crate) fn percentile_label(q: f64) -> String {
    let p = q * 100.0;
    let mut digits = 0;
    while digits < 6 && ((p * 10f64.powi(digits)).round() - p * 10f64.powi(digits)).abs() > 1e-6 {
        digits += 1;
    }
    format!("{p:.*}%", digits as usize)
}

/// Up to three significant digits, no trailing zeros, thousands grouped.
pub(crate) fn compact(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v == 0.0 { "0".into() } else { format!("{v}") };
    }
    let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    let text = crate::format::group_thousands(v, digits);
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_are_round_numbers_covering_the_data() {
        let axis = Axis::linear("load", Fmt::Number, true);
        let r = axis.resolve(&[100.0, 2300.0]);
        assert_eq!(r.lo, 0.0);
        assert!(r.hi >= 2300.0);
        assert_eq!(r.labels.first().map(String::as_str), Some("0"));
        assert!(r.labels.contains(&"2,000".to_string()), "{:?}", r.labels);
        assert!((4..=8).contains(&r.ticks.len()), "{:?}", r.ticks);
    }

    #[test]
    fn a_load_axis_spans_the_loads_not_zero() {
        let r = Axis::linear("load", Fmt::Number, false).resolve(&[1200.0, 1500.0, 1800.0]);
        assert!((1170.0..1200.0).contains(&r.lo) && r.hi > 1800.0 && r.hi < 1850.0, "{} to {}", r.lo, r.hi);
        assert_eq!(r.labels.first().map(String::as_str), Some("1,200"));
        assert_eq!(r.labels.last().map(String::as_str), Some("1,800"));
    }

    #[test]
    fn a_log_axis_for_bars_starts_at_their_base() {
        let axis = Axis::auto("time", Fmt::Seconds, [0.01, 8.0], 30.0).starting_at(0.001);
        assert_eq!(axis.scale, Scale::Log);
        let r = axis.resolve(&[-3.0, 0.01f64.log10(), 8f64.log10()]);
        assert_eq!(r.lo, -3.0);
        assert_eq!(r.labels.first().map(String::as_str), Some("1 ms"));
        // Within 30x the axis stays linear, from zero.
        let linear = Axis::auto("time", Fmt::Seconds, [0.01, 0.29], 30.0).starting_at(0.001);
        assert_eq!((linear.scale, linear.zero, linear.start), (Scale::Linear, true, None));
    }

    #[test]
    fn latency_axis_chooses_milliseconds_for_small_values() {
        let axis = Axis::linear("p99 latency", Fmt::Seconds, true);
        let r = axis.resolve(&[0.012, 0.180]);
        assert_eq!(r.title, "p99 latency [ms]");
        assert!(r.labels.contains(&"100".to_string()), "{:?}", r.labels);
    }

    #[test]
    fn log_axis_labels_each_tick_with_its_unit() {
        let axis = Axis::auto("latency", Fmt::Seconds, [0.05, 30.0], 15.0);
        assert_eq!(axis.scale, Scale::Log);
        let coords: Vec<f64> = [0.05, 30.0].iter().filter_map(|&v| axis.coord(v)).collect();
        let r = axis.resolve(&coords);
        assert!(r.labels.contains(&"100 ms".to_string()), "{:?}", r.labels);
        assert!(r.labels.contains(&"10 s".to_string()), "{:?}", r.labels);
    }

    #[test]
    fn nines_axis_spaces_the_tail_evenly() {
        let axis = Axis::nines("percentile");
        let c = |q| axis.coord(q).unwrap();
        assert!((c(0.99) - c(0.9) - (c(0.999) - c(0.99))).abs() < 1e-9);
        assert_eq!(axis.coord(1.0), None);
        let r = axis.resolve(&[c(0.999)]);
        assert_eq!(r.labels, ["0%", "50%", "90%", "99%", "99.9%"]);
    }

    #[test]
    fn values_that_cannot_be_drawn_are_rejected_not_panicked_on() {
        let log = Axis::auto("x", Fmt::Number, [1.0, 1000.0], 10.0);
        assert_eq!(log.coord(f64::NAN), None);
        assert_eq!(log.coord(0.0), None);
        assert_eq!(log.coord(-1.0), None);
        let r = Axis::linear("x", Fmt::Number, false).resolve(&[]);
        assert!(r.lo < r.hi);
    }

    #[test]
    fn numbers_read_like_a_person_wrote_them() {
        assert_eq!(crate::format::group_thousands(1234567.0, 0), "1,234,567");
        assert_eq!(crate::format::group_thousands(-0.001, 1), "0.0");
        assert_eq!(compact(0.85), "0.85");
        assert_eq!(compact(2300.0), "2,300");
        assert_eq!(compact(1.2), "1.2");
        assert_eq!(percentile_label(0.999), "99.9%");
        assert_eq!(decimals_for(0.05), 2);
        assert_eq!(decimals_for(0.2), 1);
        assert_eq!(decimals_for(25.0), 0);
    }
}
