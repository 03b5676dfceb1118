//! The file format of a hedged call: `hedge = { after = "10ms" | "p95",
//! max = 1, cancel = true }` on a `call` step. Compiled in
//! `model/hedge.rs`; the kernel acts on it in `kernel/hedge.rs`.

use serde::Deserialize;
use serde::de::{self, Deserializer};

use super::quantities::{Positive, Text};
use crate::units;

/// When the second copy goes out: a fixed delay, or a percentile of the
/// call site's observed latency so far.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HedgeAfter {
    /// A delay \[s\].
    Delay(f64),
    /// A quantile in (0, 1) of the call site's latency ("p95" is 0.95).
    Quantile(f64),
}

impl HedgeAfter {
    /// Parses "10ms" or "p95" / "p99.9".
    pub fn parse(text: &str) -> Result<HedgeAfter, String> {
        let t = text.trim();
        if let Some(p) = t.strip_prefix('p') {
            return match p.parse::<f64>() {
                Ok(v) if v > 0.0 && v < 100.0 => Ok(HedgeAfter::Quantile(v / 100.0)),
                _ => Err(format!("a percentile such as \"p95\" lies between p0 and p100, got \"{text}\"")),
            };
        }
        match units::parse_duration(t) {
            Ok(s) if s > 0.0 => Ok(HedgeAfter::Delay(s)),
            Ok(_) => Err("a hedge delay must be longer than zero".into()),
            Err(e) => Err(format!("{e}; or a percentile of the call's latency such as \"p95\"")),
        }
    }
}

impl<'de> Deserialize<'de> for HedgeAfter {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Text(t) = Text::deserialize(d)?;
        HedgeAfter::parse(&t).map_err(de::Error::custom)
    }
}

fn yes() -> bool {
    true
}

/// `hedge = { ... }` on a call.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HedgeConfig {
    /// How long the first copy may take before a second is sent.
    pub after: HedgeAfter,
    /// Extra copies at most (1).
    pub max: Option<Positive<u32>>,
    /// Cancel the copy that loses (default), or let it finish.
    #[serde(default = "yes")]
    pub cancel: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_and_percentiles_parse() {
        assert_eq!(HedgeAfter::parse("10ms"), Ok(HedgeAfter::Delay(0.01)));
        assert_eq!(HedgeAfter::parse("p95"), Ok(HedgeAfter::Quantile(0.95)));
        assert!(matches!(HedgeAfter::parse("p99.9"), Ok(HedgeAfter::Quantile(q)) if (q - 0.999).abs() < 1e-12));
        assert!(HedgeAfter::parse("p100").is_err());
        assert!(HedgeAfter::parse("0ms").is_err());
        assert!(HedgeAfter::parse("soon").is_err());
    }
}
