//! Charts and the HTML report, drawn from a real (small) sweep: two designs
//! of an app that calls a database, 2 against 4 app threads, at six arrival
//! rates. Charts are checked by size, decoded pixels and SVG text, not by
//! bytes; the report by content and by the absence of external resources.
//!
//! The files stay in `target/tmp/charts_report/` for a look (and for
//! `scripts/check-report.sh`).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use capsim::charts::{self, ChartFile, PNG_SIZE, SVG_SIZE};
use capsim::experiment::results::{
    Capacity, ClassCdf, DesignCapacity, ExperimentInfo, ExperimentResults, PointResult, TargetAnswer,
};
use capsim::experiment::spec::{AxisInfo, DesignInfo, SloInfo};

const RATES: [f64; 6] = [40.0, 80.0, 120.0, 160.0, 200.0, 240.0];
const SLO_P99_S: f64 = 0.100;
const LEVELS: [f64; 10] = [0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9995];

fn model(rate: f64, threads: u32, cost: f64) -> String {
    format!(
        r#"
        [simulation]
        duration = "40s"
        warmup = "4s"
        replications = 3
        seed = 7

        [workload.web]
        target = "app.handle"
        rate = "{rate}/s"

        [services.app]
        threads = {threads}
        cost_per_hour = {cost}

        [services.app.ops.handle]
        demand = "exp(8ms)"
        steps = [ {{ call = "db.read" }} ]

        [services.db]
        threads = 8
        cost_per_hour = 0.40

        [services.db.ops.read]
        demand = "exp(3ms)"
        "#
    )
}

fn out_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("charts_report").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The sweep, simulated once and shared by the tests.
fn fixture() -> &'static ExperimentResults {
    static RESULTS: OnceLock<ExperimentResults> = OnceLock::new();
    RESULTS.get_or_init(build_fixture)
}

fn build_fixture() -> ExperimentResults {
    let designs = [
        ("small", "2 app threads <b>&</b> one \"cheap\" instance", 2u32, 0.10),
        ("large", "4 app threads on a bigger instance", 4, 0.20),
    ];
    let mut points = Vec::new();
    let mut capacity = Vec::new();
    for (d, &(name, _, threads, cost)) in designs.iter().enumerate() {
        let mut max_load = None;
        let mut fails_at = None;
        for (i, &rate) in RATES.iter().enumerate() {
            let net = capsim::model::from_str(&model(rate, threads, cost)).expect("the fixture model compiles");
            let outcome = capsim::run::run(&net);
            let class = &outcome.summary.classes[0];
            let meets = class.latency_s.p99.value <= SLO_P99_S && class.error_ratio.value <= 0.001;
            if meets && fails_at.is_none() {
                max_load = Some((rate, outcome.summary.clone()));
            } else if !meets && fails_at.is_none() {
                fails_at = Some(rate);
            }
            let h = &outcome.latency[0];
            points.push(PointResult {
                design: name.to_string(),
                design_index: d,
                point_index: i,
                axis_values: vec![format!("{rate}/s")],
                axis_numeric: vec![rate],
                load: Some(rate),
                replications: 3,
                meets_slo: Some(meets),
                vs_baseline: None,
                cdf: vec![ClassCdf {
                    class: "web".into(),
                    levels: LEVELS.to_vec(),
                    latency_s: LEVELS.iter().map(|&q| h.value_at_quantile(q) as f64 * 1e-9).collect(),
                }],
                summary: outcome.summary,
            });
        }
        let at_max = max_load.as_ref().map(|(_, s)| s);
        capacity.push(DesignCapacity {
            design: name.to_string(),
            max_load: max_load.as_ref().map(|m| m.0),
            fails_at,
            max_load_low: max_load.as_ref().map(|m| m.0),
            max_load_high: fails_at,
            bottleneck: at_max.and_then(|s| {
                capsim::stats::utilisation::busiest(&s.services).map(|b| (b.name.clone(), b.utilisation.value))
            }),
            cost_per_hour: cost + 0.40,
            cost_per_million_at_max: at_max.map(|s| s.cost.per_million_requests.value),
        });
    }
    let findings = capacity
        .iter()
        .map(|c| match c.max_load {
            Some(l) => format!(
                "{} meets the p99 SLO up to {l} requests/s at ${:.2} per million requests; it fails at {}.",
                c.design,
                c.cost_per_million_at_max.unwrap_or(f64::NAN),
                c.fails_at.map_or("no swept load".to_string(), |f| format!("{f} requests/s"))
            ),
            None => format!("{} misses the SLO even at the lowest load.", c.design),
        })
        .collect();
    let runs = designs.len() * RATES.len() * 3;
    ExperimentResults {
        experiment: ExperimentInfo {
            name: "App threads for 200 requests/s".into(),
            question: "How many app threads keep p99 under 100 ms at 120 requests/s, and what does it cost?".into(),
            file: "experiments/threads.toml".into(),
            model: "models/app-db.toml".into(),
            inputs_sha256: "3f6c2a1b".repeat(8),
            capsim_version: env!("CARGO_PKG_VERSION").into(),
            seed: 7,
            replications: 3,
            command: "capsim sweep experiments/threads.toml --out results/threads".into(),
            complete: true,
            runs_total: runs,
            runs_done: runs,
            bisection_runs: 0,
            failed_runs: Vec::new(),
            designs: designs
                .iter()
                .map(|&(name, description, threads, cost)| DesignInfo {
                    name: name.into(),
                    description: description.into(),
                    overrides: vec![
                        format!("services.app.threads={threads}"),
                        format!("services.app.cost_per_hour={cost}"),
                    ],
                })
                .collect(),
            axes: vec![AxisInfo {
                path: "workload.web.rate".into(),
                label: "offered load [requests/s]".into(),
                values: RATES.iter().map(|r| format!("{r}/s")).collect(),
                numeric: RATES.to_vec(),
            }],
            load_axis: Some(0),
            slo: Some(SloInfo {
                class: Some("web".into()),
                latency: Some((capsim::stats::LatencyStat::P99, SLO_P99_S)),
                completion: None,
                error_ratio: Some(0.001),
                text: "p99 ≤ 100 ms and errors ≤ 0.1%".into(),
            }),
            baseline: None,
        },
        points,
        capacity: Capacity {
            designs: capacity,
            target_load: Some(120.0),
            cheapest_at_target: Some("small".into()),
            targets: vec![TargetAnswer {
                load: 120.0,
                cheapest: vec!["small".into()],
                cost_per_hour: Some(0.5),
                lowest_latency: Some("small".into()),
            }],
            findings,
        },
    }
}

