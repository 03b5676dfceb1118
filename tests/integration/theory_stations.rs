//! Single stations against closed forms: M/M/1, M/M/c, M/D/1, M/G/1,
//! processor sharing, non-preemptive priorities and M/M/c/K blocking.

use capsim::theory;

use crate::support::{assert_agrees, assert_littles_law, summary};

fn single_station(rate: f64, demand: &str, threads: u32, extra: &str, duration: f64, reps: u32) -> String {
    format!(
        r#"
        [simulation]
        duration = "{duration}s"
        warmup = "{warmup}s"
        replications = {reps}
        seed = 2024

        [workload.main]
        target = "station.serve"
        rate = "{rate}/s"

        [services.station]
        threads = {threads}
        {extra}

        [services.station.ops.serve]
        demand = "{demand}"
        "#,
        warmup = duration / 20.0
    )
}

#[test]
fn mm1_at_rho_0_5_matches_theory() {
    let s = summary(&single_station(0.5, "exp(1s)", 1, "", 100_000.0, 10));
    let t = theory::mm1(0.5, 1.0).unwrap();
    let c = &s.classes[0];
    let svc = &s.services[0];
    assert_agrees("mean response", &c.latency_s.mean, t.mean_response, 0.03);
    assert_agrees("p99 response", &c.latency_s.p99, theory::mm1_response_quantile(0.5, 1.0, 0.99).unwrap(), 0.05);
    assert_agrees("utilisation", &svc.utilisation, t.utilisation, 0.02);
    assert_agrees("mean queue length", &svc.mean_queue_len, t.mean_queue_len, 0.05);
    assert_agrees("mean wait", &svc.mean_wait_s, t.mean_wait, 0.05);
    assert_littles_law(&s);
}

#[test]
fn mm1_at_rho_0_9_matches_theory() {
    let s = summary(&single_station(0.9, "exp(1s)", 1, "", 400_000.0, 10));
    let t = theory::mm1(0.9, 1.0).unwrap();
    let c = &s.classes[0];
    let svc = &s.services[0];
    assert_agrees("mean response", &c.latency_s.mean, t.mean_response, 0.05);
    assert_agrees("p99 response", &c.latency_s.p99, theory::mm1_response_quantile(0.9, 1.0, 0.99).unwrap(), 0.06);
    assert_agrees("utilisation", &svc.utilisation, t.utilisation, 0.01);
    assert_agrees("mean queue length", &svc.mean_queue_len, t.mean_queue_len, 0.06);
    assert_littles_law(&s);
}

#[test]
fn mmc_with_8_servers_matches_erlang_c() {
    // 8 threads, 80 ms each, 90 requests/s: rho = 0.9.
    let s = summary(&single_station(90.0, "exp(80ms)", 8, "", 20_000.0, 10));
    let t = theory::mmc(90.0, 12.5, 8).unwrap();
    let c = &s.classes[0];
    let svc = &s.services[0];
    assert_agrees("mean response", &c.latency_s.mean, t.mean_response, 0.03);
    assert_agrees("mean wait", &svc.mean_wait_s, t.mean_wait, 0.06);
    assert_agrees("mean queue length", &svc.mean_queue_len, t.mean_queue_len, 0.06);
    assert_agrees("utilisation", &svc.utilisation, t.utilisation, 0.01);
    assert_littles_law(&s);
}

#[test]
fn md1_matches_pollaczek_khinchine() {
    let s = summary(&single_station(0.8, "const(1s)", 1, "", 100_000.0, 10));
    let t = theory::mg1(0.8, 1.0, 0.0).unwrap();
    assert_agrees("M/D/1 mean wait", &s.services[0].mean_wait_s, t.mean_wait, 0.04);
    assert_agrees("M/D/1 mean response", &s.classes[0].latency_s.mean, t.mean_response, 0.03);
}

#[test]
fn mg1_lognormal_matches_pollaczek_khinchine() {
    let s = summary(&single_station(0.7, "lognormal(mean=1s, cv=1.5)", 1, "", 200_000.0, 10));
    let t = theory::mg1(0.7, 1.0, 2.25).unwrap();
    assert_agrees("M/G/1 mean wait", &s.services[0].mean_wait_s, t.mean_wait, 0.06);
    assert_agrees("M/G/1 mean response", &s.classes[0].latency_s.mean, t.mean_response, 0.05);
}

