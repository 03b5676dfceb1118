//! Networks against theory: Jackson tandems and feedback, balancing over
//! instances (round robin = E_k/M/1, random = k independent M/M/1) and a
//! closed network against exact Mean Value Analysis.

use capsim::theory::{self, JacksonStation};

use crate::support::{assert_agrees, assert_littles_law, summary};

#[test]
fn three_station_tandem_matches_jackson() {
    let text = r#"
        [simulation]
        duration = "100000s"
        warmup = "5000s"
        replications = 10
        seed = 3

        [workload.main]
        target = "a.work"
        rate = "0.5/s"

        [services.a.ops.work]
        demand = "exp(1s)"
        steps = [{ forward = "b.work" }]

        [services.b.ops.work]
        demand = "exp(1.5s)"
        steps = [{ forward = "c.work" }]

        [services.c.ops.work]
        demand = "exp(0.5s)"
    "#;
    let s = summary(text);
    let stations = [1.0, 1.5, 0.5].map(|m| JacksonStation { servers: 1, mean_service: m });
    let routing = vec![vec![0.0, 1.0, 0.0], vec![0.0, 0.0, 1.0], vec![0.0, 0.0, 0.0]];
    let t = theory::jackson_open(&[0.5, 0.0, 0.0], &routing, &stations).unwrap();
    assert_agrees("tandem response", &s.classes[0].latency_s.mean, t.mean_response, 0.04);
    for (i, svc) in s.services.iter().enumerate() {
        assert_agrees(&format!("utilisation of {}", svc.name), &svc.utilisation, t.stations[i].utilisation, 0.02);
        assert_agrees(&format!("queue of {}", svc.name), &svc.mean_queue_len, t.stations[i].mean_queue_len, 0.08);
    }
    assert_littles_law(&s);
}

#[test]
fn feedback_loop_of_10_percent_matches_jackson() {
    // After b, 10% of requests go back to a: visit ratio 1/0.9 at both.
    let text = r#"
        [simulation]
        duration = "100000s"
        warmup = "5000s"
        replications = 10
        seed = 5

        [workload.main]
        target = "a.work"
        rate = "0.6/s"

        [services.a.ops.work]
        demand = "exp(1s)"
        steps = [{ forward = "b.work" }]

        [services.b.ops.work]
        demand = "exp(0.8s)"
        steps = [{ branch = [{ p = 0.1, forward = "a.work" }, { p = 0.9 }] }]
    "#;
    let s = summary(text);
    let stations = [1.0, 0.8].map(|m| JacksonStation { servers: 1, mean_service: m });
    let routing = vec![vec![0.0, 1.0], vec![0.1, 0.0]];
    let t = theory::jackson_open(&[0.6, 0.0], &routing, &stations).unwrap();
    assert!((t.arrival_rates[0] - 0.6 / 0.9).abs() < 1e-12);
    assert_agrees("feedback response", &s.classes[0].latency_s.mean, t.mean_response, 0.05);
    assert_agrees("utilisation of a", &s.services[0].utilisation, t.stations[0].utilisation, 0.02);
    assert_agrees("utilisation of b", &s.services[1].utilisation, t.stations[1].utilisation, 0.02);
    assert_littles_law(&s);
}

fn balanced(policy: &str) -> String {
    format!(
        r#"
        [simulation]
        duration = "50000s"
        warmup = "2500s"
        replications = 10
        seed = 9

        [workload.main]
        target = "web.serve"
        rate = "3.2/s"

        [services.web]
        instances = 4
        balance = "{policy}"

        [services.web.ops.serve]
        demand = "exp(1s)"
        "#
    )
}

#[test]
fn round_robin_over_4_servers_matches_ek_m1() {
    let s = summary(&balanced("round_robin"));
    let t = theory::round_robin_mm1(3.2, 4, 1.0).unwrap();
    assert_agrees("round-robin response", &s.classes[0].latency_s.mean, t.mean_response, 0.03);
}