const SWEEP_CHARTS: [&str; 7] = [
    "latency-vs-load",
    "throughput-vs-load",
    "cost-vs-load",
    "cost-vs-latency",
    "latency-percentiles",
    "utilisation",
    "latency-breakdown",
];

/// Okabe–Ito blue and orange: the first two designs.
const DESIGN_COLOURS: [[u8; 3]; 2] = [[0, 114, 178], [230, 159, 0]];

#[test]
fn sweep_charts_are_full_size_not_blank_and_keep_axis_titles_as_text() {
    let dir = out_dir("sweep");
    let files = charts::sweep_charts(fixture(), &dir).expect("charts are drawn");
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, SWEEP_CHARTS);
    for f in &files {
        assert!(!f.title.is_empty() && f.caption.ends_with('.'), "{}: title and a one-sentence caption", f.name);
        let png = Png::read(&f.png);
        assert_eq!((png.width, png.height), PNG_SIZE, "{}", f.png.display());
        png.assert_not_blank(&f.name);
        let per_design = !matches!(f.name.as_str(), "latency-breakdown");
        if per_design {
            for c in DESIGN_COLOURS {
                assert!(png.has_colour(c), "{}: no pixel in the design colour {c:?}", f.name);
            }
        }
        let svg = std::fs::read_to_string(&f.svg).expect("the SVG is readable");
        assert!(svg.contains(&format!("width=\"{}\" height=\"{}\"", SVG_SIZE.0, SVG_SIZE.1)), "{}", f.name);
        assert!(svg.matches("<text").count() >= 10, "{}: text is kept as <text> elements", f.name);
    }
    let svg = |name: &str| std::fs::read_to_string(dir.join(format!("{name}.svg"))).expect("SVG exists");
    for (chart, titles) in [
        ("latency-vs-load", &["offered load [requests/s]", "latency (log scale)", "SLO: p99 ≤ 100 ms"][..]),
        ("throughput-vs-load", &["offered load [requests/s]", "throughput [requests/s]", "offered (y = x)"]),
        ("cost-vs-load", &["cost [$ per million requests]"]),
        ("cost-vs-latency", &["cost [$ per hour]", "p99 latency", "Pareto frontier"]),
        ("latency-percentiles", &["percentile", "99.9%"]),
        ("utilisation", &["CPU utilisation", "app", "db"]),
        ("latency-breakdown", &["mean time per request [ms]", "small", "large"]),
    ] {
        let text = svg(chart);
        for t in titles {
            let escaped = t.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
            assert!(text.contains(&escaped), "{chart}.svg lacks `{t}`");
        }
    }
}