#[test]
fn processor_sharing_mean_response_equals_fcfs_and_jobs_scale_with_size() {
    // 1 core shared by up to 1000 threads: M/G/1-PS. A rare class with a
    // constant 3 s job sees 3 / (1 - rho), whatever the main class's distribution.
    let text = r#"
        [simulation]
        duration = "100000s"
        warmup = "5000s"
        replications = 10
        seed = 7

        [workload.main]
        target = "cpu.work"
        rate = "0.6/s"

        [workload.probe]
        target = "cpu.fixed"
        rate = "0.05/s"

        [services.cpu]
        threads = 1000
        cores = 1

        [services.cpu.ops.work]
        demand = "exp(1s)"

        [services.cpu.ops.fixed]
        demand = "const(3s)"
    "#;
    let s = summary(text);
    let rho = 0.6 + 0.05 * 3.0;
    assert_agrees("PS utilisation", &s.services[0].utilisation, rho, 0.02);
    assert_agrees("PS response of a 1 s mean job", &s.classes[0].latency_s.mean, 1.0 / (1.0 - rho), 0.04);
    assert_agrees(
        "PS response of a 3 s job",
        &s.classes[1].latency_s.mean,
        theory::ps_response(0.65, rho / 0.65, 3.0).unwrap(),
        0.05,
    );
    assert_littles_law(&s);
}

/// One exponential server shared by an urgent class (0.3/s, priority 0)
/// and a batch class (0.5/s, priority 1) under `discipline`.
fn two_priority_classes(discipline: &str, seed: u32) -> String {
    format!(
        r#"
        [simulation]
        duration = "100000s"
        warmup = "5000s"
        replications = 10
        seed = {seed}

        [workload.urgent]
        target = "server.serve"
        rate = "0.3/s"
        priority = 0

        [workload.batch]
        target = "server.serve"
        rate = "0.5/s"
        priority = 1

        [services.server]
        discipline = "{discipline}"

        [services.server.ops.serve]
        demand = "exp(1s)"
        "#
    )
}

#[test]
fn two_priority_classes_match_cobham() {
    let text = &two_priority_classes("priority", 11);
    let s = summary(text);
    let waits = theory::mg1_nonpreemptive_priority(&[(0.3, 1.0, 2.0), (0.5, 1.0, 2.0)]).unwrap();
    assert_agrees("urgent response", &s.classes[0].latency_s.mean, waits[0] + 1.0, 0.03);
    assert_agrees("batch response", &s.classes[1].latency_s.mean, waits[1] + 1.0, 0.05);
    assert!(s.classes[0].latency_s.mean.high() < s.classes[1].latency_s.mean.low());
    // `capsim theory` gives each class its own wait, and the classes their responses.
    let a = capsim::analysis::analyse(&capsim::model::from_str(text).unwrap());
    let server = &a.services[0];
    assert_eq!((server.model.as_str(), server.exact), ("M/G/1 priority", true));
    assert!((server.prob_wait.unwrap() - 0.8).abs() < 1e-12);
    for (k, wait) in waits.iter().enumerate() {
        assert!((server.classes[k].mean_wait - wait).abs() < 1e-12, "{:?}", server.classes);
        assert!((a.classes[k].mean_response.unwrap() - (wait + 1.0)).abs() < 1e-12, "{:?}", a.classes[k]);
    }
}

#[test]
fn mmck_blocking_matches_theory() {
    // c = 2 threads, 3 waiting places (K = 5), offered 2.4 Erlang: heavy blocking.
    let s = summary(&single_station(2.4, "exp(1s)", 2, "queue_limit = 3", 50_000.0, 10));
    let t = theory::mmck(2.4, 1.0, 2, 5).unwrap();
    let c = &s.classes[0];
    assert_agrees("blocking probability", &c.errors["rejected"], t.blocking, 0.04);
    assert_agrees("admitted response", &c.latency_s.mean, t.mean_response, 0.03);
    assert_agrees("throughput", &c.throughput_per_s, t.throughput, 0.02);
    assert_littles_law(&s);
}

/// The analytic view of model text.
fn analysed(text: &str) -> capsim::analysis::Analysis {
    capsim::analysis::analyse(&capsim::model::from_str(text).unwrap())
}

#[test]
fn delay_station_is_m_g_infinity() {
    // 5 requests/s of a lognormal 2 s: nobody waits, the response is the
    // service time, and 10 are in service on average.
    let text = single_station(5.0, "lognormal(mean=2s, cv=1.5)", 1, "", 40_000.0, 10)
        .replace("threads = 1", "threads = \"unlimited\"");
    let s = summary(&text);
    assert_agrees("M/G/inf response", &s.classes[0].latency_s.mean, 2.0, 0.03);
    assert_agrees("M/G/inf number in system", &s.classes[0].mean_in_system, 10.0, 0.03);
    let a = analysed(&text);
    let st = &a.services[0];
    assert_eq!((st.model.as_str(), st.exact, st.prob_wait), ("M/G/inf", true, Some(0.0)));
    let m = st.metrics.unwrap();
    assert!((m.mean_response - 2.0).abs() < 1e-12 && (m.mean_in_system - 10.0).abs() < 1e-12);
    assert!((a.classes[0].mean_response.unwrap() - 2.0).abs() < 1e-12);
}

