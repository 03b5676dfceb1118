//! Message queues: consumer groups against Erlang C, bounded queues against
//! M/M/1/K blocking, and polling clients against their schedule.

use crate::support::{assert_agrees, summary};

/// A front end (event loop, no demand) that publishes every request to
/// `jobs`, consumed by `instances` x `threads` workers of exponential service.
fn published(rate: &str, instances: u32, threads: u32, work: &str, queue: &str, step: &str, sim: &str) -> String {
    format!(
        r#"
        [simulation]
        {sim}

        [workload.main]
        target = "front.submit"
        rate = "{rate}"

        [queues.jobs]
        consumer = "workers.run"
        {queue}

        [services.front]
        concurrency = "event_loop"

        [services.front.ops.submit]
        steps = [{{ publish = "jobs"{step} }}]

        [services.front.ops.status]

        [services.workers]
        instances = {instances}
        threads = {threads}

        [services.workers.ops.run]
        demand = "{work}"
        "#
    )
}

const LONG: &str = r#"duration = "40000s"
        warmup = "2000s"
        replications = 10
        seed = 71"#;

#[test]
fn a_consumer_group_behind_a_queue_is_erlang_c() {
    // 2 instances x 3 threads = 6 competing consumers of one queue: M/M/6 at rho 0.8.
    let s = summary(&published("4.8/s", 2, 3, "exp(1s)", "", "", LONG));
    let t = capsim::theory::mmc(4.8, 1.0, 6).unwrap();
    let q = &s.queues[0];
    assert_agrees("consumer lag (Wq)", &q.mean_wait_s, t.mean_wait, 0.05);
    assert_agrees("async latency (W)", &q.latency_mean_s, t.mean_response, 0.02);
    assert_agrees("backlog (Lq)", &q.mean_depth, t.mean_queue_len, 0.06);
    // The publisher's own response is immediate: the client got its 202.
    assert!(s.classes[0].latency_s.mean.value < 1e-6);
}

#[test]
fn a_full_queue_refuses_publishes_as_m_m_1_k_blocks() {
    // One consumer, room for 4 waiting messages: M/M/1/5 at offered load 0.9.
    let s = summary(&published("0.9/s", 1, 1, "exp(1s)", "capacity = 4", "", LONG));
    let t = capsim::theory::mmck(0.9, 1.0, 1, 5).unwrap();
    assert_agrees("refused publishes", &s.classes[0].errors["queue_full"], t.blocking, 0.04);
}

#[test]
fn polling_clients_poll_on_their_backoff_schedule() {
    // Work takes exactly 2.5 s and never waits (plenty of consumers).
    let sim = r#"duration = "2000s"
        warmup = "100s"
        replications = 2
        seed = 73"#;
    let fixed = r#", poll = { op = "front.status", first = "1s" }"#;
    let s = summary(&published("1/s", 1, 100, "const(2.5s)", "", fixed, sim));
    let q = &s.queues[0];
    // Polls at 1, 2, 3 s: the third sees it done.
    assert!((q.polls_per_message.value - 3.0).abs() < 0.01, "{:?}", q.polls_per_message);
    assert!((q.seen_done_s.value - 3.0).abs() < 0.001, "{:?}", q.seen_done_s);
    assert!((q.latency_mean_s.value - 2.5).abs() < 0.001);
    let growing = r#", poll = { op = "front.status", first = "1s", factor = 2, cap = "1.5s" }"#;
    let s = summary(&published("1/s", 1, 100, "const(2.5s)", "", growing, sim));
    // Waits 1 s, then 2 s capped to 1.5 s: polls at 1 and 2.5 s; the second sees it done.
    assert!((s.queues[0].polls_per_message.value - 2.0).abs() < 0.01, "{:?}", s.queues[0].polls_per_message);
    assert!((s.queues[0].seen_done_s.value - 2.5).abs() < 0.001, "{:?}", s.queues[0].seen_done_s);
    // The polls are requests of their own class, load on the status operation.
    let polls = s.classes.iter().find(|c| c.name == "jobs.poll").unwrap();
    assert!((polls.throughput_per_s.value - 2.0).abs() < 0.1, "{:?}", polls.throughput_per_s);
}