#[test]
fn theory_solves_round_robin_over_single_threads_exactly() {
    let net = capsim::model::from_str(&balanced("round_robin")).unwrap();
    let web = capsim::analysis::analyse(&net).services.remove(0);
    assert_eq!((web.model.as_str(), web.exact, web.percentiles_exact), ("E4/M/1", true, true));
    let t = theory::round_robin_mm1(3.2, 4, 1.0).unwrap();
    let m = web.metrics.unwrap();
    assert!((m.mean_response - t.mean_response).abs() < 1e-12, "{m:?} vs {t:?}");
    assert!((m.mean_in_system - t.mean_in_system).abs() < 1e-12 && (m.throughput - 3.2).abs() < 1e-12);
    // The response time is exponential with rate mu (1 - sigma): p99 = ln(100) / (1 - sigma).
    let sigma = theory::round_robin_sigma(3.2, 4, 1.0).unwrap();
    let p99 = web.response_percentiles.unwrap().p99;
    assert!((p99 - 100f64.ln() / (1.0 - sigma)).abs() < 1e-9, "{p99}");
    // An arrival waits with probability sigma.
    assert!((web.prob_wait.unwrap() - sigma).abs() < 1e-12 && web.prob_wait_exact);
    // Two threads per instance: E_4/M/2, exact too (GI/M/c), waiting less
    // than random splitting's M/M/2 would.
    let two =
        capsim::model::from_str(&balanced("round_robin").replace("[services.web]", "[services.web]\nthreads = 2"));
    let web = capsim::analysis::analyse(&two.unwrap()).services.remove(0);
    assert_eq!((web.model.as_str(), web.exact), ("E4/M/2", true));
    let g = theory::round_robin_gimc(3.2, 4, 1.0, 2).unwrap();
    assert!((web.prob_wait.unwrap() - g.prob_wait).abs() < 1e-12);
    assert!(g.prob_wait < theory::erlang_c(2, 0.8).unwrap());
}

#[test]
fn random_balancing_over_4_servers_matches_independent_mm1() {
    let s = summary(&balanced("random"));
    let t = theory::mm1(0.8, 1.0).unwrap();
    assert_agrees("random response", &s.classes[0].latency_s.mean, t.mean_response, 0.04);
    // Round robin evens out arrivals, so it must beat random splitting clearly.
    let rr = theory::round_robin_mm1(3.2, 4, 1.0).unwrap().mean_response;
    assert!(s.classes[0].latency_s.mean.low() > rr * 1.3);
}

#[test]
fn state_aware_balancers_beat_blind_ones() {
    let rr = summary(&balanced("round_robin")).classes[0].latency_s.mean;
    let random = summary(&balanced("random")).classes[0].latency_s.mean;
    for (policy, blind) in [("least_connections", rr), ("join_shortest_queue", rr), ("power_of_two", random)] {
        let s = summary(&balanced(policy));
        let m = s.classes[0].latency_s.mean;
        assert!(m.high() < blind.low(), "{policy}: {m:?} is not better than {blind:?}");
        // No policy can beat one shared queue of 4 servers (M/M/4).
        let pooled = theory::mmc(3.2, 1.0, 4).unwrap().mean_response;
        assert!(m.low() > pooled, "{policy}: {m:?} beats the pooled M/M/4 bound {pooled}");
    }
}