#[test]
fn ps_discipline_stretches_each_job_by_one_over_one_minus_rho() {
    // discipline = "ps" on one core: small exponential jobs and large
    // constant ones; each class stays its size / (1 - rho), rho = 0.7.
    let text = r#"
        [simulation]
        duration = "100000s"
        warmup = "5000s"
        replications = 10
        seed = 17

        [workload.small]
        target = "cpu.small"
        rate = "0.8/s"

        [workload.large]
        target = "cpu.large"
        rate = "0.15/s"

        [services.cpu]
        discipline = "ps"
        cores = 1

        [services.cpu.ops.small]
        demand = "exp(0.5s)"

        [services.cpu.ops.large]
        demand = "const(2s)"
    "#;
    let s = summary(text);
    let rho = 0.8 * 0.5 + 0.15 * 2.0;
    let mean = rho / 0.95;
    let small = theory::ps_response(0.95, mean, 0.5).unwrap();
    let large = theory::ps_response(0.95, mean, 2.0).unwrap();
    assert_agrees("PS small jobs", &s.classes[0].latency_s.mean, small, 0.04);
    assert_agrees("PS large jobs", &s.classes[1].latency_s.mean, large, 0.04);
    let a = analysed(text);
    assert_eq!(a.services[0].model, "M/G/1-PS");
    for (c, expected) in a.classes.iter().zip([small, large]) {
        assert!((c.mean_response.unwrap() - expected).abs() < 1e-9, "{c:?}");
    }
}

#[test]
fn two_preemptive_priority_classes_match_preemptive_resume() {
    let text = &two_priority_classes("priority_preemptive", 19);
    let s = summary(text);
    let t = theory::mg1_preemptive_priority(&[(0.3, 1.0, 2.0), (0.5, 1.0, 2.0)]).unwrap();
    // The top class sees an M/M/1 of its own: 1 / (1 - 0.3).
    assert!((t[0] - 1.0 / 0.7).abs() < 1e-12);
    assert_agrees("urgent response", &s.classes[0].latency_s.mean, t[0], 0.03);
    assert_agrees("batch response", &s.classes[1].latency_s.mean, t[1], 0.05);
    let a = analysed(text);
    assert_eq!((a.services[0].model.as_str(), a.services[0].exact), ("M/G/1 preemptive priority", true));
    for (c, expected) in a.classes.iter().zip(&t) {
        assert!((c.mean_response.unwrap() - expected).abs() < 1e-12, "{c:?}");
    }
}

#[test]
fn chance_of_waiting_and_wait_percentiles_match_erlang_c() {
    // M/M/c at rho = 0.8: P(wait) is Erlang C, and a wait that happens is
    // exponential at rate c mu - lambda.
    for &(c, duration) in &[(1u32, 100_000.0), (2, 60_000.0), (8, 20_000.0), (32, 8_000.0)] {
        let lambda = 0.8 * f64::from(c);
        let s = summary(&single_station(lambda, "exp(1s)", c, "", duration, 10));
        let svc = &s.services[0];
        let what = format!("M/M/{c}");
        let p = theory::erlang_c(c, lambda).unwrap();
        assert_agrees(&format!("{what} P(wait)"), &svc.prob_wait, p, 0.03);
        assert_agrees(&format!("{what} share of time all busy"), &svc.all_threads_busy, p, 0.03);
        for (q, sim) in [(0.95, &svc.wait_s.p95), (0.99, &svc.wait_s.p99)] {
            let t = theory::mmc_wait_quantile(lambda, 1.0, c, q).unwrap();
            assert_agrees(&format!("{what} wait p{}", q * 100.0), sim, t, 0.08);
        }
        // `capsim theory` says the same.
        let st = analysed(&single_station(lambda, "exp(1s)", c, "", duration, 10)).services.remove(0);
        assert!((st.prob_wait.unwrap() - p).abs() < 1e-12 && st.prob_wait_exact);
    }
}

#[test]
fn admitted_requests_wait_as_m_m_c_k_says() {
    // c = 2, 3 waiting places, 2.4 Erlang offered: of the admitted, those
    // that find both threads busy wait.
    let s = summary(&single_station(2.4, "exp(1s)", 2, "queue_limit = 3", 50_000.0, 10));
    let t = theory::mmck(2.4, 1.0, 2, 5).unwrap();
    assert_agrees("M/M/2/5 P(wait) of admitted", &s.services[0].prob_wait, t.prob_wait, 0.03);
    let p95 = theory::mmck_wait_quantile(2.4, 1.0, 2, 5, 0.95).unwrap();
    assert_agrees("M/M/2/5 wait p95", &s.services[0].wait_s.p95, p95, 0.06);
}