#[test]
fn bad_queues_are_located() {
    let unknown = published("1/s", 1, 1, "exp(1s)", "", "", LONG).replace(r#"publish = "jobs""#, r#"publish = "job""#);
    let err = capsim::model::from_str(&unknown).unwrap_err();
    assert!(err.to_string().contains("no queue named `job`") && err.line.is_some(), "{err}");
    assert!(err.hint.as_deref().unwrap_or("").contains("did you mean `jobs`"), "{err}");
    let consumer = published("1/s", 1, 1, "exp(1s)", "", "", LONG).replace("workers.run\"", "workers.walk\"");
    let err = capsim::model::from_str(&consumer).unwrap_err();
    assert_eq!(err.key.as_deref(), Some("queues.jobs.consumer"), "{err}");
}

#[test]
fn theory_pools_the_consumers_and_leaves_async_work_out_of_the_response() {
    let net = capsim::model::from_str(&published("4.8/s", 2, 3, "exp(1s)", "", "", LONG)).unwrap();
    let a = capsim::analysis::analyse(&net);
    let workers = a.services.iter().find(|s| s.service == "workers").unwrap();
    // One queue for 2 x 3 consumers: M/M/6, not two M/M/3 queues.
    assert_eq!(workers.model, "M/M/6");
    assert!(workers.exact);
    let t = capsim::theory::mmc(4.8, 1.0, 6).unwrap();
    assert!((workers.metrics.unwrap().mean_wait - t.mean_wait).abs() < 1e-12);
    // The client's response is the 202: the consumer's second of work is not in it.
    let class = &a.classes[0];
    assert!(class.mean_response.is_none_or(|r| r < 1e-3), "{class:?}");
    assert!(!class.note.contains("1.00 s"), "{}", class.note);
}

#[test]
fn status_polls_do_not_count_as_requests_in_the_cost_per_million() {
    let sim = r#"duration = "2000s"
        replications = 2
        seed = 75"#;
    let polled = r#", poll = { op = "front.status", first = "1s" }"#;
    let text = published("1/s", 1, 100, "const(2.5s)", "", polled, sim)
        .replace("[services.workers]", "[services.workers]\ncost_per_hour = 3.6");
    let s = summary(&text);
    // $3.60/h = $0.001/s for 1 upload/s: $1,000 per million uploads, however many polls.
    let cost = s.cost.per_million_requests.value;
    assert!((cost - 1000.0).abs() < 10.0, "cost per million {cost}");
}

#[test]
fn completion_is_the_reply_plus_the_m_m_1_sojourn_of_its_message() {
    // A 202 after 0.5 s of work (never waiting: 100 threads), then a publish
    // to one exponential consumer at rho 0.5: the work is done 0.5 s plus an
    // M/M/1 response time (exponential, mean 1/(mu - lambda) = 2 s) after arrival.
    let text = published("0.5/s", 1, 1, "exp(1s)", "", "", LONG)
        .replace(r#"concurrency = "event_loop""#, "threads = 100\ncores = 100")
        .replace("[services.front.ops.submit]", "[services.front.ops.submit]\ndemand = \"const(500ms)\"");
    let s = summary(&text);
    let class = &s.classes[0];
    let done = class.completion_s.as_ref().expect("a class that publishes has a completion latency");
    let sojourn = |q: f64| 0.5 - 2.0 * (1.0 - q).ln();
    assert_agrees("completion mean", &done.mean, 2.5, 0.025);
    assert_agrees("completion p50", &done.p50, sojourn(0.5), 0.02);
    assert_agrees("completion p90", &done.p90, sojourn(0.9), 0.03);
    assert_agrees("completion p99", &done.p99, sojourn(0.99), 0.05);
    // Request by request: the reply, then the message's publish-to-done.
    assert!((class.latency_s.mean.value - 0.5).abs() < 1e-9, "{:?}", class.latency_s.mean);
    let sum = class.latency_s.mean.value + s.queues[0].latency_mean_s.value;
    assert!((done.mean.value - sum).abs() < 1e-9 * sum, "{} against {sum}", done.mean.value);
    // No polls, no seen-done latency; the workers' own class has none either.
    assert!(class.seen_done_s.is_none());
}

#[test]
fn completion_waits_for_messages_published_by_calls_and_by_consumers() {
    // Constant times and idle services, so every latency is worked out by hand.
    let text = r#"
        [simulation]
        duration = "1000s"
        warmup = "10s"
        replications = 2
        seed = 77

        [workload.direct]
        target = "front.submit"
        rate = "0.5/s"

        [workload.called]
        target = "front.via_call"
        rate = "0.5/s"

        [workload.plain]
        target = "front.status"
        rate = "0.5/s"

        [queues.first]
        consumer = "a.run"

        [queues.second]
        consumer = "b.run"

        [services.front]
        threads = 1000
        cores = 1000

        [services.front.ops.submit]
        steps = [{ publish = "first", poll = { op = "front.status", first = "1.5s" } }, { compute = "const(500ms)" }]

        [services.front.ops.via_call]
        steps = [{ call = "mid.relay" }]

        [services.front.ops.status]

        [services.mid]
        threads = 1000
        cores = 1000

        [services.mid.ops.relay]
        demand = "const(100ms)"
        steps = [{ publish = "first" }]

        [services.a]
        threads = 1000
        cores = 1000

        [services.a.ops.run]
        demand = "const(2s)"
        steps = [{ publish = "second" }]

        [services.b]
        threads = 1000
        cores = 1000

        [services.b.ops.run]
        demand = "const(3s)"
    "#;
    let s = summary(text);
    let class = |name: &str| s.classes.iter().find(|c| c.name == name).unwrap();
    // Exact, to the sketches' bucket widths (under 0.4% off).
    let exact = |what: &str, e: &capsim::stats::Estimate, v: f64| {
        assert!((e.value - v).abs() <= 4e-3 * v, "{what}: {e:?}, by hand {v}");
    };
    // `direct` replies after 0.5 s; its message takes 2 s, and the one that
    // message's consumer publishes 3 s more: done 5 s after arrival.
    let direct = class("direct");
    exact("direct reply", &direct.latency_s.p99, 0.5);
    let done = direct.completion_s.as_ref().unwrap();
    exact("direct done (mean)", &done.mean, 5.0);
    exact("direct done (p99)", &done.p99, 5.0);
    exact("direct done (max)", &done.max, 5.0);
    // Polls at 1.5 s and 3 s: the second sees the first message done (the
    // second message is not polled for).
    let seen = direct.seen_done_s.as_ref().expect("its publish polls");
    exact("direct seen done (p50)", &seen.p50, 3.0);
    exact("direct seen done (p99)", &seen.p99, 3.0);
    // `called` publishes through a call that works 0.1 s first.
    let called = class("called");
    exact("called reply", &called.latency_s.mean, 0.1);
    exact("called done", &called.completion_s.as_ref().unwrap().p99, 5.1);
    assert!(called.seen_done_s.is_none());
    // A class that never publishes has neither.
    assert!(class("plain").completion_s.is_none() && class("plain").seen_done_s.is_none());
    // The queues' own latencies stay publish-to-processed.
    exact("first queue", &s.queues[0].latency_p99_s, 2.0);
    exact("second queue", &s.queues[1].latency_p99_s, 3.0);
}

#[test]
fn failed_work_has_no_completion_latency() {
    // Every message's consumer fails: the requests got their 202, but their
    // work never completed, so nothing is recorded as done.
    let text = published("1/s", 1, 4, "exp(100ms)", "", "", LONG)
        .replace("[services.workers.ops.run]", "[services.workers.ops.run]\nerror_rate = 1.0")
        .replace("duration = \"40000s\"", "duration = \"2000s\"");
    let s = summary(&text);
    assert!(s.queues[0].failed_per_s.value > 0.9, "{:?}", s.queues[0].failed_per_s);
    assert!(s.classes[0].completed > 0);
    assert!(s.classes[0].completion_s.as_ref().unwrap().mean.value.is_nan());
}