#[test]
fn report_is_one_self_contained_file_with_findings_tables_and_provenance() {
    let dir = out_dir("report");
    let results = fixture();
    let files = charts::sweep_charts(results, &dir).expect("charts are drawn");
    let path = capsim::report::html::write_report(results, &files, &dir).expect("the report is written");
    assert_eq!(path, dir.join("report.html"));
    let html = std::fs::read_to_string(&path).expect("readable");
    for finding in &results.capacity.findings {
        assert!(html.contains(&finding.replace('&', "&amp;")), "finding missing: {finding}");
    }
    for text in [
        results.experiment.question.as_str(),
        "p99 ≤ 100 ms and errors ≤ 0.1%",
        "services.app.threads=4",
        &results.experiment.inputs_sha256,
        "capsim sweep experiments/threads.toml --out results/threads",
        "Max load in SLO",
        "Every point",
    ] {
        assert!(html.contains(text), "report lacks `{text}`");
    }
    // User text is escaped, never markup.
    assert!(html.contains("2 app threads &lt;b&gt;&amp;&lt;/b&gt; one &quot;cheap&quot; instance"));
    assert!(!html.contains("<b>&</b>"));
    // Every chart is inlined; nothing is fetched from anywhere.
    assert_eq!(html.matches("src=\"data:image/png;base64,").count(), files.len());
    assert_eq!(html.matches("src=").count(), files.len(), "only the inlined images have a src");
    for external in ["http:", "https:", "<link", "@import", "url(", "<script"] {
        assert!(!html.contains(external), "the report references `{external}`");
    }
    assert!(!html.contains("Incomplete sweep"));
    assert!(html.contains("@media print"));
}

#[test]
fn an_interrupted_sweep_with_missing_points_still_charts_and_warns() {
    let mut results = fixture().clone();
    results.experiment.complete = false;
    results.experiment.runs_done = 20;
    results.capacity.target_load = None;
    results.capacity.targets.clear();
    // The last loads never ran: no replications, nothing measured.
    for p in results.points.iter_mut().filter(|p| p.point_index >= 4) {
        p.replications = 0;
        p.meets_slo = None;
        p.cdf.clear();
        for c in &mut p.summary.classes {
            c.throughput_per_s.value = f64::NAN;
            c.latency_s.p99.value = f64::NAN;
            c.latency_s.p50.value = f64::NAN;
        }
        p.summary.cost.per_million_requests.value = f64::NAN;
    }
    let dir = out_dir("interrupted");
    let files = charts::sweep_charts(&results, &dir).expect("charts are drawn from what there is");
    assert_eq!(files.len(), SWEEP_CHARTS.len());
    // Without a target, designs are compared at the highest load both reached.
    let caption = &files.iter().find(|f| f.name == "latency-percentiles").expect("drawn").caption;
    assert!(caption.contains("at 160 requests/s"), "{caption}");
    let html = std::fs::read_to_string(capsim::report::html::write_report(&results, &files, &dir).expect("written"))
        .expect("readable");
    assert!(html.contains("Incomplete sweep") && html.contains("20 of 36 runs"));
}

