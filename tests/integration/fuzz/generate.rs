//! Random models from the grammar of the model language: services with
//! instances, threads, cores, queues and balancers; operations whose steps
//! call, forward, branch, compute, read through caches and write; pools,
//! caches, a network, and open and closed request classes. Values are mostly
//! sensible, sometimes at the edge (zero, tiny, huge), and now and then a
//! reference is wrong on purpose, so that most models run and the rest
//! exercise the checks.

use rand::RngExt;

use super::Rng;

/// Edge numbers written into otherwise sensible places.
const EDGE_NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "0.5",
    "1e-300",
    "5e-324",
    "1e300",
    "1e308",
    "4294967295",
    "4294967296",
    "255",
    "256",
    "65535",
    "65536",
    "1e9",
    "1e-9",
    "0.999999999",
];

struct Service {
    name: String,
    ops: Vec<String>,
}

/// Builds model text; every choice comes from `rng`.
pub struct Generator<'r> {
    rng: &'r mut Rng,
    instance_types: &'r [String],
}

impl<'r> Generator<'r> {
    pub fn new(rng: &'r mut Rng, instance_types: &'r [String]) -> Self {
        Generator { rng, instance_types }
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    fn below(&mut self, n: usize) -> usize {
        self.rng.random_range(0..n)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// One of `good`, or rarely one of `bad`.
    fn choose(&mut self, good: &[&str], bad: &[&str]) -> String {
        if !bad.is_empty() && self.chance(0.01) { self.pick(bad) } else { self.pick(good) }.to_string()
    }

    /// A number, mostly in `lo..hi` (log-uniform), sometimes an edge value.
    fn number(&mut self, lo: f64, hi: f64) -> String {
        if self.chance(0.005) {
            return self.pick(EDGE_NUMBERS).to_string();
        }
        let x = (lo.ln() + self.rng.random::<f64>() * (hi.ln() - lo.ln())).exp();
        self.decimal(x)
    }

    /// `x` with two to four significant digits.
    fn decimal(&mut self, x: f64) -> String {
        let digits = (1 - x.log10().floor() as i32).max(0) as usize + self.below(3);
        format!("{x:.digits$}")
    }

    fn int(&mut self, lo: u64, hi: u64) -> String {
        if self.chance(0.005) {
            return self.pick(EDGE_NUMBERS).to_string();
        }
        self.rng.random_range(lo..=hi).to_string()
    }

    /// A duration of roughly `lo..hi` milliseconds, with a unit.
    fn duration_ms(&mut self, lo: f64, hi: f64) -> String {
        if self.chance(0.005) {
            return self
                .pick(&["0s", "1ns", "0.4ns", "1e308s", "1e-300s", "1e12s", "365d", "-1ms", "5", "1 parsec"])
                .to_string();
        }
        let ms = (lo.ln() + self.rng.random::<f64>() * (hi.ln() - lo.ln())).exp();
        match self.below(4) {
            0 => format!("{}us", self.decimal(ms * 1e3)),
            1 => format!("{}s", self.decimal(ms / 1e3)),
            _ => format!("{}ms", self.decimal(ms)),
        }
    }

    fn probability(&mut self) -> String {
        if self.chance(0.01) {
            return self.pick(&["0", "1", "-0.1", "1.5", "nan", "inf"]).to_string();
        }
        format!("{:.3}", self.rng.random::<f64>())
    }

    /// A distribution of every family and form `Dist::parse` reads.
    pub fn dist(&mut self, lo_ms: f64, hi_ms: f64) -> String {
        let d = |g: &mut Self| g.duration_ms(lo_ms, hi_ms);
        match if self.chance(0.005) { 18 } else { self.below(18) } {
            0 => format!("exp({})", d(self)),
            1 => format!("exp(mean={})", d(self)),
            2 => format!("exp(rate={}/s)", self.number(1000.0 / hi_ms, 1000.0 / lo_ms)),
            3 => format!("const({})", d(self)),
            4 => {
                let (a, b) = (d(self), d(self));
                if self.chance(0.5) { format!("uniform({a}, {b})") } else { format!("uniform(min={a}, max={b})") }
            }
            5 => format!("normal(mean={}, sd={})", d(self), d(self)),
            6 => format!("lognormal(mean={}, cv={})", d(self), self.number(0.05, 4.0)),
            7 => format!("lognormal(median={}, p99={})", d(self), d(self)),
            8 => format!("gamma(mean={}, cv={})", d(self), self.number(0.05, 4.0)),
            9 => format!("gamma(shape={}, scale={})", self.number(0.1, 10.0), d(self)),
            10 => format!("erlang(k={}, mean={})", self.int(1, 8), d(self)),
            11 => format!("weibull(shape={}, scale={})", self.number(0.3, 5.0), d(self)),
            12 => format!("weibull(shape={}, mean={})", self.number(0.3, 5.0), d(self)),
            13 => format!("pareto(alpha={}, min={})", self.number(1.05, 5.0), d(self)),
            14 => format!("hyperexp(p={}, mean1={}, mean2={})", self.probability(), d(self), d(self)),
            15 => format!("hyperexp(mean={}, cv={})", d(self), self.number(1.0, 10.0)),
            16 => {
                let n = 1 + self.below(6);
                let samples: Vec<String> = (0..n).map(|_| d(self)).collect();
                format!("empirical({})", samples.join(", "))
            }
            17 => {
                let mut ms: Vec<f64> = (0..4).map(|_| lo_ms + self.rng.random::<f64>() * (hi_ms - lo_ms)).collect();
                if self.chance(0.98) {
                    ms.sort_by(f64::total_cmp);
                }
                let pcts = ["p0", "p50", "p99", "p100"];
                let points: Vec<String> = pcts.iter().zip(&ms).map(|(p, v)| format!("{p}={v:.3}ms")).collect();
                format!("empirical({})", points.join(", "))
            }
            _ => self
                .pick(&[
                    "exp()",
                    "exp(5)",
                    "lognormal(mean=1ms)",
                    "zipf(1ms)",
                    "const(1ms",
                    "",
                    "gamma(shape=2, scale=1ms, cv=1)",
                ])
                .to_string(),
        }
    }

    /// A whole model.
    pub fn model(&mut self) -> String {
        let mut out = String::new();
        self.simulation(&mut out);

        let n_services = 1 + self.below(5);
        let names = ["api", "web", "auth", "db", "cache", "search", "queue", "render"];
        let services: Vec<Service> = (0..n_services)
            .map(|i| Service {
                name: if self.chance(0.5) { names[i].to_string() } else { format!("s{i}") },
                ops: (0..1 + self.below(3)).map(|j| ["get", "put", "list", "read"][j].to_string()).collect(),
            })
            .collect();
        let all_ops: Vec<(usize, String)> = services
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.ops.iter().map(move |o| (i, format!("{}.{o}", s.name))))
            .collect();

        if self.chance(0.3) {
            out.push_str("[network]\n");
            if self.chance(0.8) {
                let lat = self.dist(0.05, 5.0);
                out.push_str(&format!("latency = \"{lat}\"\n"));
            }
            if self.chance(0.5) {
                let bw = self.choose(&["1Gbps", "100Mbps", "125MB/s", "10Gbps", "1bps"], &["0Mbps", "fast"]);
                out.push_str(&format!("bandwidth = \"{bw}\"\n"));
            }
            out.push('\n');
        }

        // Pools and caches, named before the services that use them.
        let n_pools = if self.chance(0.3) { 1 + self.below(2) } else { 0 };
        let mut pool_owner = Vec::new();
        for p in 0..n_pools {
            out.push_str(&format!("[pools.p{p}]\nsize = {}\n", self.int(1, 30)));
            let owner = if self.chance(0.4) { Some(self.below(n_services)) } else { None };
            if let Some(s) = owner {
                out.push_str(&format!("per = \"{}\"\n", services[s].name));
            }
            if self.chance(0.5) {
                let t = self.pick(&["0s", "1ms", "50ms", "1s"]);
                out.push_str(&format!("wait_timeout = \"{t}\"\n"));
            }
            out.push('\n');
            pool_owner.push(owner);
        }
        let n_caches = if self.chance(0.25) { 1 + self.below(2) } else { 0 };
        for c in 0..n_caches {
            let keys = if self.chance(0.9) { self.int(1, 100_000) } else { self.int(1, 10) };
            out.push_str(&format!("[caches.c{c}]\nkeys = {keys}\n"));
            if self.chance(0.7) {
                let z = self.number(0.01, 3.0);
                out.push_str(&format!("zipf = {z}\n"));
            }
            let ttl = self.duration_ms(1.0, 10_000.0);
            // Lookups go to the last service's first op (a leaf, mostly).
            let lookup = if self.chance(0.99) { all_ops.last().expect("ops").1.clone() } else { "nowhere.get".into() };
            out.push_str(&format!("ttl = \"{ttl}\"\nlookup = \"{lookup}\"\n"));
            if self.chance(0.6) {
                let w = self.choose(&["invalidate", "update", "ignore"], &["delete"]);
                out.push_str(&format!("on_write = \"{w}\"\n"));
            }
            out.push('\n');
        }

        self.workload(&mut out, &services, &all_ops);

        for (si, s) in services.iter().enumerate() {
            self.service(&mut out, si, s, &all_ops, &pool_owner, n_caches);
        }
        out
    }

    fn simulation(&mut self, out: &mut String) {
        out.push_str("[simulation]\n");
        if self.chance(0.97) {
            let d = self.pick(&["0.5s", "1s", "2s", "5s", "200ms"]);
            out.push_str(&format!("duration = \"{d}\"\n"));
        }
        if self.chance(0.3) {
            let r = self.int(1, 500);
            out.push_str(&format!("requests = {r}\n"));
        }
        if self.chance(0.3) {
            let w = self.pick(&["0s", "100ms", "1s"]);
            out.push_str(&format!("warmup = \"{w}\"\n"));
        }
        if self.chance(0.5) {
            out.push_str(&format!("seed = {}\n", self.rng.random::<u32>()));
        }
        if self.chance(0.2) {
            out.push_str(&format!("replications = {}\n", self.int(1, 3)));
        }
        if self.chance(0.2) {
            out.push_str(&format!("max_in_flight = {}\n", self.int(1, 200)));
        }
        out.push('\n');
    }

    fn workload(&mut self, out: &mut String, services: &[Service], all_ops: &[(usize, String)]) {
        for c in 0..1 + self.below(3) {
            // Mostly the first service's ops: the entry tier.
            let target = if self.chance(0.8) {
                format!("{}.{}", services[0].name, services[0].ops[0])
            } else if self.chance(0.98) {
                self.pick(all_ops).1.clone()
            } else {
                "missing.op".to_string()
            };
            out.push_str(&format!("[workload.w{c}]\ntarget = \"{target}\"\n"));
            match self.below(10) {
                0..=5 => {
                    let rate = self.number(1.0, 2000.0);
                    out.push_str(&format!("rate = \"{rate}/s\"\n"));
                    if self.chance(0.2) {
                        let p = self.choose(&["poisson", "deterministic"], &["bursty"]);
                        out.push_str(&format!("process = \"{p}\"\n"));
                    }
                }
                6..=7 => {
                    let d = self.dist(0.5, 50.0);
                    out.push_str(&format!("interarrival = \"{d}\"\n"));
                }
                _ => {
                    out.push_str(&format!("users = {}\n", self.int(0, 50)));
                    if self.chance(0.97) {
                        let d = self.dist(1.0, 200.0);
                        out.push_str(&format!("think = \"{d}\"\n"));
                    }
                }
            }
            if self.chance(0.3) {
                let p = if self.chance(0.98) {
                    self.int(0, 3)
                } else {
                    self.pick(&["254", "255", "256", "-1"]).to_string()
                };
                out.push_str(&format!("priority = {p}\n"));
            }
            out.push('\n');
        }
    }

    fn service(
        &mut self,
        out: &mut String,
        si: usize,
        s: &Service,
        all_ops: &[(usize, String)],
        pool_owner: &[Option<usize>],
        n_caches: usize,
    ) {
        out.push_str(&format!("[services.{}]\n", s.name));
        let event_loop = self.chance(0.15);
        if self.chance(0.7) {
            out.push_str(&format!("instances = {}\n", self.int(1, 6)));
        }
        if self.chance(0.15) && !self.instance_types.is_empty() {
            let t = if self.chance(0.99) { self.pick(self.instance_types).clone() } else { "m9.huge".to_string() };
            out.push_str(&format!("instance_type = \"{t}\"\n"));
        }
        if event_loop {
            out.push_str("concurrency = \"event_loop\"\n");
            if self.chance(0.6) {
                out.push_str(&format!("max_in_flight = {}\n", self.int(1, 1000)));
            }
        } else if self.chance(0.7) {
            let key = if self.chance(0.9) { "threads" } else { "workers" };
            out.push_str(&format!("{key} = {}\n", self.int(1, 64)));
        }
        if self.chance(0.4) {
            out.push_str(&format!("cores = {}\n", self.int(1, 16)));
        }
        if self.chance(0.2) {
            out.push_str(&format!("speed = {}\n", self.number(0.25, 4.0)));
        }
        if self.chance(0.3) {
            out.push_str(&format!("queue_limit = {}\n", self.int(0, 100)));
        }
        if self.chance(0.2) {
            let d = self.choose(&["fifo", "priority"], &["lifo"]);
            out.push_str(&format!("discipline = \"{d}\"\n"));
        }
        if self.chance(0.4) {
            let b = self.pick(&["round_robin", "random", "least_connections", "power_of_two", "join_shortest_queue"]);
            out.push_str(&format!("balance = \"{b}\"\n"));
        }
        if self.chance(0.3) {
            out.push_str(&format!("cost_per_hour = {}\n", self.number(0.01, 5.0)));
        }
        if self.chance(0.1) {
            // Mostly short enough to fail within a short run.
            let (mttf, mttr) = (self.dist(100.0, 5000.0), self.dist(10.0, 2000.0));
            let detect = self.duration_ms(1.0, 500.0);
            out.push_str(&format!("failures = {{ mttf = \"{mttf}\", mttr = \"{mttr}\", detect = \"{detect}\" }}\n"));
        }
        out.push('\n');

        for op in &s.ops {
            out.push_str(&format!("[services.{}.ops.{op}]\n", s.name));
            if self.chance(0.85) {
                let d = self.dist(0.05, 20.0);
                out.push_str(&format!("demand = \"{d}\"\n"));
            }
            // Calls mostly go down the tiers, so most models have no cycle.
            let downstream: Vec<&String> = all_ops.iter().filter(|(i, _)| *i > si).map(|(_, o)| o).collect();
            let n_steps = if downstream.is_empty() && n_caches == 0 { self.below(2) } else { self.below(5) };
            if n_steps > 0 {
                out.push_str("steps = [\n");
                for k in 0..n_steps {
                    let last = k + 1 == n_steps;
                    let step = self.step(si, &downstream, all_ops, pool_owner, n_caches, last);
                    out.push_str(&format!("  {step},\n"));
                }
                out.push_str("]\n");
            }
            out.push('\n');
        }
    }

    fn target(&mut self, downstream: &[&String], all_ops: &[(usize, String)]) -> String {
        if !downstream.is_empty() && self.chance(0.98) {
            self.pick(downstream).to_string()
        } else if self.chance(0.98) {
            self.pick(all_ops).1.clone()
        } else {
            "db.reed".to_string()
        }
    }

    /// The keys of a call (after `call = "..."`).
    fn call_options(&mut self, si: usize, pool_owner: &[Option<usize>]) -> String {
        let mut o = String::new();
        if self.chance(0.2) {
            let c = if self.chance(0.95) { self.int(1, 4) } else { self.int(5, 200) };
            o.push_str(&format!(", count = {c}"));
        }
        if self.chance(0.2) {
            let p = self.rng.random_range(1..=6u32);
            o.push_str(&format!(", parallel = {p}"));
            if self.chance(0.5) {
                let over = u32::from(self.chance(0.1));
                let q = self.rng.random_range(1..=p + over);
                o.push_str(&format!(", quorum = {q}"));
            }
        } else if self.chance(0.005) {
            o.push_str(", quorum = 2");
        }
        if !pool_owner.is_empty() && self.chance(0.4) {
            let p = self.below(pool_owner.len());
            // A per-service pool belongs to its owner's calls; now and then it is misused.
            if pool_owner[p].is_none_or(|s| s == si) || self.chance(0.03) {
                o.push_str(&format!(", pool = \"p{p}\""));
            }
        } else if self.chance(0.003) {
            o.push_str(", pool = \"nopool\"");
        }
        if self.chance(0.15) {
            let d = self.dist(0.01, 5.0);
            o.push_str(&format!(", latency = \"{d}\""));
        }
        if self.chance(0.1) {
            let size = self.choose(&["512B", "10KB", "1MB", "50MB", "1.5GiB", "0B"], &["-1KB", "12"]);
            o.push_str(&format!(", response_size = \"{size}\""));
        }
        o
    }

    fn step(
        &mut self,
        si: usize,
        downstream: &[&String],
        all_ops: &[(usize, String)],
        pool_owner: &[Option<usize>],
        n_caches: usize,
        last: bool,
    ) -> String {
        loop {
            match self.below(12) {
                0..=4 if !downstream.is_empty() || self.chance(0.02) => {
                    let t = self.target(downstream, all_ops);
                    let opts = self.call_options(si, pool_owner);
                    return format!("{{ call = \"{t}\"{opts} }}");
                }
                5 if last || self.chance(0.01) => {
                    let t = self.target(downstream, all_ops);
                    return format!("{{ forward = \"{t}\" }}");
                }
                6..=7 => {
                    let d = self.dist(0.01, 10.0);
                    return format!("{{ compute = \"{d}\" }}");
                }
                8..=9 => return self.branch(si, downstream, all_ops, pool_owner, last),
                10 if n_caches > 0 => {
                    let c = self.below(n_caches);
                    let miss = self.target(downstream, all_ops);
                    return if self.chance(0.99) {
                        format!("{{ cache = \"c{c}\", miss = \"{miss}\" }}")
                    } else {
                        format!("{{ cache = \"c{c}\" }}")
                    };
                }
                11 if n_caches > 0 => {
                    let c = if self.chance(0.99) { format!("c{}", self.below(n_caches)) } else { "nocache".into() };
                    return format!("{{ write = \"{c}\" }}");
                }
                _ if self.chance(0.003) => {
                    return self.pick(&["{}", "{ call = \"a.b\", forward = \"a.b\" }", "{ count = 2 }"]).to_string();
                }
                _ => {}
            }
        }
    }

    fn branch(
        &mut self,
        si: usize,
        downstream: &[&String],
        all_ops: &[(usize, String)],
        pool_owner: &[Option<usize>],
        last: bool,
    ) -> String {
        let n = 1 + self.below(3);
        // Probabilities in hundredths that sum to 100 (now and then they do not).
        let mut cuts: Vec<u32> = (0..n - 1).map(|_| self.rng.random_range(0..=100)).collect();
        cuts.sort_unstable();
        let mut ps = Vec::new();
        let mut prev = 0;
        for c in cuts.into_iter().chain([100]) {
            ps.push(c - prev);
            prev = c;
        }
        if self.chance(0.01) {
            ps[0] += 10;
        }
        let arms: Vec<String> = ps
            .iter()
            .map(|&p| {
                let p = format!("{:.2}", f64::from(p) / 100.0);
                match self.below(4) {
                    0 | 1 if !downstream.is_empty() => {
                        let t = self.target(downstream, all_ops);
                        let opts = self.call_options(si, pool_owner);
                        format!("{{ p = {p}, call = \"{t}\"{opts} }}")
                    }
                    // A forward in an arm may go anywhere: loops with a way out are allowed.
                    2 if last || self.chance(0.1) => {
                        let t = self.pick(all_ops).1.clone();
                        format!("{{ p = {p}, forward = \"{t}\" }}")
                    }
                    _ => format!("{{ p = {p} }}"),
                }
            })
            .collect();
        format!("{{ branch = [{}] }}", arms.join(", "))
    }
}
