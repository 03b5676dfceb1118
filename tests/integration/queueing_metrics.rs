//! The queueing analyst's metrics and the disciplines behind them (#21):
//! P(wait) as arrivals see it against the share of time every thread is
//! busy (equal for Poisson arrivals, not for deterministic ones), residence
//! per operation against Little's law, the delay station, preemptive resume,
//! and the errors a misuse of them gets.

use crate::support::{assert_agrees, summary};

fn station(arrivals: &str, rate: f64, demand: &str, threads: &str, extra: &str, duration: f64) -> String {
    format!(
        r#"
        [simulation]
        duration = "{duration}s"
        warmup = "{warmup}s"
        replications = 10
        seed = 21

        [workload.main]
        target = "station.serve"
        rate = "{rate}/s"
        process = "{arrivals}"

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
fn poisson_arrivals_see_the_time_average_of_all_threads_busy() {
    // M/M/2 at 80%: PASTA makes the two views of P(wait) one, C(2, 1.6).
    let s = summary(&station("poisson", 1.6, "exp(1s)", "2", "", 60_000.0));
    let v = &s.services[0];
    let erlang_c = capsim::theory::erlang_c(2, 1.6).unwrap();
    assert_agrees("P(wait) seen by arrivals", &v.prob_wait, erlang_c, 0.03);
    assert_agrees("share of time all busy", &v.all_threads_busy, erlang_c, 0.03);
}

#[test]
fn deterministic_arrivals_see_less_busy_than_the_time_average() {
    // D/M/1 at 80%: the server is busy 80% of the time, yet an arrival finds
    // it busy with probability sigma, the root of sigma = exp(-(1 - sigma) mu / lambda).
    let s = summary(&station("deterministic", 0.8, "exp(1s)", "1", "", 60_000.0));
    let v = &s.services[0];
    let mut sigma = 0.5f64;
    for _ in 0..200 {
        sigma = (-(1.0 - sigma) / 0.8).exp();
    }
    assert!(sigma < 0.7, "sigma {sigma}");
    assert_agrees("P(wait) seen by arrivals", &v.prob_wait, sigma, 0.03);
    assert_agrees("share of time all busy", &v.all_threads_busy, 0.8, 0.02);
    // The wait of D/M/1 is exponential with rate mu (1 - sigma) for those who wait.
    let p99 = (sigma / 0.01).ln() / (1.0 - sigma);
    assert_agrees("p99 wait", &v.wait_s.p99, p99, 0.05);
}

#[test]
fn residence_per_operation_adds_up_to_the_jobs_at_the_service() {
    // Little's law per operation: the sum of throughput x mean residence is
    // the time-average number of jobs holding or waiting for a thread.
    let text = r#"
        [simulation]
        duration = "20000s"
        warmup = "1000s"
        replications = 10
        seed = 5

        [workload.reads]
        target = "api.read"
        rate = "3/s"

        [workload.writes]
        target = "api.write"
        rate = "1/s"

        [services.api]
        threads = 2
        ops.read.demand = "exp(150ms)"
        ops.write.demand = "exp(600ms)"
    "#;
    let s = summary(text);
    let v = &s.services[0];
    let jobs = v.mean_in_service.value + v.mean_queue_len.value;
    let little: f64 = s.operations.iter().map(|o| o.throughput_per_s.value * o.residence_s.mean.value).sum();
    assert!((little / jobs - 1.0).abs() < 0.02, "sum of X R = {little}, L = {jobs}");
    let names: Vec<&str> = s.operations.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["api.read", "api.write"]);
    // Both classes reach the service: each has its own waits, and FIFO makes them alike.
    assert_eq!(v.classes.len(), 2);
    let (r, w) = (&v.classes[0], &v.classes[1]);
    assert!(
        (r.prob_wait.value - w.prob_wait.value).abs() < 2.0 * (r.prob_wait.ci95.unwrap() + w.prob_wait.ci95.unwrap())
    );
    assert_agrees("read's held time", &r.held_s, 0.15, 0.03);
    assert_agrees("write's held time", &w.held_s, 0.6, 0.03);
    // Residence = wait + held, operation by operation.
    let read = &s.operations[0];
    let sum = r.wait_s.mean.value + r.held_s.value;
    assert!((read.residence_s.mean.value / sum - 1.0).abs() < 1e-9, "{} vs {sum}", read.residence_s.mean.value);
}

#[test]
fn a_delay_station_serves_every_request_at_once() {
    // M/G/infinity: nobody waits, the number in service is Poisson with mean lambda E[S].
    let text = station("poisson", 50.0, "lognormal(mean=100ms, cv=2)", r#""unlimited""#, "", 4_000.0);
    let s = summary(&text);
    let v = &s.services[0];
    assert_agrees("mean in service", &v.mean_in_service, 5.0, 0.02);
    assert_agrees("mean response", &s.classes[0].latency_s.mean, 0.1, 0.03);
    assert_eq!(v.prob_wait.value, 0.0);
    assert_eq!(v.all_threads_busy.value, 0.0);
    let json = serde_json::to_value(&s).unwrap();
    assert!(
        json["services"][0]["threads"].is_null() && json["services"][0]["cores"].is_null(),
        "{}",
        json["services"][0]
    );
}

#[test]
fn processor_sharing_needs_no_threads_and_shares_the_cores() {
    // M/M/1-PS on one core at 70%: mean response E[S] / (1 - rho), like FCFS.
    let s = summary(&station("poisson", 0.7, "exp(1s)", r#""unlimited""#, "cores = 1", 60_000.0));
    assert_agrees("mean response", &s.classes[0].latency_s.mean, 1.0 / 0.3, 0.04);
    assert_agrees("utilisation", &s.services[0].utilisation, 0.7, 0.02);
    assert_eq!(s.services[0].prob_wait.value, 0.0, "nobody waits for a thread under PS");
    // `discipline = "ps"` says the same.
    let text = station("poisson", 0.7, "exp(1s)", "1", "", 60_000.0).replace("threads = 1", r#"discipline = "ps""#);
    let ps = summary(&text);
    assert_eq!(ps.classes[0].latency_s.mean.value, s.classes[0].latency_s.mean.value);
}

#[test]
fn preemption_serves_the_high_class_as_if_the_low_one_were_not_there() {
    // Two classes on one thread, preemptive resume: the high class sees an
    // M/M/1 of its own load; the low class's work is not lost (the server
    // stays busy rho_1 + rho_2 of the time) and it waits
    // E[S] / ((1 - rho_1)(1 - rho)) in mean response (exponential service).
    let text = r#"
        [simulation]
        duration = "100000s"
        warmup = "5000s"
        replications = 10
        seed = 8

        [workload.gold]
        target = "station.serve"
        rate = "0.3/s"
        priority = 0

        [workload.bronze]
        target = "station.serve"
        rate = "0.4/s"
        priority = 1

        [services.station]
        threads = 1
        discipline = "priority_preemptive"
        ops.serve.demand = "exp(1s)"
    "#;
    let s = summary(text);
    assert_agrees("gold mean response", &s.classes[0].latency_s.mean, 1.0 / (1.0 - 0.3), 0.03);
    assert_agrees("bronze mean response", &s.classes[1].latency_s.mean, 1.0 / (0.7 * 0.3), 0.05);
    assert_agrees("utilisation", &s.services[0].utilisation, 0.7, 0.02);
    let preempted = s.services[0].preempted_per_s.expect("reported for a preemptive service");
    assert!(preempted.value > 0.05, "preemptions per second: {}", preempted.value);
}

#[test]
fn disciplines_refuse_what_they_cannot_mean() {
    let cases = [
        (
            station("poisson", 1.0, "exp(1s)", "4", r#"discipline = "ps""#, 10.0),
            &["services.station.threads", "no thread limit"][..],
        ),
        (
            station("poisson", 1.0, "exp(1s)", "4", "cores = 2\ndiscipline = \"priority_preemptive\"", 10.0),
            &["services.station.discipline", "a core per thread", "4 threads on 2 cores"][..],
        ),
        (station("poisson", 1.0, "exp(1s)", r#""lots""#, "", 10.0), &["threads", "\"unlimited\""][..]),
        (station("poisson", 1.0, "exp(1s)", "0", "", 10.0), &["threads", "at least 1"][..]),
    ];
    for (text, needles) in cases {
        let err = capsim::model::from_str(&text).expect_err("must be refused").to_string();
        for n in needles {
            assert!(err.contains(n), "`{n}` not in: {err}");
        }
    }
    let event_loop = station("poisson", 1.0, "exp(1s)", "1", "", 10.0)
        .replace("threads = 1", "concurrency = \"event_loop\"\ndiscipline = \"ps\"");
    let err = capsim::model::from_str(&event_loop).expect_err("must be refused").to_string();
    assert!(err.contains("already shares its cores"), "{err}");
}
