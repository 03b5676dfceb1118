//! Request classes as compiled: where their requests come from (open
//! renewal arrivals or closed users), and how an open rate is modulated over
//! time (profiles and bursts).

use crate::dist::Dist;

/// Where a class's requests come from.
#[derive(Debug, Clone)]
pub enum Arrivals {
    /// Open arrivals: a renewal process.
    Open {
        /// Inter-arrival time; `None` for a class with rate zero.
        interarrival: Option<Dist>,
    },
    /// Closed loop: users who think, send one request and wait for it.
    Closed {
        /// Number of users.
        users: u32,
        /// Think time.
        think: Dist,
    },
}

/// A request class.
#[derive(Debug, Clone)]
pub struct Class {
    /// Name as in the file.
    pub name: String,
    /// Entry op.
    pub target: u32,
    /// Arrival process.
    pub arrivals: Arrivals,
    /// Stream for arrivals or think times.
    pub stream: u32,
    /// Queue priority (0 first).
    pub priority: u8,
    /// Distinct clients sending the class's requests.
    pub clients: u32,
    /// Stream for choosing a request's client.
    pub client_stream: u32,
    /// The class of a publish step's status polls (no arrivals of its own).
    pub polling: bool,
    /// A time-varying Poisson rate; `arrivals` then holds candidates at its peak rate.
    pub modulation: Option<Modulation>,
    /// Arrival times replayed from a file \[s\]; `arrivals` is then empty.
    pub trace: Option<std::sync::Arc<Vec<f64>>>,
}

/// A Poisson rate that varies over time, simulated by thinning candidates
/// drawn at `peak`: a candidate at time t is kept with probability rate(t) / peak.
#[derive(Debug, Clone)]
pub struct Modulation {
    /// The class's `rate` \[1/s\].
    pub rate: f64,
    /// Rate curve factors.
    pub profile: Option<Profile>,
    /// Bursts.
    pub bursts: Option<Bursts>,
    /// Highest rate \[1/s\].
    pub peak: f64,
}

/// A rate curve: factors at points in time.
#[derive(Debug, Clone)]
pub struct Profile {
    /// `(time [s], factor)` in time order.
    pub points: Vec<(f64, f64)>,
    /// Linear between points, or steps.
    pub linear: bool,
    /// Repeat period \[s\].
    pub period: Option<f64>,
    /// The observed window of a time-bounded run \[s\], for the mean of a curve that does not repeat.
    pub window: Option<(f64, f64)>,
}

impl Profile {
    /// The factor at time `t` \[s\].
    pub fn at(&self, t: f64) -> f64 {
        let t = match self.period {
            Some(p) => t.rem_euclid(p),
            None => t,
        };
        let after = self.points.partition_point(|&(x, _)| x <= t);
        if after == 0 {
            return self.points[0].1;
        }
        let (t0, f0) = self.points[after - 1];
        match self.points.get(after) {
            Some(&(t1, f1)) if self.linear => f0 + (f1 - f0) * (t - t0) / (t1 - t0),
            Some(_) => f0,
            // Past the last point: wrap to the first (periodic) or hold.
            None => match self.period {
                Some(p) if self.linear => {
                    let (t1, f1) = (p + self.points[0].0, self.points[0].1);
                    f0 + (f1 - f0) * (t - t0) / (t1 - t0)
                }
                _ => f0,
            },
        }
    }

    pub(super) fn peak(&self) -> f64 {
        self.points.iter().map(|p| p.1).fold(0.0, f64::max)
    }

    /// Time-average factor over one period (or over the points, holding the last).
    /// Mean factor: over one period, else over the run's observed window,
    /// else over the points (the last factor holds after them).
    fn mean(&self) -> f64 {
        let (start, end) = match (self.period, self.window) {
            (Some(p), _) => (0.0, p),
            (None, Some(w)) => w,
            (None, None) => (0.0, self.points.last().map_or(0.0, |p| p.0)),
        };
        if end <= start {
            return self.at(start);
        }
        let n = 10_000;
        let step = (end - start) / f64::from(n);
        (0..n).map(|i| self.at(start + (f64::from(i) + 0.5) * step)).sum::<f64>() / f64::from(n)
    }
}

/// Bursts: the rate is multiplied by `factor` during bursts.
#[derive(Debug, Clone)]
pub struct Bursts {
    /// Rate multiplier in a burst.
    pub factor: f64,
    /// Time between bursts.
    pub every: Dist,
    /// Length of a burst.
    pub lasting: Dist,
    /// Stream for the burst schedule.
    pub stream: u32,
}

impl Modulation {
    /// Long-run mean rate \[1/s\].
    pub fn mean_rate(&self) -> f64 {
        let shape = self.profile.as_ref().map_or(1.0, Profile::mean);
        let burst = self.bursts.as_ref().map_or(1.0, |b| {
            let (off, on) = (b.every.mean(), b.lasting.mean());
            (off + b.factor * on) / (off + on)
        });
        self.rate * shape * burst
    }

    /// Rate at time `t` \[s\] (`bursting`: a burst is on).
    pub fn rate_at(&self, t: f64, bursting: bool) -> f64 {
        let shape = self.profile.as_ref().map_or(1.0, |p| p.at(t));
        let burst = if bursting { self.bursts.as_ref().map_or(1.0, |b| b.factor) } else { 1.0 };
        self.rate * shape * burst
    }
}

impl Class {
    /// Offered arrival rate of an open class [requests/s] (long-run mean for
    /// a varying rate or a trace); `None` for closed classes.
    pub fn open_rate(&self) -> Option<f64> {
        if let Some(m) = &self.modulation {
            return Some(m.mean_rate());
        }
        if let Some(times) = &self.trace {
            let span = times.last().copied().unwrap_or(0.0);
            return Some(if span > 0.0 { times.len() as f64 / span } else { 0.0 });
        }
        match &self.arrivals {
            Arrivals::Open { interarrival: Some(d) } => Some(1.0 / d.mean()),
            Arrivals::Open { interarrival: None } => Some(0.0),
            Arrivals::Closed { .. } => None,
        }
    }
}
