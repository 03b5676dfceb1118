//! Request classes: the workload's open, closed, modulated and replayed
//! traffic, and the classes of the clients that poll published messages.
//! Also the checks that keep a run's clock moving: arrivals faster than a
//! nanosecond, and distributions whose draws almost all round to 0 ns.

use std::sync::Arc;

use toml::Spanned;

use super::compile::Compiler;
use super::{Arrivals, Bursts, Class, Modulation, Profile, Settings};
use crate::config::{self, ModelFile};
use crate::dist::Dist;
use crate::error::ModelError;
use crate::policy::ArrivalProcess;

impl Compiler<'_> {
    /// The workload's request classes, in file order.
    pub(super) fn classes(&mut self, file: &ModelFile, settings: &Settings) -> Result<Vec<Class>, ModelError> {
        if file.workload.is_empty() {
            return Err(ModelError::new(&self.src.file, "the model has no request class")
                .with_key("workload")
                .with_hint(
                    "add a [workload.NAME] table with target = \"service.op\" and rate = \"100/s\" (or users = 50)",
                ));
        }
        let mut classes = Vec::new();
        let mut total_clients = 0u64;
        for (cname, w_spanned) in &file.workload {
            let w = w_spanned.get_ref();
            let key = format!("workload.{cname}");
            let target = self.resolve(&w.target, format!("{key}.target"))?;
            self.check_class(w_spanned, &key)?;
            let source = self.arrivals(w_spanned, &key)?;
            // Per-client rate limits keep a token bucket for every client of every class.
            total_clients += u64::from(w.clients.map_or(1, |c| c.0));
            if total_clients > 10_000_000 {
                return Err(self.err(
                    w_spanned.span(),
                    format!("{key}.clients"),
                    "at most 10 million clients over all classes (memory grows with clients)",
                ));
            }
            let stream = self.stream(format!("arrivals:{cname}"));
            let modulation = self.modulation(w, &key, cname, settings)?;
            let (source, trace) = match &w.trace {
                Some(path) => (Arrivals::Open { interarrival: None }, Some(self.trace(path, &format!("{key}.trace"))?)),
                None => match &modulation {
                    Some(m) if m.peak > 0.0 => (
                        Arrivals::Open {
                            interarrival: Some(
                                Dist::exponential(1.0 / m.peak)
                                    .map_err(|e| self.err(w_spanned.span(), format!("{key}.rate"), e.to_string()))?,
                            ),
                        },
                        None,
                    ),
                    Some(_) => (Arrivals::Open { interarrival: None }, None),
                    None => (source, None),
                },
            };
            classes.push(Class {
                name: cname.clone(),
                target,
                arrivals: source,
                stream,
                priority: w.priority,
                clients: w.clients.map_or(1, |c| c.0),
                client_stream: self.stream(format!("clients:{cname}")),
                polling: false,
                modulation,
                trace,
            });
        }
        Ok(classes)
    }

    /// Checks that a class has one kind of traffic, and only the keys that kind takes.
    fn check_class(&self, w_spanned: &Spanned<config::WorkloadConfig>, key: &str) -> Result<(), ModelError> {
        let w = w_spanned.get_ref();
        let kinds = [w.rate.is_some(), w.interarrival.is_some(), w.users.is_some(), w.trace.is_some()];
        if kinds.iter().filter(|&&b| b).count() != 1 {
            return Err(self
                .err(w_spanned.span(), key, "a class needs exactly one of `rate`, `interarrival`, `users` or `trace`")
                .with_hint("open traffic: rate = \"100/s\"; any renewal process: interarrival = \"const(10ms)\"; closed loop: users = 50 and think = \"exp(1s)\"; replay: trace = \"arrivals.csv\""));
        }
        if (w.profile.is_some() || w.bursts.is_some()) && (w.rate.is_none() || w.process != ArrivalProcess::Poisson) {
            return Err(self
                .err(w_spanned.span(), key, "`profile` and `bursts` vary the rate of Poisson traffic")
                .with_hint("give the class a `rate` (and no `process`, or process = \"poisson\")"));
        }
        if w.think.is_some() && w.users.is_none() {
            return Err(self.err(w_spanned.span(), key, "`think` applies to closed classes (with `users`) only"));
        }
        if w.process != ArrivalProcess::Poisson && w.rate.is_none() {
            return Err(self.err(w_spanned.span(), key, "`process` applies to classes with a `rate` only"));
        }
        Ok(())
    }

    /// How a class's requests arrive, before any profile, bursts or trace.
    fn arrivals(&self, w_spanned: &Spanned<config::WorkloadConfig>, key: &str) -> Result<Arrivals, ModelError> {
        let w = w_spanned.get_ref();
        if let Some(users) = w.users {
            let think = w
                .think
                .as_ref()
                .map_or_else(|| Dist::constant(0.0).expect("zero is a valid constant"), |t| t.0.clone());
            // A request can fail at once (a full queue, the in-flight cap): its
            // user would then retry at the same instant, forever.
            if users > 0 && think.mean() < CLOCK_RESOLUTION_S {
                return Err(self
                    .err(
                        w_spanned.span(),
                        format!("{key}.think"),
                        "a closed class needs a think time of at least 1 ns on average: without one, \
                         a user whose request fails at once retries at the same instant, forever",
                    )
                    .with_hint(
                        "add e.g. think = \"exp(1s)\"; for users that send back to back, think = \"const(1ns)\"",
                    ));
            }
            if users > 0 && !moves_the_clock(&think) {
                return Err(self
                    .err(w_spanned.span(), format!("{key}.think"), stuck_clock("a think time", &think))
                    .with_hint(EXTREME_HINT));
            }
            Ok(Arrivals::Closed { users, think })
        } else if let Some(rate) = w.rate {
            let interarrival = if rate.0 == 0.0 {
                None
            } else {
                let mean = 1.0 / rate.0;
                if mean < CLOCK_RESOLUTION_S {
                    return Err(self
                        .err(
                            w_spanned.span(),
                            format!("{key}.rate"),
                            format!("{}/s is faster than the simulation clock, which ticks in nanoseconds", rate.0),
                        )
                        .with_hint("a rate can be at most 1e9/s (one arrival per nanosecond)"));
                }
                Some(
                    match w.process {
                        ArrivalProcess::Poisson => Dist::exponential(mean),
                        ArrivalProcess::Deterministic => Dist::constant(mean),
                    }
                    .map_err(|e| self.err(w_spanned.span(), format!("{key}.rate"), e.to_string()))?,
                )
            };
            Ok(Arrivals::Open { interarrival })
        } else if w.trace.is_some() {
            Ok(Arrivals::Open { interarrival: None })
        } else {
            let d = w.interarrival.as_ref().expect("one kind is set").0.clone();
            if d.mean() < CLOCK_RESOLUTION_S {
                return Err(self.err(
                    w_spanned.span(),
                    format!("{key}.interarrival"),
                    "the mean inter-arrival time must be positive, and at least the clock's resolution of 1 ns",
                ));
            }
            if !moves_the_clock(&d) {
                return Err(self
                    .err(w_spanned.span(), format!("{key}.interarrival"), stuck_clock("an inter-arrival time", &d))
                    .with_hint(EXTREME_HINT));
            }
            Ok(Arrivals::Open { interarrival: Some(d) })
        }
    }

    /// The rate curve and bursts of a class, if it has either.
    fn modulation(
        &mut self,
        w: &config::WorkloadConfig,
        key: &str,
        name: &str,
        settings: &Settings,
    ) -> Result<Option<Modulation>, ModelError> {
        if w.profile.is_none() && w.bursts.is_none() {
            return Ok(None);
        }
        let rate = w.rate.map_or(0.0, |r| r.0);
        let profile = match &w.profile {
            Some(p) => {
                let cfg = p.get_ref();
                let points: Vec<(f64, f64)> = cfg.points.iter().map(|(t, f)| (t.0, f.0)).collect();
                let err = |msg: &str| self.err(p.span(), format!("{key}.profile.points"), msg.to_string());
                if points.is_empty() {
                    return Err(err("a profile needs at least one [time, factor] point"));
                }
                if points.windows(2).any(|w| w[1].0 <= w[0].0) {
                    return Err(err("profile points must be in increasing time order"));
                }
                if let Some(period) = cfg.period
                    && points.last().is_some_and(|l| l.0 >= period.0)
                {
                    return Err(self.err(
                        p.span(),
                        format!("{key}.profile.period"),
                        "every profile point must lie within the period",
                    ));
                }
                Some(Profile {
                    points,
                    linear: cfg.shape == config::ProfileShape::Linear,
                    period: cfg.period.map(|p| p.0),
                    window: settings.duration.map(|d| (settings.warmup, settings.warmup + d)),
                })
            }
            None => None,
        };
        let bursts = w.bursts.as_ref().map(|b| {
            let cfg = b.get_ref();
            Bursts {
                factor: cfg.factor.0,
                every: cfg.every.0.clone(),
                lasting: cfg.lasting.0.clone(),
                stream: self.stream(format!("bursts:{name}")),
            }
        });
        let peak =
            rate * profile.as_ref().map_or(1.0, Profile::peak) * bursts.as_ref().map_or(1.0, |b| b.factor.max(1.0));
        // Candidates come at the peak rate: beyond one a nanosecond the clock could not move.
        if peak > 1e9 {
            let span = w.profile.as_ref().map_or_else(|| w.bursts.as_ref().expect("one is set").span(), |p| p.span());
            return Err(self
                .err(
                    span,
                    format!("{key}.rate"),
                    format!("the peak rate is {peak:.3e}/s: more than a billion requests per second"),
                )
                .with_hint("check the profile factors and burst factor: the peak is rate x largest factor"));
        }
        Ok(Some(Modulation { rate, profile, bursts, peak }))
    }

    /// Reads a trace of arrival times: one number of seconds per line, a header allowed.
    fn trace(&self, path: &Spanned<String>, key: &str) -> Result<Arc<Vec<f64>>, ModelError> {
        let base = std::path::Path::new(&self.src.file).parent().unwrap_or(std::path::Path::new("."));
        let file = base.join(path.get_ref());
        let text = std::fs::read_to_string(&file).map_err(|e| {
            self.err(path.span(), key.to_string(), format!("cannot read the trace `{}`: {e}", file.display()))
        })?;
        let mut times = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let field = line.split(',').next().unwrap_or("").trim();
            if field.is_empty() {
                continue;
            }
            match field.parse::<f64>() {
                Ok(t) if t.is_finite() && t >= 0.0 && times.last().is_none_or(|&l| t >= l) => times.push(t),
                Ok(_) => {
                    return Err(ModelError::new(
                        &file.display().to_string(),
                        format!("line {}: arrival times must be non-negative, finite and in order", i + 1),
                    )
                    .with_key(key.to_string()));
                }
                // A header line.
                Err(_) if times.is_empty() && i == 0 => {}
                Err(_) => {
                    return Err(ModelError::new(
                        &file.display().to_string(),
                        format!("line {}: `{field}` is not a number of seconds", i + 1),
                    )
                    .with_key(key.to_string()));
                }
            }
        }
        if times.is_empty() {
            return Err(self.err(path.span(), key.to_string(), "the trace has no arrival times"));
        }
        Ok(Arc::new(times))
    }

    /// Adds the class of each poll's clients, after the workload's classes.
    pub(super) fn poll_classes(&mut self, classes: &mut Vec<Class>) {
        for (p, name) in std::mem::take(&mut self.poll_classes).into_iter().enumerate() {
            self.polls[p].class = classes.len() as u32;
            classes.push(Class {
                stream: self.stream(format!("arrivals:{name}")),
                client_stream: self.stream(format!("clients:{name}")),
                name,
                target: self.polls[p].op,
                arrivals: Arrivals::Open { interarrival: None },
                priority: 0,
                clients: 1,
                polling: true,
                modulation: None,
                trace: None,
            });
        }
    }

    /// Checks that the closed classes' users fit in `max_in_flight`.
    pub(super) fn closed_users(&self, classes: &[Class], settings: &Settings) -> Result<(), ModelError> {
        let total_users: u64 = classes
            .iter()
            .map(|c| match c.arrivals {
                Arrivals::Closed { users, .. } => u64::from(users),
                Arrivals::Open { .. } => 0,
            })
            .sum();
        if total_users > u64::from(settings.max_in_flight) {
            return Err(ModelError::new(
                &self.src.file,
                format!("{total_users} closed-loop users exceed max_in_flight = {}", settings.max_in_flight),
            )
            .with_key("simulation.max_in_flight")
            .with_hint(format!("set simulation.max_in_flight to at least {total_users}")));
        }
        Ok(())
    }
}

