//! Trace and span ids derived from the model's seed, and the wall-clock
//! epoch that simulated time zero stands for: the same model, seed and
//! flags give the same file, byte for byte.

use crate::rng::{mix, replication_seed};

/// Ids of one replication's traces.
#[derive(Debug, Clone, Copy)]
pub struct Ids {
    base: u64,
}

impl Ids {
    /// The ids of replication `replication` under master seed `seed`.
    pub fn new(seed: u64, replication: u32) -> Self {
        Ids { base: replication_seed(seed, replication) ^ 0x7472_6163_6573_0000 }
    }

    /// The 16-byte id of trace `trace`, never zero.
    pub fn trace(&self, trace: u32) -> u128 {
        let hi = mix(self.base ^ mix(u64::from(trace)));
        let lo = mix(hi ^ 0x5851_F42D_4C95_7F2D);
        (u128::from(hi) << 64 | u128::from(lo)).max(1)
    }

    /// The 8-byte id of span `span` (its index in the recording), never zero.
    pub fn span(&self, span: u32) -> u64 {
        mix(self.base.rotate_left(17) ^ mix(u64::from(span) + 1)).max(1)
    }
}

/// Lower-case hex of a trace id (32 digits).
pub fn trace_hex(id: u128) -> String {
    format!("{id:032x}")
}

/// Lower-case hex of a span id (16 digits).
pub fn span_hex(id: u64) -> String {
    format!("{id:016x}")
}

/// Nanoseconds since the Unix epoch of `text`: whole seconds (`1735689600`)
/// or an RFC 3339 UTC time (`2025-01-01T00:00:00Z`, fractions allowed).
pub fn parse_epoch(text: &str) -> Result<u64, String> {
    let t = text.trim();
    if let Ok(s) = t.parse::<u64>() {
        return s.checked_mul(1_000_000_000).ok_or_else(|| format!("`{t}` is too far in the future"));
    }
    let bad = || format!("`{t}` is neither seconds since 1970 nor a UTC time like 2025-01-01T00:00:00Z");
    let body = t.strip_suffix('Z').or_else(|| t.strip_suffix('z')).ok_or_else(bad)?;
    let (date, time) = body.split_once(['T', 't', ' ']).ok_or_else(bad)?;
    let d: Vec<&str> = date.split('-').collect();
    let (secs, frac) = time.split_once('.').unwrap_or((time, ""));
    let h: Vec<&str> = secs.split(':').collect();
    if d.len() != 3 || h.len() != 3 || !frac.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 9 {
        return Err(bad());
    }
    let num = |s: &str| s.parse::<i64>().map_err(|_| bad());
    let (y, m, day) = (num(d[0])?, num(d[1])?, num(d[2])?);
    let (hh, mm, ss) = (num(h[0])?, num(h[1])?, num(h[2])?);
    if !(1970..=2500).contains(&y)
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&day)
        || hh > 23
        || mm > 59
        || ss > 60
    {
        return Err(bad());
    }
    let nanos: u64 = if frac.is_empty() { 0 } else { format!("{frac:0<9}").parse().map_err(|_| bad())? };
    let days = days_from_civil(y, m, day);
    let seconds = days * 86_400 + hh * 3600 + mm * 60 + ss;
    Ok(seconds as u64 * 1_000_000_000 + nanos)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_parse_as_seconds_or_utc_times() {
        assert_eq!(parse_epoch("0"), Ok(0));
        assert_eq!(parse_epoch("2025-01-01T00:00:00Z"), Ok(1_735_689_600_000_000_000));
        assert_eq!(parse_epoch("2000-03-01T12:30:15.5Z"), Ok(951_913_815_500_000_000));
        assert!(parse_epoch("2025-13-01T00:00:00Z").is_err());
        assert!(parse_epoch("yesterday").is_err());
    }

    #[test]
    fn ids_are_fixed_by_seed_and_distinct() {
        let a = Ids::new(42, 0);
        assert_eq!(a.trace(3), Ids::new(42, 0).trace(3));
        assert_ne!(a.trace(3), Ids::new(43, 0).trace(3));
        assert_ne!(a.trace(3), a.trace(4));
        let spans: std::collections::HashSet<u64> = (0..10_000).map(|s| a.span(s)).collect();
        assert_eq!(spans.len(), 10_000);
    }
}
