//! Serverless services: the cold-start ratio against exp(-rate x
//! keep_alive) at low rates, busy instances against the M/G/infinity mean,
//! the bill against its definition, `max_instances` queueing the excess,
//! and nonsense refused where it is written.

use crate::support::{assert_agrees, summary};

/// A function at `rate` with `exp(120ms)` work and the given `serverless` keys.
fn model(rate: &str, serverless: &str, sim: &str) -> String {
    format!(
        r#"
        [simulation]
        {sim}

        [workload.calls]
        target = "fn.handle"
        rate = "{rate}"

        [services.fn]
        serverless = {{ {serverless} }}

        [services.fn.ops.handle]
        demand = "exp(120ms)"
        "#
    )
}

const WORK: f64 = 0.120;
const COLD: f64 = 0.400;

#[test]
fn the_cold_start_ratio_is_exp_of_minus_rate_times_keep_alive_at_low_rates() {
    // An arrival is warm iff a request ended within keep_alive before it and
    // its instance was not taken since. With Poisson arrivals, requests end
    // as a Poisson stream of the same rate (M/G/infinity's output), so no
    // request ended in the last K seconds with probability exp(-rate K);
    // the other ways to be cold need two requests at once, of probability
    // at most rate x (E[S] + E[cold start]).
    // Sharing instances (concurrency 8) changes nothing at this order: the
    // arrivals that join a starting instance are cold too.
    for (rate, keep_alive, duration, concurrency) in
        [(0.05_f64, 30.0, 50_000, 1), (0.02, 60.0, 60_000, 1), (0.05, 30.0, 50_000, 8)]
    {
        let s = summary(&model(
            &format!("{rate}/s"),
            &format!(
                r#"cold_start = "lognormal(mean=400ms, cv=0.5)", keep_alive = "{keep_alive}s", concurrency = {concurrency}"#
            ),
            &format!("duration = \"{duration}s\"\nwarmup = \"600s\"\nreplications = 10\nseed = 11"),
        ));
        let sv = s.services[0].serverless.as_ref().expect("serverless metrics");
        let ratio = &sv.cold_start_ratio;
        let ci = ratio.ci95.expect("replications give an interval");
        assert!(ci < 0.02, "rate {rate}: the interval ±{ci} is too wide to test anything");
        let centre = (-rate * keep_alive).exp();
        let slack = rate * (WORK + COLD);
        let off = ((ratio.value - centre).abs() - slack).max(0.0);
        assert!(
            off <= 2.0 * ci,
            "rate {rate}, keep_alive {keep_alive}: cold {:.4} ± {ci:.4}, theory {centre:.4} ± {slack:.4}",
            ratio.value
        );
        // Sparse arrivals: the one instance idles min(gap, keep_alive) after each request.
        assert_agrees("mean idle instances", &sv.mean_idle_instances, 1.0 - centre, 0.05);
    }
}