/// The simulation clock's resolution \[s\]: time is kept in integer nanoseconds.
const CLOCK_RESOLUTION_S: f64 = 1e-9;

/// Draws that [`moves_the_clock`] looks at.
const CLOCK_DRAWS: usize = 100_000;

/// Whether the gaps a renewal process draws from `d` ever reach the clock's
/// tick. With extreme parameters (gamma with cv = 1e9, Weibull with shape
/// 0.01) a distribution can have a sensible mean that rests on draws rarer
/// than one in billions, all others rounding to 0 ns: its arrivals would pile
/// up at one instant and the run would never end. The draws use a fixed
/// stream, so the verdict is the same every time.
fn moves_the_clock(d: &Dist) -> bool {
    let mut rng = crate::rng::stream(0, "clock check");
    (0..CLOCK_DRAWS).any(|_| d.sample(&mut rng) >= CLOCK_RESOLUTION_S / 2.0)
}

/// Why `d` would stop the clock, naming `what` it draws.
fn stuck_clock(what: &str, d: &Dist) -> String {
    format!(
        "{d} almost never draws {what} of a nanosecond or more (none of {CLOCK_DRAWS} draws did), \
         though its mean is {}: arrivals would pile up at one instant",
        crate::format::format_duration(d.mean())
    )
}

/// The hint for a distribution that would stop the clock.
const EXTREME_HINT: &str = "use less extreme parameters (a smaller cv, a larger shape or alpha)";
