//! The components that steps use by name: connection pools, keyed caches,
//! replicated databases and message queues. Compiled before the services,
//! so a step can use a component defined anywhere in the file; this file
//! also owns the name lookups steps make, with their "did you mean" hints,
//! and the check that each queue has a consumer service of its own.

use std::collections::HashMap;

use toml::Spanned;

use super::compile::Compiler;
use super::graph::Edge;
use super::{Cache, Call, Database, NONE, Network, Op, Pool, Queue, Service};
use crate::config::{self, ModelFile};
use crate::error::{ModelError, closest};

impl Compiler<'_> {
    /// Connection pools, each optionally one per instance of a service.
    pub(super) fn pools(&mut self, file: &ModelFile) -> Result<(), ModelError> {
        let service_ids: HashMap<&str, u32> =
            file.services.keys().enumerate().map(|(i, n)| (n.as_str(), i as u32)).collect();
        for (name, p) in &file.pools {
            let cfg = p.get_ref();
            let per = match &cfg.per {
                Some(svc) => Some(*service_ids.get(svc.get_ref().as_str()).ok_or_else(|| {
                    self.src
                        .error_at(svc.span(), format!("no service named `{}`", svc.get_ref()))
                        .with_key(format!("pools.{name}.per"))
                        .with_hint("`per` names the service whose every instance has its own pool")
                })?),
                None => None,
            };
            self.pool_ids.insert(name.clone(), self.pools.len() as u32);
            self.pools.push(Pool {
                name: name.clone(),
                size: cfg.size.0,
                per,
                wait_timeout: cfg.wait_timeout.map(|t| t.0),
            });
        }
        Ok(())
    }

    /// Keyed caches, each with the plain call site of its lookup operation.
    pub(super) fn caches(&mut self, file: &ModelFile) -> Result<(), ModelError> {
        for (name, c) in &file.caches {
            let cfg = c.get_ref();
            let key = format!("caches.{name}");
            let op = self.resolve(&cfg.lookup, format!("{key}.lookup"))?;
            self.calls.push(Call {
                op,
                count: 1,
                parallel: 1,
                quorum: 1,
                batch: 1,
                timeout: 0.0,
                retry: NONE,
                breaker: NONE,
                guard: NONE,
                pool: NONE,
                latency: NONE,
                latency_stream: NONE,
                bytes: 0.0,
                transfer: 0.0,
                hedge: NONE,
            });
            if cfg.keys.0 > 10_000_000 {
                return Err(self.err(
                    c.span(),
                    format!("{key}.keys"),
                    "at most 10 million keys (each takes 16 bytes in every replication running)",
                ));
            }
            self.cache_ids.insert(name.clone(), self.caches.len() as u32);
            let lookup = (self.calls.len() - 1) as u32;
            let stream = self.stream(format!("cache:{name}"));
            self.caches.push(Cache {
                name: name.clone(),
                keys: cfg.keys.0,
                zipf: cfg.zipf.0,
                ttl: cfg.ttl.0,
                lookup,
                on_write: cfg.on_write,
                stream,
                expected_hit_ratio: None,
            });
        }
        Ok(())
    }

    /// Replicated databases: a read and a write operation, and replica lag.
    pub(super) fn databases(&mut self, file: &ModelFile) -> Result<(), ModelError> {
        for (name, d) in &file.databases {
            let cfg = d.get_ref();
            let key = format!("databases.{name}");
            if self.cache_ids.contains_key(name) {
                return Err(self
                    .err(d.span(), key, format!("`{name}` names both a cache and a database"))
                    .with_hint("`write` steps find caches and databases by name; rename one of them"));
            }
            if cfg.keys.0 > 10_000_000 {
                return Err(self.err(
                    d.span(),
                    format!("{key}.keys"),
                    "at most 10 million keys (memory grows with keys, in every replication running)",
                ));
            }
            let read_op = self.resolve(&cfg.read, format!("{key}.read"))?;
            let write_op = self.resolve(&cfg.write, format!("{key}.write"))?;
            let (primary_read_op, primary_share) = self.primary_reads(&key, cfg)?;
            self.db_ids.insert(name.clone(), self.databases.len() as u32);
            let split_stream = if primary_share.is_some() { self.stream(format!("read_split:{name}")) } else { NONE };
            let lag_stream = self.stream(format!("lag:{name}"));
            let key_stream = self.stream(format!("rows:{name}"));
            self.databases.push(Database {
                name: name.clone(),
                keys: cfg.keys.0,
                zipf: cfg.zipf.0,
                lag: cfg.lag.0.clone(),
                lag_stream,
                key_stream,
                read_op,
                write_op,
                primary_read_op,
                primary_share,
                split_stream,
                expected_primary_share: 0.0,
            });
        }
        Ok(())
    }

    /// A database's `primary_read` op (`NONE` without one) and its fixed
    /// `primary_share`: the op must be on the primary (the service of
    /// `write`), not on the replicas.
    fn primary_reads(&self, key: &str, cfg: &config::DatabaseConfig) -> Result<(u32, Option<f64>), ModelError> {
        let service = |op: &str| op.split_once('.').map_or("", |(s, _)| s).to_string();
        let Some(name) = &cfg.primary_read else {
            if let Some(share) = &cfg.primary_share {
                return Err(self
                    .err(share.span(), format!("{key}.primary_share"), "`primary_share` needs `primary_read`")
                    .with_hint("name the primary's read operation, e.g. primary_read = \"primary.query\""));
            }
            return Ok((NONE, None));
        };
        let op = self.resolve(name, format!("{key}.primary_read"))?;
        let (primary, replicas) = (service(cfg.write.get_ref()), service(cfg.read.get_ref()));
        if service(name.get_ref()) != primary || primary == replicas {
            return Err(self
                .err(
                    name.span(),
                    format!("{key}.primary_read"),
                    format!("`primary_read` is an operation of the primary `{primary}` (the service of `write`), whose replicas are `{replicas}`"),
                )
                .with_hint("the primary and the replicas are two services: `write` and `primary_read` on the primary, `read` on the replicas"));
        }
        Ok((op, cfg.primary_share.as_ref().map(|s| s.get_ref().0)))
    }

    /// Message queues and their consumer operations.
    pub(super) fn queues(&mut self, file: &ModelFile) -> Result<(), ModelError> {
        for (name, q) in &file.queues {
            let cfg = q.get_ref();
            let consumer = self.resolve(&cfg.consumer, format!("queues.{name}.consumer"))?;
            self.queue_ids.insert(name.clone(), self.queues.len() as u32);
            self.queues.push(Queue { name: name.clone(), consumer, capacity: cfg.capacity.map_or(u32::MAX, |c| c.0) });
        }
        Ok(())
    }

    /// Marks each queue's consumer service, once the services exist: a
    /// service consumes one queue at most.
    pub(super) fn queue_consumers(&mut self, file: &ModelFile) -> Result<(), ModelError> {
        for (q, queue) in self.queues.iter().enumerate() {
            let service = self.ops[queue.consumer as usize].service as usize;
            if self.services[service].consumes != NONE {
                let span = file.queues[q].span();
                return Err(self
                    .err(
                        span,
                        format!("queues.{}.consumer", queue.name),
                        format!(
                            "service `{}` already consumes queue `{}`",
                            self.services[service].name, self.queues[self.services[service].consumes as usize].name
                        ),
                    )
                    .with_hint("give each queue its own consumer service"));
            }
            self.services[service].consumes = q as u32;
        }
        Ok(())
    }

    /// The id of the pool `name`, or an error about `key`.
    pub(super) fn pool_id(&self, name: &Spanned<String>, key: String) -> Result<u32, ModelError> {
        self.pool_ids.get(name.get_ref()).copied().ok_or_else(|| {
            let mut e = self.src.error_at(name.span(), format!("no pool named `{}`", name.get_ref())).with_key(key);
            e.hint = Some(match closest(name.get_ref(), self.pool_ids.keys().map(String::as_str)) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!("define it: [pools.{}] with size = 20", name.get_ref()),
            });
            e
        })
    }

    /// The id of the cache `name`, or an error about `key`.
    pub(super) fn cache_id(&self, name: &Spanned<String>, key: &str) -> Result<u32, ModelError> {
        self.cache_ids.get(name.get_ref()).copied().ok_or_else(|| {
            let mut e = self
                .src
                .error_at(name.span(), format!("no cache named `{}`", name.get_ref()))
                .with_key(key.to_string());
            e.hint = Some(match closest(name.get_ref(), self.cache_ids.keys().map(String::as_str)) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!("define it: [caches.{}] with keys, ttl and lookup = \"redis.get\"", name.get_ref()),
            });
            e
        })
    }

    /// The id of the database `name`, or an error about `key`.
    pub(super) fn database_id(&self, name: &Spanned<String>, key: String) -> Result<u32, ModelError> {
        self.db_ids.get(name.get_ref()).copied().ok_or_else(|| {
            let mut e = self.src.error_at(name.span(), format!("no database named `{}`", name.get_ref())).with_key(key);
            e.hint = Some(match closest(name.get_ref(), self.db_ids.keys().map(String::as_str)) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!(
                    "define it: [databases.{}] with keys, lag, read = \"replica.query\" and write = \"primary.update\"",
                    name.get_ref()
                ),
            });
            e
        })
    }

    /// The id of the queue `name`, or an error about `key`.
    pub(super) fn queue_id(&self, name: &Spanned<String>, key: String) -> Result<u32, ModelError> {
        self.queue_ids.get(name.get_ref()).copied().ok_or_else(|| {
            let mut e = self.src.error_at(name.span(), format!("no queue named `{}`", name.get_ref())).with_key(key);
            e.hint = Some(match closest(name.get_ref(), self.queue_ids.keys().map(String::as_str)) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!("define it: [queues.{}] with consumer = \"worker.process\"", name.get_ref()),
            });
            e
        })
    }
}