#[test]
fn busy_instances_are_the_mg_infinity_mean_rate_times_service_with_its_cold_starts() {
    for (rate, keep_alive) in [(5.0, "30s"), (0.05, "30s"), (2.0, "100ms")] {
        let s = summary(&model(
            &format!("{rate}/s"),
            &format!(r#"cold_start = "constant(400ms)", keep_alive = "{keep_alive}""#),
            "duration = \"40000s\"\nwarmup = \"600s\"\nreplications = 10\nseed = 5",
        ));
        let svc = &s.services[0];
        let sv = svc.serverless.as_ref().expect("serverless metrics");
        // E[S] with the cold starts that were paid: the measured share of them.
        let cold = &sv.cold_start_ratio;
        let theory = rate * (WORK + cold.value * COLD);
        let ci = sv.mean_busy_instances.ci95.unwrap() + rate * COLD * cold.ci95.unwrap();
        assert!(ci < 0.05 * theory, "rate {rate}: interval ±{ci} too wide");
        let diff = (sv.mean_busy_instances.value - theory).abs();
        assert!(diff <= 2.0 * ci, "rate {rate}: busy {} vs {theory} (± {ci})", sv.mean_busy_instances.value);
        // Slots are instances at one request each: the service's own count.
        assert_eq!(sv.mean_busy_instances.value, svc.mean_in_service.value);
        assert_eq!(sv.requests_per_busy_instance.value, 1.0);
        // Every cold request started its own instance.
        let starts = sv.cold_start_ratio.value * sv.requests_per_s.value;
        let ci = sv.instance_starts_per_s.ci95.unwrap() + sv.requests_per_s.value * cold.ci95.unwrap();
        assert!((sv.instance_starts_per_s.value - starts).abs() <= 2.0 * ci + 1e-12, "rate {rate}: starts");
    }
}

#[test]
fn the_bill_is_requests_and_gb_seconds_at_their_prices() {
    let check = |serverless: &str, memory_gb: f64, per_request: f64, per_gb_s: f64| {
        let s =
            summary(&model("3/s", serverless, "duration = \"5000s\"\nwarmup = \"100s\"\nreplications = 4\nseed = 3"));
        let svc = &s.services[0];
        let sv = svc.serverless.as_ref().expect("serverless metrics");
        // Requests: every arrival starts (nothing is refused), as the service counts them.
        let arrivals = s.classes[0].throughput_per_s.value;
        assert!((sv.requests_per_s.value - arrivals).abs() <= 2.0 * s.classes[0].throughput_per_s.ci95.unwrap());
        let gb_s = svc.mean_in_service.value * memory_gb;
        assert!((sv.gb_s_per_s.value - gb_s).abs() <= 1e-12 * gb_s, "{} GB-s/s vs {gb_s}", sv.gb_s_per_s.value);
        let bill = 3600.0 * (sv.requests_per_s.value * per_request + gb_s * per_gb_s);
        assert!((sv.cost_per_hour.value - bill).abs() <= 1e-9 * bill, "${} vs ${bill}", sv.cost_per_hour.value);
    };
    // AWS Lambda's prices and 128 MiB by default.
    check(r#"cold_start = "constant(300ms)", keep_alive = "1m""#, 0.125, 0.2e-6, 0.000_016_666_7);
    check(
        r#"cold_start = "constant(300ms)", keep_alive = "1m", memory = "2GiB", price_per_million = 0.4, price_per_gb_s = 0.00002"#,
        2.0,
        0.4e-6,
        0.00002,
    );
}

#[test]
fn beyond_max_instances_requests_queue() {
    // One instance, kept alive for ever: after the first cold start it is an
    // M/M/1 queue with rho = 5 x 0.1 = 0.5, mean wait rho S / (1 - rho) = 0.1 s.
    let text = model(
        "5/s",
        r#"cold_start = "constant(400ms)", keep_alive = "1000d", max_instances = 1"#,
        "duration = \"20000s\"\nwarmup = \"500s\"\nreplications = 10\nseed = 9",
    )
    .replace("exp(120ms)", "exp(100ms)");
    let s = summary(&text);
    let sv = s.services[0].serverless.as_ref().unwrap();
    assert_eq!(sv.cold_start_ratio.value, 0.0, "the one instance stays warm");
    assert_agrees("M/M/1 wait", &s.services[0].mean_wait_s, 0.1, 0.05);
    assert_eq!(s.classes[0].failed, 0);
}

#[test]
fn serverless_nonsense_is_refused_where_it_is_written() {
    let base = r#"cold_start = "200ms", keep_alive = "1m""#;
    let ok = model("1/s", r#"cold_start = "constant(200ms)", keep_alive = "1m""#, "duration = \"10s\"");
    capsim::model::from_str(&ok).expect("the base model compiles");
    let cases = [
        (r#"cold_start = "constant(200ms)", keep_alive = "-1s""#, "", "cannot be negative"),
        (r#"cold_start = "constant(200ms)", keep_alive = "1m", concurrency = 0"#, "", "at least 1"),
        (
            r#"cold_start = "constant(200ms)", keep_alive = "1m", max_instances = 100000, concurrency = 2000"#,
            "services.fn.serverless.concurrency",
            "above 100000000",
        ),
        (r#"cold_start = "constant(200ms)", keep_alive = "1m", max_instances = 0"#, "", "at least 1"),
        (
            r#"cold_start = "constant(200ms)", keep_alive = "1m", memory = "0MB""#,
            "services.fn.serverless.memory",
            "above zero",
        ),
        (r#"cold_start = "constant(200ms)""#, "", "keep_alive"),
        (r#"cold_start = "constant(200ms)", keep_alive = "1m", warm = 3"#, "", "unknown field"),
        (base, "", "cold_start"),
    ];
    for (sv, key, message) in cases {
        let err = capsim::model::from_str(&model("1/s", sv, "duration = \"10s\"")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(message) && err.line.is_some(), "{sv}: {text}");
        if !key.is_empty() {
            assert_eq!(err.key.as_deref(), Some(key), "{sv}: {text}");
        }
    }
    // Keys that a platform-run fleet cannot mean.
    let clashes = [
        ("instances = 3", "services.fn.instances"),
        ("threads = 4", "services.fn.threads"),
        ("cores = 2", "services.fn.cores"),
        ("cost_per_hour = 1.0", "services.fn.cost_per_hour"),
        (r#"autoscale = { target = 0.5, min = 1, max = 4, window = "1m" }"#, "services.fn.autoscale"),
        (r#"hpa = { min = 1, max = 4, target = 0.5 }"#, "services.fn.hpa"),
        (r#"failures = { mttf = "exp(1h)", mttr = "exp(1m)" }"#, "services.fn.failures"),
        (r#"concurrency = "event_loop""#, "services.fn.concurrency"),
        (r#"discipline = "priority_preemptive""#, "services.fn.discipline"),
        (r#"cpu_limit = "500m""#, "services.fn.cpu_limit"),
        (r#"cpu_period = "50ms""#, "services.fn.cpu_period"),
        (r#"pauses = { every = "exp(20s)", duration = "constant(80ms)" }"#, "services.fn.pauses"),
    ];
    for (line, key) in clashes {
        let text = ok.replace("[services.fn]\n", &format!("[services.fn]\n        {line}\n"));
        let err = capsim::model::from_str(&text).unwrap_err();
        assert!(err.to_string().contains("cannot be set") && err.line.is_some(), "{line}: {err}");
        assert_eq!(err.key.as_deref(), Some(key), "{line}: {err}");
        assert!(err.hint.is_some(), "{line}: a hint says why");
    }
    let shared =
        model("1/s", r#"cold_start = "constant(200ms)", keep_alive = "1m", concurrency = 80"#, "duration = \"10s\"");
    capsim::model::from_str(&shared).expect("concurrency above 1 compiles");
}

#[test]
fn arrivals_during_a_cold_start_join_it() {
    // One instance at a time (concurrency far above anyone in service),
    // zero work, a constant cold start C = 2 s, keep_alive K = 1 s, rate 1/s.
    // A warm request takes no time; a request that finds no instance starts
    // one, and every arrival in the next C seconds joins it, waiting out the
    // rest: all leave together at the end of the cold start. Each idle
    // period is exp(rate), so each is longer than K (and the next request
    // cold) with probability q = exp(-rate K), whatever came before. A run
    // is a sequence of busy periods, cold with probability q, serving
    // 1 + Poisson(rate C) requests when cold and 1 when warm: with a = rate C,
    //   starts per request    q / (1 + q a)
    //   cold requests         q (1 + a) / (1 + q a)
    //   busy instances        rate C q / (1 + q a)
    //   idle instances        (1 - q) / (1 + q a)      (min(gap, K) after each period)
    //   requests per busy one 1 + a / 2                (the joiners' waits average C / 2)
    let (rate, cold, keep_alive) = (1.0_f64, 2.0, 1.0);
    let text = model(
        "1/s",
        r#"cold_start = "constant(2s)", keep_alive = "1s", concurrency = 1000, memory = "1GiB""#,
        "duration = \"20000s\"\nwarmup = \"100s\"\nreplications = 10\nseed = 31",
    )
    .replace("demand = \"exp(120ms)\"", "demand = \"constant(0ms)\"");
    let s = summary(&text);
    let sv = s.services[0].serverless.as_ref().expect("serverless metrics");
    let q = (-rate * keep_alive).exp();
    let a = rate * cold;
    assert_agrees("instance starts per second", &sv.instance_starts_per_s, rate * q / (1.0 + q * a), 0.03);
    assert_agrees("cold requests", &sv.cold_start_ratio, q * (1.0 + a) / (1.0 + q * a), 0.02);
    assert_agrees("busy instances", &sv.mean_busy_instances, rate * cold * q / (1.0 + q * a), 0.03);
    assert_agrees("idle instances", &sv.mean_idle_instances, (1.0 - q) / (1.0 + q * a), 0.03);
    assert_agrees("requests per busy instance", &sv.requests_per_busy_instance, 1.0 + a / 2.0, 0.02);
    // The bill is the busy instance-time, not the requests' time.
    let gb_s = sv.mean_busy_instances.value * 1.0;
    assert!((sv.gb_s_per_s.value - gb_s).abs() <= 1e-12 * gb_s, "{} GB-s/s vs {gb_s}", sv.gb_s_per_s.value);
    assert!(sv.gb_s_per_s.value < 0.6 * s.services[0].mean_in_service.value, "instance-time, not request-time");
}

#[test]
fn one_instance_of_two_slots_is_an_mm2_queue() {
    // max_instances = 1, concurrency = 2, kept alive for ever: after the
    // first cold start it is an M/M/2 queue, rate 15/s, exp(100ms) work
    // (a = 1.5, rho = 0.75): P0 = 1/7, Erlang C = 9/14, Wq = C / (2 mu - rate)
    // = 0.1286 s. The instance is busy while anyone is in service (6/7 of
    // the time), with 1.5 / (6/7) = 1.75 requests on it.
    let text = model(
        "15/s",
        r#"cold_start = "constant(400ms)", keep_alive = "1000d", max_instances = 1, concurrency = 2"#,
        "duration = \"20000s\"\nwarmup = \"500s\"\nreplications = 10\nseed = 13",
    )
    .replace("exp(120ms)", "exp(100ms)");
    let s = summary(&text);
    let svc = &s.services[0];
    let sv = svc.serverless.as_ref().unwrap();
    assert_eq!(sv.cold_start_ratio.value, 0.0, "the one instance stays warm");
    assert_agrees("M/M/2 wait", &svc.mean_wait_s, 9.0 / 14.0 / 5.0, 0.05);
    assert_agrees("busy instance", &sv.mean_busy_instances, 6.0 / 7.0, 0.01);
    assert_agrees("requests per busy instance", &sv.requests_per_busy_instance, 1.75, 0.01);
    assert_eq!(s.classes[0].failed, 0);
}

#[test]
fn shared_instances_pack_requests_and_bill_instance_time() {
    // Busy traffic on instances of 4 slots: each busy instance holds 1 to 4
    // requests, so requests / 4 <= busy instances <= requests, time-averaged
    // as at every instant; requests in service follow Little (throughput x
    // time on the instance, here the whole latency); packing keeps fewer
    // instances busy than one per request, and the bill follows them.
    let run = |concurrency: u32| {
        summary(&model(
            "40/s",
            &format!(r#"cold_start = "constant(400ms)", keep_alive = "30s", concurrency = {concurrency}"#),
            "duration = \"3000s\"\nwarmup = \"100s\"\nreplications = 6\nseed = 17",
        ))
    };
    let (one, four) = (run(1), run(4));
    let svc = &four.services[0];
    let sv = svc.serverless.as_ref().unwrap();
    let in_service = svc.mean_in_service.value;
    assert!(sv.mean_busy_instances.value >= in_service / 4.0 && sv.mean_busy_instances.value <= in_service);
    assert!((1.0..=4.0).contains(&sv.requests_per_busy_instance.value));
    let little = four.classes[0].throughput_per_s.value * four.classes[0].latency_s.mean.value;
    let ci = svc.mean_in_service.ci95.unwrap()
        + four.classes[0].throughput_per_s.value * four.classes[0].latency_s.mean.ci95.unwrap()
        + four.classes[0].latency_s.mean.value * four.classes[0].throughput_per_s.ci95.unwrap();
    assert!((in_service - little).abs() <= 2.0 * ci, "Little: {in_service} vs {little} ± {ci}");
    let single = one.services[0].serverless.as_ref().unwrap();
    assert!(sv.mean_busy_instances.value < 0.8 * single.mean_busy_instances.value, "packing shares instances");
    assert!(sv.cost_per_hour.value < single.cost_per_hour.value, "fewer busy instances, smaller bill");
    let gb_s = sv.mean_busy_instances.value * 0.125;
    assert!((sv.gb_s_per_s.value - gb_s).abs() <= 1e-12 * gb_s, "{} GB-s/s vs {gb_s}", sv.gb_s_per_s.value);
}

#[test]
fn a_cancelled_hedge_holds_no_instance() {
    // A hedge cancelled before it starts holds a slot for no time and no
    // instance: instances, busy or idle, never outnumber max_instances.
    let text = r#"
        [simulation]
        duration = "2000s"
        warmup = "100s"
        replications = 3
        seed = 3

        [workload.calls]
        target = "front.handle"
        rate = "20/s"

        [services.front]
        threads = 1000
        cores = 1000

        [services.front.ops.handle]
        demand = "exp(1ms)"
        steps = [{ call = "fn.handle", hedge = { after = "50ms", cancel = true } }]

        [services.fn]
        serverless = { cold_start = "constant(300ms)", keep_alive = "1s", max_instances = 3, concurrency = 2 }

        [services.fn.ops.handle]
        demand = "lognormal(mean=60ms, cv=1.5)"
    "#;
    for concurrency in [1, 2] {
        let s = summary(&text.replace("concurrency = 2", &format!("concurrency = {concurrency}")));
        let sv = s.services.iter().find_map(|v| v.serverless.as_ref()).unwrap();
        let alive = sv.mean_busy_instances.value + sv.mean_idle_instances.value;
        assert!(alive <= 3.0 + 1e-9, "concurrency {concurrency}: {alive} instances alive on average, above 3");
    }
}

/// The series counts the platform's instances as the summary does: with no
/// warm-up and whole intervals, the intervals' mean busy and idle instances
/// are the summary's; the CSV has their columns and the charts a timeline.
#[test]
fn the_series_follows_the_busy_and_idle_instances() {
    let sim = "duration = \"600s\"\nwarmup = \"0s\"\nreplications = 3\nseed = 5\nseries = \"30s\"";
    let text = model("5/s", r#"cold_start = "const(400ms)", keep_alive = "10s", concurrency = 4"#, sim);
    let net = capsim::model::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let outcome = capsim::run::run(&net);
    let s = &outcome.summary;
    let sv = s.services[0].serverless.as_ref().expect("serverless metrics");
    let series = &s.series.as_ref().expect("a series").services[0];
    for (what, values, summary) in [
        ("busy", &series.busy_instances, sv.mean_busy_instances.value),
        ("idle", &series.idle_instances, sv.mean_idle_instances.value),
    ] {
        let values = values.as_ref().expect("recorded for a serverless service");
        assert_eq!(values.len(), 20);
        let mean = values.iter().sum::<f64>() / 20.0;
        assert!(summary > 0.1, "{what}: {summary} is too small to test anything");
        assert!((mean - summary).abs() < 1e-9 * summary, "{what}: series {mean} against summary {summary}");
    }
    let csv = capsim::report::series_csv(s).expect("a series");
    let header = csv.lines().next().expect("a header");
    assert!(header.contains("service.fn.busy_instances,service.fn.idle_instances"), "{header}");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("serverless-series");
    let _ = std::fs::remove_dir_all(&dir);
    let charts = capsim::charts::run_charts(s, &outcome.latency, &dir).expect("drawn");
    assert!(charts.iter().any(|c| c.name == "timeline-serverless"), "a serverless timeline");
}
