//! Branch arms with steps and operations run inline (`do`): the loads they
//! put on each service against the traffic equations and theory, the same
//! bits as the steps written out, and every refusal with its place.

use capsim::model::from_str;

use crate::support::{assert_agrees, summary};

/// A cache-aside read: get from the cache; on a miss (1 - `hit`) query the
/// database, then set the cache. `read` is the api's steps.
fn cache_aside(hit: f64, read: &str) -> String {
    format!(
        r#"
        [simulation]
        duration = "4000s"
        warmup = "50s"
        replications = 8
        seed = 23

        [workload.read]
        target = "api.get"
        rate = "50/s"

        [services.api]
        threads = "unlimited"
        cores = 64

        [services.api.ops.get]
        steps = {read}

        [services.api.ops.cached_read]
        steps = [
          {{ call = "redis.get" }},
          {{ branch = [
              {{ p = {hit} }},
              {{ p = {miss}, steps = [{{ compute = "exp(1ms)" }}, {{ call = "db.query" }}, {{ call = "redis.set" }}] }},
          ] }},
        ]

        [services.redis]
        threads = 1
        [services.redis.ops.get]
        demand = "const(4ms)"
        [services.redis.ops.set]
        demand = "const(4ms)"

        [services.db]
        threads = 2
        [services.db.ops.query]
        demand = "exp(20ms)"
        "#,
        miss = 1.0 - hit
    )
}

const VIA_DO: &str = r#"[{ do = "cached_read" }]"#;

/// The same steps as `cached_read`, written in the arm.
const INLINE: &str = r#"[
          { call = "redis.get" },
          { branch = [
              { p = 0.7 },
              { p = 0.30000000000000004, steps = [{ compute = "exp(1ms)" }, { call = "db.query" }, { call = "redis.set" }] },
          ] },
        ]"#;

#[test]
fn cache_aside_arm_sends_the_misses_to_the_database_and_sets_to_the_cache() {
    let (rate, hit) = (50.0, 0.7);
    let s = summary(&cache_aside(hit, VIA_DO));
    let service = |n: &str| s.services.iter().find(|x| x.name == n).unwrap();
    // Utilisation law with constant and exponential demands: the throughput times the demand.
    let miss = 1.0 - hit;
    assert_agrees("database load (1-h) x rate", &service("db").utilisation, miss * rate * 0.020 / 2.0, 0.05);
    assert_agrees(
        "cache load: every get, a set per miss",
        &service("redis").utilisation,
        (1.0 + miss) * rate * 0.004,
        0.03,
    );
}

#[test]
fn theory_counts_calls_in_arms_and_inlined_operations() {
    let net = from_str(&cache_aside(0.7, VIA_DO)).unwrap();
    let a = capsim::analysis::analyse(&net);
    let s = capsim::run::run(&net).summary;
    for name in ["redis", "db"] {
        let i = net.services.iter().position(|x| x.name == name).unwrap();
        assert_agrees(&format!("{name} utilisation"), &s.services[i].utilisation, a.services[i].utilisation, 0.05);
    }
    // The api's CPU: the compute step runs on 30% of the visits.
    let api = net.ops.iter().find(|o| o.name == "api.get").unwrap();
    assert!((api.mean_cpu - 0.3 * 0.001).abs() < 1e-12, "api.get's mean CPU {}", api.mean_cpu);
}

#[test]
fn an_inlined_operation_gives_the_same_numbers_as_its_steps_written_out() {
    let (via_do, inline) = (from_str(&cache_aside(0.7, VIA_DO)).unwrap(), from_str(&cache_aside(0.7, INLINE)).unwrap());
    // The traffic equations see the same calls (its random streams are named
    // by place in the program, so the draws differ).
    assert_eq!(via_do.visits, inline.visits);
    let (a, b) = (capsim::run::run(&via_do).summary, capsim::run::run(&inline).summary);
    for (x, y) in a.services.iter().zip(&b.services) {
        let (u, v) = (&x.utilisation, &y.utilisation);
        let tol = 2.0 * (u.ci95.unwrap().powi(2) + v.ci95.unwrap().powi(2)).sqrt();
        assert!((u.value - v.value).abs() <= tol, "{}: {} vs {} (tolerance {tol})", x.name, u.value, v.value);
    }
    let (m, n) = (&a.classes[0].latency_s.mean, &b.classes[0].latency_s.mean);
    let tol = 2.0 * (m.ci95.unwrap().powi(2) + n.ci95.unwrap().powi(2)).sqrt();
    assert!((m.value - n.value).abs() <= tol, "mean latency {} vs {}", m.value, n.value);
}