#[test]
fn a_sweep_with_failed_runs_names_them_in_the_report() {
    let mut results = fixture().clone();
    results.experiment.complete = false;
    results.experiment.runs_done = 35;
    results.experiment.failed_runs = vec![capsim::experiment::execute::RunFailure {
        index: 7,
        run: "design `big`, point load = 160, replication 1".into(),
        message: "simulation.max_events (300) was reached <at> 1.5 s".into(),
    }];
    let dir = out_dir("failed-runs");
    let files = charts::sweep_charts(&results, &dir).expect("charts");
    let html = std::fs::read_to_string(capsim::report::html::write_report(&results, &files, &dir).expect("written"))
        .expect("readable");
    assert!(html.contains("1 of 36 runs failed"), "warning and provenance count the failures");
    assert!(html.contains(
        "design `big`, point load = 160, replication 1: simulation.max_events (300) was reached &lt;at&gt; 1.5 s"
    ));
    assert!(!html.contains("interrupted"), "a failure is not an interruption");
}

#[test]
fn a_sweep_without_a_load_axis_is_drawn_as_bars_per_point() {
    let mut results = fixture().clone();
    results.experiment.load_axis = None;
    results.experiment.axes[0].label = "variant".into();
    results.capacity = Capacity::default();
    results.experiment.slo = None;
    for p in &mut results.points {
        p.load = None;
    }
    let dir = out_dir("categories");
    let files = charts::sweep_charts(&results, &dir).expect("charts are drawn");
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "latency-by-point",
            "throughput-by-point",
            "cost-by-point",
            "cost-vs-latency",
            "latency-percentiles",
            "utilisation",
            "latency-breakdown"
        ]
    );
    for f in &files {
        Png::read(&f.png).assert_not_blank(&f.name);
    }
    capsim::report::html::write_report(&results, &files, &dir).expect("written");
}

#[test]
fn a_single_run_draws_percentiles_utilisation_and_breakdown() {
    let net = capsim::model::from_str(&model(120.0, 2, 0.1)).expect("compiles");
    let outcome = capsim::run::run(&net);
    let dir = out_dir("run");
    let files: Vec<ChartFile> = charts::run_charts(&outcome.summary, &outcome.latency, &dir).expect("drawn");
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["latency-percentiles", "utilisation", "latency-breakdown"]);
    for f in &files {
        let png = Png::read(&f.png);
        assert_eq!((png.width, png.height), PNG_SIZE);
        png.assert_not_blank(&f.name);
        assert!(f.svg.exists());
    }
}

#[test]
fn a_run_with_a_time_series_also_draws_it_over_time() {
    let text = model(120.0, 2, 0.1).replace("seed = 7", "seed = 7\nseries = \"2s\"")
        + "\n[services.db.failures]\nmttf = \"exp(10s)\"\nmttr = \"exp(2s)\"\n";
    let net = capsim::model::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let outcome = capsim::run::run(&net);
    let dir = out_dir("run-series");
    let files: Vec<ChartFile> = charts::run_charts(&outcome.summary, &outcome.latency, &dir).expect("drawn");
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names[3..],
        ["timeline-latency", "timeline-throughput", "timeline-utilisation", "timeline-instances"],
        "failing db instances make the instance count vary"
    );
    for f in &files[3..] {
        let png = Png::read(&f.png);
        png.assert_not_blank(&f.name);
        assert!(png.has_colour(DESIGN_COLOURS[0]) || png.has_colour(DESIGN_COLOURS[1]), "{}: no line drawn", f.name);
    }
}

#[test]
fn a_run_with_cpu_limits_or_pauses_draws_its_stalls_over_time() {
    let text = model(50.0, 2, 0.1)
        .replace("seed = 7", "seed = 7\nseries = \"2s\"")
        .replace("threads = 2", "threads = 2\ncpu_limit = \"600m\"")
        .replace("threads = 8", "threads = 8\npauses = { every = \"exp(4s)\", duration = \"exp(200ms)\" }");
    let net = capsim::model::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let outcome = capsim::run::run(&net);
    let series = &outcome.summary.series.as_ref().expect("a series").services;
    let stalled = |v: &Option<Vec<f64>>| v.as_ref().expect("recorded").iter().any(|&x| x > 0.0);
    assert!(stalled(&series[0].throttled) && stalled(&series[1].paused), "both services stall at some point");
    let dir = out_dir("run-stalls");
    let files: Vec<ChartFile> = charts::run_charts(&outcome.summary, &outcome.latency, &dir).expect("drawn");
    let stalls = files.iter().find(|f| f.name == "timeline-stalls").expect("a stalls chart");
    let png = Png::read(&stalls.png);
    png.assert_not_blank(&stalls.name);
    assert!(png.has_colour(DESIGN_COLOURS[0]), "app's throttled line");
    assert!(png.has_colour(DESIGN_COLOURS[1]), "db's paused line");
}

