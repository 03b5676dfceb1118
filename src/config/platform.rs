//! The file format of two per-instance platform behaviours: a CPU limit
//! with CFS quota semantics (`cpu_limit`, `cpu_period`) and stop-the-world
//! pauses (`pauses`). Compiled in `model/platform.rs`; the kernel acts on
//! them in `kernel/cpu_limit.rs` and `kernel/pauses.rs`.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer};

use super::quantities::{DistSpec, Text};

/// A CPU limit in cores, written as Kubernetes writes it: "600m"
/// (millicores), "1.5" or 0.5 (cores). Greater than zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CpuQuantity(pub f64);

impl CpuQuantity {
    /// Parses "600m", "1.5" or "2".
    pub fn parse(text: &str) -> Result<f64, String> {
        let t = text.trim();
        let (number, scale) = match t.strip_suffix('m') {
            Some(n) => (n.trim(), 1e-3),
            None => (t, 1.0),
        };
        let cores = number
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(|v| v * scale)
            .ok_or_else(|| format!("expected cores such as \"600m\" (millicores) or \"1.5\", got \"{text}\""))?;
        if cores > 0.0 { Ok(cores) } else { Err(format!("a CPU limit must be above zero, got \"{text}\"")) }
    }
}

impl<'de> Deserialize<'de> for CpuQuantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Text(t) = Text::deserialize(d)?;
        CpuQuantity::parse(&t).map(CpuQuantity).map_err(de::Error::custom)
    }
}

impl fmt::Display for CpuQuantity {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}m", (self.0 * 1e3).round())
    }
}

/// `pauses = { every = "exp(20s)", duration = "lognormal(mean=80ms, cv=0.5)" }`:
/// stop-the-world pauses of each instance (garbage collection).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PausesConfig {
    /// Time from the end of one pause to the start of the next.
    pub every: DistSpec,
    /// How long a pause lasts.
    pub duration: DistSpec,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millicores_and_cores_parse() {
        assert_eq!(CpuQuantity::parse("600m"), Ok(0.6));
        assert_eq!(CpuQuantity::parse("1.5"), Ok(1.5));
        assert_eq!(CpuQuantity::parse(" 250m "), Ok(0.25));
        assert!(CpuQuantity::parse("0m").is_err());
        assert!(CpuQuantity::parse("-1").is_err());
        assert!(CpuQuantity::parse("fast").is_err());
        assert!(CpuQuantity::parse("1.5 cores").is_err());
    }
}