/// Sets each database's expected primary share of reads to its first
/// guess: a fixed `primary_share` as written; for the least loaded policy,
/// in proportion to each side's read capacity (servers over mean read CPU),
/// which [`balance_reads`] then corrects for the primary's other work.
pub(super) fn guess_read_shares(databases: &mut [Database], services: &[Service], ops: &[Op]) {
    for d in databases.iter_mut().filter(|d| d.primary_read_op != NONE) {
        d.expected_primary_share = d.primary_share.unwrap_or_else(|| {
            let (p, r) = (read_capacity(services, ops, d.primary_read_op), read_capacity(services, ops, d.read_op));
            p / (p + r)
        });
    }
}

/// Servers of `op`'s service over its mean CPU per read (servers alone when it has none).
fn read_capacity(services: &[Service], ops: &[Op], op: u32) -> f64 {
    let o = &ops[op as usize];
    let servers = servers(&services[o.service as usize]);
    if o.mean_cpu > 0.0 { servers / o.mean_cpu } else { servers }
}

fn servers(s: &Service) -> f64 {
    f64::from(s.instances) * f64::from(s.usable_cores())
}

/// `edges` with every database read's replica and primary edges weighted
/// by the expected split (`split`: database, replica edge, primary edge).
pub(super) fn split_reads(databases: &[Database], edges: &[Edge], split: &[(u32, usize, usize)]) -> Vec<Edge> {
    let mut out: Vec<Edge> = edges.iter().map(|e| Edge { key: e.key.clone(), span: e.span.clone(), ..*e }).collect();
    for &(db, replica, primary) in split {
        let share = databases[db as usize].expected_primary_share;
        out[replica].weight *= 1.0 - share;
        out[primary].weight *= share;
    }
    out
}