#[test]
fn an_unwritable_folder_is_an_io_error_that_names_it() {
    let file = out_dir("not-a-folder");
    std::fs::create_dir_all(file.parent().expect("has a parent")).expect("parent folder");
    std::fs::write(&file, "a file where the folder should be").expect("written");
    let err = charts::sweep_charts(fixture(), &file).expect_err("a file is not a folder");
    let message = err.to_string();
    assert!(message.contains("not-a-folder") && message.contains("writable"), "{message}");
}

/// A decoded 8-bit RGB PNG, as plotters writes them.
struct Png {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl Png {
    fn read(path: &Path) -> Png {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}: not a PNG", path.display());
        let (mut width, mut height, mut idat) = (0, 0, Vec::new());
        let mut at = 8;
        while at + 8 <= bytes.len() {
            let len = u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
            let kind = &bytes[at + 4..at + 8];
            let body = &bytes[at + 8..at + 8 + len];
            match kind {
                b"IHDR" => {
                    width = u32::from_be_bytes(body[0..4].try_into().expect("4 bytes"));
                    height = u32::from_be_bytes(body[4..8].try_into().expect("4 bytes"));
                    assert_eq!((body[8], body[9], body[12]), (8, 2, 0), "8-bit RGB, not interlaced");
                }
                b"IDAT" => idat.extend_from_slice(body),
                _ => {}
            }
            at += 12 + len;
        }
        let raw = inflate(&idat[2..]);
        let stride = width as usize * 3;
        assert_eq!(raw.len(), height as usize * (stride + 1), "{}: decoded size", path.display());
        let mut rgb = vec![0u8; height as usize * stride];
        for y in 0..height as usize {
            let filter = raw[y * (stride + 1)];
            let line = &raw[y * (stride + 1) + 1..(y + 1) * (stride + 1)];
            for x in 0..stride {
                let a = if x >= 3 { rgb[y * stride + x - 3] } else { 0 };
                let b = if y > 0 { rgb[(y - 1) * stride + x] } else { 0 };
                let c = if x >= 3 && y > 0 { rgb[(y - 1) * stride + x - 3] } else { 0 };
                let predictor = match filter {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                    4 => {
                        let p = i16::from(a) + i16::from(b) - i16::from(c);
                        let (pa, pb, pc) =
                            ((p - i16::from(a)).abs(), (p - i16::from(b)).abs(), (p - i16::from(c)).abs());
                        if pa <= pb && pa <= pc {
                            a
                        } else if pb <= pc {
                            b
                        } else {
                            c
                        }
                    }
                    f => panic!("unknown PNG filter {f}"),
                };
                rgb[y * stride + x] = line[x].wrapping_add(predictor);
            }
        }
        Png { width, height, rgb }
    }

    fn pixels(&self) -> impl Iterator<Item = [u8; 3]> + '_ {
        self.rgb.chunks_exact(3).map(|p| [p[0], p[1], p[2]])
    }

    /// Text, axes and data: several colours and a fair share of ink.
    fn assert_not_blank(&self, what: &str) {
        let mut colours: Vec<[u8; 3]> = self.pixels().collect();
        let total = colours.len();
        let ink = colours.iter().filter(|p| **p != [255, 255, 255]).count();
        colours.sort_unstable();
        colours.dedup();
        assert!(colours.len() > 20, "{what}: only {} colours", colours.len());
        assert!(ink * 100 > total, "{what}: only {ink} of {total} pixels are not white");
    }

    fn has_colour(&self, c: [u8; 3]) -> bool {
        self.pixels().filter(|p| *p == c).nth(50).is_some()
    }
}