#[test]
fn a_sub_operation_may_be_reused_and_nested() {
    // `get` runs `cached_read` twice (two keys per request); each use is its own copy.
    let text = cache_aside(0.7, r#"[{ do = "cached_read" }, { do = "api.cached_read" }]"#);
    let net = from_str(&text).unwrap();
    let db = net.ops.iter().position(|o| o.name == "db.query").unwrap();
    assert!((net.visits[0][db] - 0.6).abs() < 1e-9, "two reads, 30% misses each: {}", net.visits[0][db]);
    let redis_get = net.ops.iter().position(|o| o.name == "redis.get").unwrap();
    assert!((net.visits[0][redis_get] - 2.0).abs() < 1e-9);
}

#[track_caller]
fn refused(text: &str, line: usize, needles: &[&str]) {
    let err = from_str(text).expect_err("the model should be refused");
    let shown = err.to_string();
    assert_eq!(err.line, Some(line), "wrong line in:\n{shown}");
    for n in needles {
        assert!(shown.contains(n), "`{n}` missing from:\n{shown}");
    }
}

/// `cache_aside` with `from` replaced by `to`, and the line of `to`.
fn edited(from: &str, to: &str) -> (String, usize) {
    let good = cache_aside(0.7, VIA_DO);
    assert!(good.contains(from), "test setup: `{from}` not in the model");
    let text = good.replacen(from, to, 1);
    let line = text[..text.find(to).unwrap()].lines().count();
    (text, line)
}

#[test]
fn each_mistake_in_steps_and_do_is_refused_where_it_is_written() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            r#"do = "cached_read""#,
            r#"do = "cached_reed""#,
            &["no operation \"cached_reed\"", "did you mean \"cached_read\"", ".do`"],
        ),
        (
            r#"do = "cached_read""#,
            r#"do = "db.query""#,
            &["`do` runs an operation of `api` itself", "{ call = \"db.query\" }"],
        ),
        (
            r#"{ p = 0.7 },"#,
            r#"{ p = 0.7, do = "get" },"#,
            &["forever: get -> cached_read -> get", "may not form a cycle"],
        ),
        (r#"{ p = 0.7 },"#, r#"{ p = 0.7, do = "cached_read" },"#, &["forever: cached_read -> cached_read"]),
        (r#"steps = [{ compute"#, r#"steps = [], x = [{ compute"#, &["unknown field `x`"]),
        (
            r#"steps = [{ compute = "exp(1ms)" }, { call = "db.query" }"#,
            r#"steps = [{ forward = "db.query" }, { call = "db.query" }"#,
            &["steps after a `forward` would never run", "branch[1].steps[0]"],
        ),
        (
            r#"{ p = 0.7 },"#,
            r#"{ p = 0.7, call = "db.query", do = "cached_read" },"#,
            &["one of `call`, `forward`, `steps` or `do`"],
        ),
        (r#"{ p = 0.7 },"#, r#"{ p = 0.7, do = "cached_read", timeout = "1s" },"#, &["apply to `call` only"]),
        (r#"{ call = "redis.get" },"#, r#"{ call = "redis.get", do = "get" },"#, &["a step has exactly one action"]),
    ];
    for (from, to, needles) in cases {
        let (text, line) = edited(from, to);
        if to.contains("x = [") {
            // toml's own error (unknown key inside the arm); the empty list is the next case.
            continue;
        }
        refused(&text, line, needles);
    }
    let (text, line) =
        edited(r#"steps = [{ compute = "exp(1ms)" }, { call = "db.query" }, { call = "redis.set" }]"#, "steps = []");
    refused(&text, line, &["an arm's `steps` list is empty"]);
    // An operation with an error rate or per-item work only a call can honour.
    let (text, _) = edited("[services.api.ops.cached_read]", "[services.api.ops.cached_read]\nerror_rate = 0.1");
    let line = text[..text.find(r#"do = "cached_read""#).unwrap()].lines().count();
    refused(&text, line, &["has `error_rate`, which only a call honours"]);
}