/// The least loaded policy keeps the primary and the replicas about equally
/// busy under load: each database's primary share that equalises their
/// offered CPU load, the primary's writes (and other work) included, from
/// the open classes' traffic at the current shares. Returns whether a share moved.
pub(super) fn balance_reads(net: &mut Network) -> bool {
    let load = super::offered_cpu_load(net);
    let mut moved = false;
    for d in 0..net.databases.len() {
        let db = &net.databases[d];
        if db.primary_read_op == NONE || db.primary_share.is_some() {
            continue;
        }
        let (p_op, r_op) = (db.primary_read_op as usize, db.read_op as usize);
        let (p_svc, r_svc) =
            (&net.services[net.ops[p_op].service as usize], &net.services[net.ops[r_op].service as usize]);
        let (s_p, s_r) = (net.ops[p_op].mean_cpu, net.ops[r_op].mean_cpu);
        let (c_p, c_r) = (servers(p_svc), servers(r_svc));
        let rate = |op: usize| -> f64 {
            (0..net.classes.len()).filter_map(|c| net.admitted_rate(c).map(|r| r * net.visits[c][op])).sum()
        };
        let (reads_p, reads) = (rate(p_op), rate(p_op) + rate(r_op));
        if reads <= 0.0 || s_p <= 0.0 || s_r <= 0.0 {
            continue;
        }
        // The primary's busy servers from everything but these reads.
        let other = (load[net.ops[p_op].service as usize] * c_p - reads_p * s_p).max(0.0);
        // (reads s S_p + other) / c_p = reads (1 - s) S_r / c_r
        let share = ((reads * s_r * c_p - other * c_r) / (reads * (s_p * c_r + s_r * c_p))).clamp(0.0, 1.0);
        if (share - db.expected_primary_share).abs() > 1e-12 {
            net.databases[d].expected_primary_share = share;
            moved = true;
        }
    }
    moved
}
