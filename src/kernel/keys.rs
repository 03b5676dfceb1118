//! Key popularity for keyed caches and databases: which key a read or write
//! touches, uniform or Zipf.

use rand::RngExt;

use super::Stream;

/// Chooses keys `0..keys`, uniformly or by a Zipf law (key 0 most popular).
pub(super) struct KeyChooser {
    keys: u32,
    zipf: Option<rand_distr::Zipf<f64>>,
}

impl KeyChooser {
    /// `zipf`: the exponent; 0 means uniform.
    pub(super) fn new(keys: u32, zipf: f64) -> Self {
        let zipf = (zipf > 0.0)
            .then(|| rand_distr::Zipf::new(f64::from(keys), zipf).expect("validated: keys >= 1, exponent > 0"));
        KeyChooser { keys, zipf }
    }

    /// The next key.
    #[inline]
    pub(super) fn sample(&self, rng: &mut Stream) -> u32 {
        match &self.zipf {
            Some(z) => (rand_distr::Distribution::sample(z, rng) as u32).clamp(1, self.keys) - 1,
            None => rng.random_range(0..self.keys),
        }
    }
}
