//! The instance catalogue: instance types with vCPUs, memory, relative CPU
//! speed and price, which services reference by name (`instance_type`).
//!
//! capsim ships `models/catalog.toml` inside the binary; a model can name
//! its own catalogue with a top-level `catalog = "file.toml"`.

use indexmap::IndexMap;
use serde::Deserialize;

use crate::config::{NonNegativeF64, Positive, PositiveF64, Source};
use crate::error::ModelError;

/// The catalogue built into capsim (a copy of `models/catalog.toml`).
pub const BUILTIN: &str = include_str!("../models/catalog.toml");

/// A catalogue file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Instance types by name.
    pub types: IndexMap<String, InstanceType>,
}

/// One instance type.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceType {
    /// Virtual CPUs: the instance's cores (and default threads).
    pub vcpus: Positive<u32>,
    /// Memory \[GiB\] (informative).
    pub memory_gib: NonNegativeF64,
    /// CPU speed per core relative to the reference machine.
    pub speed: PositiveF64,
    /// Price per hour.
    pub price_per_hour: NonNegativeF64,
}

impl Catalog {
    /// The built-in catalogue.
    pub fn builtin() -> Catalog {
        toml::from_str(BUILTIN).expect("the built-in catalogue is valid")
    }

    /// Parses a catalogue file's text, reporting errors in that file.
    pub fn parse(source: &Source) -> Result<Catalog, ModelError> {
        toml::from_str(&source.text)
            .map_err(|e| ModelError::at(&source.file, &source.text, e.span(), e.message().to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_parses_and_bigger_types_cost_more() {
        let c = Catalog::builtin();
        let large = &c.types["m5.large"];
        let xl = &c.types["m5.2xlarge"];
        assert!(xl.vcpus.0 > large.vcpus.0 && xl.price_per_hour.0 > large.price_per_hour.0);
    }
}