#[test]
fn closed_network_matches_mean_value_analysis() {
    let text = r#"
        [simulation]
        duration = "20000s"
        warmup = "1000s"
        replications = 10
        seed = 13

        [workload.users]
        target = "web.page"
        users = 40
        think = "exp(1s)"

        [services.web.ops.page]
        demand = "exp(15ms)"
        steps = [{ forward = "db.query" }]

        [services.db.ops.query]
        demand = "exp(25ms)"
    "#;
    let s = summary(text);
    let t = theory::mva(40, 1.0, &[0.015, 0.025]);
    let c = &s.classes[0];
    assert_agrees("MVA throughput", &c.throughput_per_s, t.throughput, 0.01);
    assert_agrees("MVA response", &c.latency_s.mean, t.response, 0.04);
    assert_agrees("MVA db utilisation", &s.services[1].utilisation, t.utilisation[1], 0.01);
    assert_agrees("MVA web queue", &s.services[0].mean_queue_len, t.queue_len[0] - t.utilisation[0], 0.06);
    assert_littles_law(&s);
}

/// `k` instances of `c` threads behind round robin, exponential 1 s demands,
/// each instance at utilisation `rho`.
fn round_robin_fleet(k: u32, c: u32, rho: f64, duration: f64) -> String {
    format!(
        r#"
        [simulation]
        duration = "{duration}s"
        warmup = "{warmup}s"
        replications = 10
        seed = 5

        [workload.main]
        target = "web.get"
        rate = "{rate}/s"

        [services.web]
        instances = {k}
        threads = {c}
        balance = "round_robin"

        [services.web.ops.get]
        demand = "exp(1s)"
        "#,
        rate = f64::from(k * c) * rho,
        warmup = duration / 20.0
    )
}

#[test]
fn round_robin_over_multi_thread_instances_matches_ek_m_c() {
    // Each instance sees Erlang-k gaps: an E_k/M/c queue (GI/M/c), which waits
    // less than the M/M/c that Poisson splitting would predict.
    for &(k, c, rho, duration) in &[(2u32, 8u32, 0.7, 40_000.0), (4, 2, 0.8, 40_000.0), (16, 1, 0.9, 40_000.0)] {
        let text = round_robin_fleet(k, c, rho, duration);
        let s = summary(&text);
        let g = theory::round_robin_gimc(f64::from(k * c) * rho, k, 1.0, c).unwrap();
        let what = format!("E{k}/M/{c} at {rho}");
        assert_agrees(&format!("{what} mean wait"), &s.services[0].mean_wait_s, g.metrics.mean_wait, 0.06);
        assert_agrees(&format!("{what} mean response"), &s.classes[0].latency_s.mean, g.metrics.mean_response, 0.02);
        let poisson = theory::mmc(f64::from(c) * rho, 1.0, c).unwrap();
        assert!(s.services[0].mean_wait_s.high() < poisson.mean_wait, "{what}: no better than Poisson splitting");
        // `capsim theory` shows the same, as exact.
        let web = capsim::analysis::analyse(&capsim::model::from_str(&text).unwrap()).services.remove(0);
        assert_eq!((web.model, web.exact), (format!("E{k}/M/{c}"), true));
        assert!((web.metrics.unwrap().mean_wait - g.metrics.mean_wait).abs() < 1e-12);
    }
}

#[test]
fn round_robin_waits_less_often_than_its_threads_are_all_busy() {
    // E_k/M/c: arrivals see all threads busy with probability P(wait), less
    // than the share of time they are (PASTA fails for Erlang gaps).
    for &(k, c, rho) in &[(2u32, 8u32, 0.7), (4, 2, 0.8), (16, 1, 0.9)] {
        let s = summary(&round_robin_fleet(k, c, rho, 40_000.0));
        let g = theory::round_robin_gimc(f64::from(k * c) * rho, k, 1.0, c).unwrap();
        let what = format!("E{k}/M/{c} at {rho}");
        assert_agrees(&format!("{what} P(wait)"), &s.services[0].prob_wait, g.prob_wait, 0.04);
        assert_agrees(&format!("{what} all busy"), &s.services[0].all_threads_busy, g.all_busy, 0.03);
        assert!(g.prob_wait < g.all_busy);
        let p99 = g.wait_quantile(0.99).unwrap();
        assert_agrees(&format!("{what} wait p99"), &s.services[0].wait_s.p99, p99, 0.08);
    }
}
