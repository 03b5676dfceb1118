//! Quantities as the model file writes them: durations, rates, sizes,
//! bandwidths, positive numbers and probabilities, each checked while it is
//! deserialized so that toml's error points at the value.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer};

use crate::dist::Dist;
use crate::units;

/// A duration in seconds, written with a unit ("5ms").
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Seconds(pub f64);

/// A rate in events per second, written with a unit ("900/s").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate(pub f64);

/// A distribution, written as text ("lognormal(mean=20ms, cv=0.5)").
#[derive(Debug, Clone)]
pub struct DistSpec(pub Dist);

/// An integer of at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Positive<T>(pub T);

/// A finite number greater than zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PositiveF64(pub f64);

/// A duration greater than zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PositiveSeconds(pub f64);

impl<'de> Deserialize<'de> for PositiveSeconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Seconds(s) = Seconds::deserialize(d)?;
        if s > 0.0 { Ok(PositiveSeconds(s)) } else { Err(de::Error::custom("must be longer than zero")) }
    }
}

/// A finite number of at least zero.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct NonNegativeF64(pub f64);

/// A number in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Probability(pub f64);

/// Accepts a string, or (for convenience in `--set`) a number, as text.
pub(super) struct Text(pub(super) String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string such as \"5ms\" or \"900/s\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Text(t) = Text::deserialize(d)?;
        units::parse_duration(&t).map(Seconds).map_err(de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Text(t) = Text::deserialize(d)?;
        units::parse_rate(&t).map(Rate).map_err(de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for DistSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Text(t) = Text::deserialize(d)?;
        Dist::parse(&t).map(DistSpec).map_err(de::Error::custom)
    }
}

impl<'de, T> Deserialize<'de> for Positive<T>
where
    T: Deserialize<'de> + PartialOrd + From<u8> + fmt::Display,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = T::deserialize(d)?;
        if v < T::from(1) {
            return Err(de::Error::custom(format!("must be at least 1, got {v}")));
        }
        Ok(Positive(v))
    }
}

impl<'de> Deserialize<'de> for PositiveF64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        if !(v.is_finite() && v > 0.0) {
            return Err(de::Error::custom(format!("must be a number above 0, got {v}")));
        }
        Ok(PositiveF64(v))
    }
}

impl<'de> Deserialize<'de> for NonNegativeF64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        if !(v.is_finite() && v >= 0.0) {
            return Err(de::Error::custom(format!("must be a number of at least 0, got {v}")));
        }
        Ok(NonNegativeF64(v))
    }
}

impl<'de> Deserialize<'de> for Probability {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        if !(0.0..=1.0).contains(&v) {
            return Err(de::Error::custom(format!("a probability must lie in [0, 1], got {v}")));
        }
        Ok(Probability(v))
    }
}

/// A size in bytes, written with a unit ("50MB").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bytes(pub f64);

/// A bandwidth in bytes per second, written with a unit ("1Gbps").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bandwidth(pub f64);

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Text(t) = Text::deserialize(d)?;
        units::parse_bytes(&t).map(Bytes).map_err(de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Bandwidth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Text(t) = Text::deserialize(d)?;
        units::parse_bandwidth(&t).map(Bandwidth).map_err(de::Error::custom)
    }
}

/// Threads per instance: a count of at least 1, or `"unlimited"` (no thread
/// limit: every request is served at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threads {
    /// At most this many requests in service per instance.
    Count(u32),
    /// No limit.
    Unlimited,
}

impl<'de> Deserialize<'de> for Threads {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Threads;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number of threads of at least 1, or \"unlimited\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Threads, E> {
                match u32::try_from(v) {
                    Ok(n) if n >= 1 => Ok(Threads::Count(n)),
                    _ => Err(E::custom(format!("must be at least 1 (or \"unlimited\"), got {v}"))),
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Threads, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Threads, E> {
                match v.trim() {
                    "unlimited" => Ok(Threads::Unlimited),
                    other => match other.parse::<i64>() {
                        Ok(n) => self.visit_i64(n),
                        Err(_) => Err(E::custom(format!("expected a number of threads or \"unlimited\", got \"{v}\""))),
                    },
                }
            }
        }
        d.deserialize_any(V)
    }
}