/// A small DEFLATE decoder (RFC 1951), after Mark Adler's puff.c: enough to
/// read back the PNGs, since the test may not depend on an image crate.
fn inflate(data: &[u8]) -> Vec<u8> {
    struct Bits<'a> {
        data: &'a [u8],
        pos: usize,
        buf: u32,
        count: u32,
    }
    impl Bits<'_> {
        fn need(&mut self, n: u32) -> u32 {
            while self.count < n {
                self.buf |= u32::from(self.data[self.pos]) << self.count;
                self.pos += 1;
                self.count += 8;
            }
            let v = self.buf & ((1u32 << n) - 1);
            self.buf >>= n;
            self.count -= n;
            v
        }
        fn decode(&mut self, h: &Huffman) -> usize {
            let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
            for len in 1..16 {
                code |= self.need(1) as i32;
                let count = h.count[len] as i32;
                if code - count < first {
                    return h.symbol[(index + code - first) as usize] as usize;
                }
                index += count;
                first = (first + count) << 1;
                code <<= 1;
            }
            panic!("invalid Huffman code");
        }
    }
    struct Huffman {
        count: [u16; 16],
        symbol: Vec<u16>,
    }
    fn huffman(lengths: &[u8]) -> Huffman {
        let mut count = [0u16; 16];
        for &l in lengths {
            count[l as usize] += 1;
        }
        count[0] = 0;
        let mut offs = [0u16; 16];
        for len in 1..15 {
            offs[len + 1] = offs[len] + count[len];
        }
        let mut symbol = vec![0u16; lengths.len()];
        for (s, &l) in lengths.iter().enumerate() {
            if l != 0 {
                symbol[offs[l as usize] as usize] = s as u16;
                offs[l as usize] += 1;
            }
        }
        Huffman { count, symbol }
    }
    const LBASE: [u16; 29] = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227,
        258,
    ];
    const LEXT: [u8; 29] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
    const DBASE: [u16; 30] = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
        6145, 8193, 12289, 16385, 24577,
    ];
    const DEXT: [u8; 30] =
        [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];

    let mut out = Vec::new();
    let mut s = Bits { data, pos: 0, buf: 0, count: 0 };
    loop {
        let last = s.need(1);
        match s.need(2) {
            0 => {
                s.buf = 0;
                s.count = 0;
                let len = u16::from_le_bytes([s.data[s.pos], s.data[s.pos + 1]]) as usize;
                s.pos += 4;
                out.extend_from_slice(&s.data[s.pos..s.pos + len]);
                s.pos += len;
            }
            kind @ (1 | 2) => {
                let (lit, dist) = if kind == 1 {
                    let mut l = [8u8; 288];
                    l[144..256].fill(9);
                    l[256..280].fill(7);
                    (huffman(&l), huffman(&[5u8; 30]))
                } else {
                    let nlen = s.need(5) as usize + 257;
                    let ndist = s.need(5) as usize + 1;
                    let ncode = s.need(4) as usize + 4;
                    const ORDER: [usize; 19] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
                    let mut l = [0u8; 19];
                    for &i in &ORDER[..ncode] {
                        l[i] = s.need(3) as u8;
                    }
                    let code = huffman(&l);
                    let mut lengths = Vec::with_capacity(nlen + ndist);
                    while lengths.len() < nlen + ndist {
                        match s.decode(&code) {
                            sym @ 0..=15 => lengths.push(sym as u8),
                            16 => {
                                let prev = *lengths.last().expect("a length to repeat");
                                let n = 3 + s.need(2);
                                lengths.extend(std::iter::repeat_n(prev, n as usize));
                            }
                            17 => lengths.extend(std::iter::repeat_n(0, 3 + s.need(3) as usize)),
                            _ => lengths.extend(std::iter::repeat_n(0, 11 + s.need(7) as usize)),
                        }
                    }
                    (huffman(&lengths[..nlen]), huffman(&lengths[nlen..]))
                };
                loop {
                    let sym = s.decode(&lit);
                    if sym < 256 {
                        out.push(sym as u8);
                    } else if sym == 256 {
                        break;
                    } else {
                        let i = sym - 257;
                        let len = LBASE[i] as usize + s.need(u32::from(LEXT[i])) as usize;
                        let d = s.decode(&dist);
                        let back = DBASE[d] as usize + s.need(u32::from(DEXT[d])) as usize;
                        let start = out.len() - back;
                        for k in 0..len {
                            out.push(out[start + k]);
                        }
                    }
                }
            }
            _ => panic!("invalid DEFLATE block type"),
        }
        if last == 1 {
            return out;
        }
    }
}
