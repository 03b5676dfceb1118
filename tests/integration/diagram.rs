//! `capsim diagram` and the diagrams of runs and reports: every shipped
//! model's DOT has each service, queue and pool once and each arrow with the
//! visits the traffic equations give (checked against the model's solved
//! visits, independently of how the diagram sums its call sites), one
//! model's DOT is pinned by a snapshot, the layout crosses no edge for the
//! shipped models and designs, and the report inlines each design's diagram.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use capsim::charts::diagram::Diagram;
use capsim::model::{self, Network};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn out_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("diagram").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every shipped model (the catalogue is not one).
fn shipped() -> Vec<(String, Network)> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(root().join("models"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml") && !p.ends_with("catalog.toml"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let net = model::load(&p, &[]).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, net)
        })
        .collect()
}

fn capsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_capsim")).args(args).current_dir(root()).output().unwrap()
}

/// Node ids declared in a DOT text, each as often as declared.
fn dot_nodes(dot: &str) -> Vec<String> {
    dot.lines()
        .filter_map(|l| l.strip_prefix("  \""))
        .filter(|l| !l.contains(" -> "))
        .filter_map(|l| l.split_once("\" [").map(|(id, _)| id.to_string()))
        .collect()
}

/// One arrow of a DOT text: source, target, label.
struct DotEdge {
    from: String,
    to: String,
    label: String,
}

fn dot_edges(dot: &str) -> Vec<DotEdge> {
    dot.lines()
        .filter_map(|l| {
            let l = l.strip_prefix("  \"")?;
            let (from, rest) = l.split_once("\" -> \"")?;
            let (to, rest) = rest.split_once('"')?;
            let label = rest.split_once("label=\"").map_or("", |(_, r)| r.split_once('"').map_or("", |(l, _)| l));
            Some(DotEdge { from: from.to_string(), to: to.to_string(), label: label.to_string() })
        })
        .collect()
}

/// The visits a label states ("read ×≤0.2 (browse) · 180/s on miss"), and
/// the classes it names; "(unused)" is no visit, "(polls)" only status polls.
fn label_visits(label: &str) -> Option<(f64, Vec<String>)> {
    if label.ends_with("(unused)") || label.ends_with("(polls)") {
        return Some((0.0, Vec::new()));
    }
    let after = label.split_once('×')?.1.trim_start_matches('≤');
    let number: String = after.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let rest = &after[number.len()..];
    let classes = match rest.strip_prefix(" (") {
        Some(r) => r.split_once(')').unwrap().0.split(", ").map(str::to_string).collect(),
        None => Vec::new(),
    };
    Some((number.parse().ok()?, classes))
}

/// Each request class's share of "per request": its open rate over all
/// (closed classes alike), status polls none.
fn weights(net: &Network) -> Vec<f64> {
    let people: Vec<usize> = (0..net.classes.len()).filter(|&c| !net.classes[c].polling).collect();
    let rates: Vec<Option<f64>> = people.iter().map(|&c| net.classes[c].open_rate()).collect();
    let total: f64 = rates.iter().flatten().sum();
    let mut w = vec![0.0; net.classes.len()];
    for (k, &c) in people.iter().enumerate() {
        w[c] = if rates.iter().all(Option::is_some) && total > 0.0 {
            rates[k].unwrap() / total
        } else {
            1.0 / people.len() as f64
        };
    }
    w
}

#[test]
fn every_shipped_model_draws_each_service_queue_pool_and_workload_exactly_once() {
    for (name, net) in shipped() {
        let dot = Diagram::of(&net, &name).dot();
        let nodes = dot_nodes(&dot);
        let once = |id: String| {
            let n = nodes.iter().filter(|x| **x == id).count();
            assert_eq!(n, 1, "{name}: `{id}` declared {n} times in\n{dot}");
        };
        net.services.iter().for_each(|s| once(format!("service:{}", s.name)));
        net.queues.iter().for_each(|q| once(format!("queue:{}", q.name)));
        net.pools.iter().for_each(|p| once(format!("pool:{}", p.name)));
        net.classes.iter().for_each(|c| once(format!("workload:{}", c.name)));
        let expected = net.services.len() + net.queues.len() + net.pools.len() + net.classes.len();
        let balancers = nodes.iter().filter(|n| n.starts_with("balancer:")).count();
        assert_eq!(nodes.len(), expected + balancers, "{name}: unexpected nodes {nodes:?}");
        // Every edge joins declared nodes.
        for e in dot_edges(&dot) {
            assert!(nodes.contains(&e.from) && nodes.contains(&e.to), "{name}: {} -> {}", e.from, e.to);
        }
    }
}

/// What arrives at each service, per request of the mix, from the model's
/// solved traffic equations: its ops' visits less the requests entering there.
fn arriving(net: &Network) -> HashMap<String, f64> {
    let w = weights(net);
    net.services
        .iter()
        .map(|s| {
            let visits: f64 = (0..net.classes.len())
                .map(|c| {
                    let ops: f64 = s.ops.clone().map(|o| net.visits[c][o as usize]).sum();
                    let entering = if net.ops[net.classes[c].target as usize].service as usize
                        == net.services.iter().position(|x| x.name == s.name).unwrap()
                    {
                        1.0
                    } else {
                        0.0
                    };
                    w[c] * (ops - entering)
                })
                .sum();
            (s.name.clone(), visits)
        })
        .collect()
}

#[test]
fn every_arrow_carries_the_visits_the_traffic_equations_give() {
    for (name, net) in shipped() {
        let dot = Diagram::of(&net, &name).dot();
        let w = weights(&net);
        let class_weight = |c: &str| net.classes.iter().position(|k| k.name == c).map(|i| w[i]).unwrap();
        let edges = dot_edges(&dot);
        let mut seen: HashMap<String, f64> = HashMap::new();
        for e in &edges {
            let Some(service) = e.to.strip_prefix("service:").or_else(|| e.to.strip_prefix("balancer:")) else {
                continue;
            };
            // Requests entering, and a balancer handing on to its service, are not arrivals by a call.
            if e.from.starts_with("workload:") || e.from == format!("balancer:{service}") {
                continue;
            }
            let (visits, classes) = label_visits(&e.label).unwrap_or_else(|| panic!("{name}: label `{}`", e.label));
            // A label naming classes is per request of those classes.
            let share: f64 = if classes.is_empty() { 1.0 } else { classes.iter().map(|c| class_weight(c)).sum() };
            *seen.entry(service.to_string()).or_default() += visits * share;
        }
        for (service, expected) in arriving(&net) {
            let drawn = seen.get(&service).copied().unwrap_or(0.0);
            // Labels carry three significant digits.
            assert!(
                (drawn - expected).abs() <= 0.002 * expected.max(1e-9) + 1e-9,
                "{name}: arrows into `{service}` say {drawn} visits per request, the traffic equations {expected}\n{dot}"
            );
        }
        // A pool passes on what it receives.
        for p in &net.pools {
            let id = format!("pool:{}", p.name);
            let sum = |into: bool| -> f64 {
                edges
                    .iter()
                    .filter(|e| if into { e.to == id } else { e.from == id })
                    .map(|e| label_visits(&e.label).unwrap().0)
                    .sum()
            };
            assert!(
                (sum(true) - sum(false)).abs() < 1e-9,
                "{name}: pool `{}` in {} out {}",
                p.name,
                sum(true),
                sum(false)
            );
        }
    }
}

/// The DOT line of the edge from `from` to `to`.
fn edge_label(dot: &str, from: &str, to: &str) -> String {
    let edges = dot_edges(dot);
    let found: Vec<&DotEdge> = edges.iter().filter(|e| e.from == from && e.to == to).collect();
    assert_eq!(found.len(), 1, "one edge {from} -> {to} in\n{dot}");
    found[0].label.clone()
}

#[test]
fn visits_counted_by_hand_appear_on_the_arrows() {
    let dot = |m: &str| Diagram::of(&model::load(&root().join("models").join(m), &[]).unwrap(), m).dot();
    // web-3tier: every page reads the cache, 20% of them the database, at 900/s.
    let web = dot("web-3tier.toml");
    assert_eq!(edge_label(&web, "service:app", "service:cache"), "get ×1 · 900/s");
    assert_eq!(edge_label(&web, "service:app", "service:db"), "read ×0.2 · 180/s");
    assert_eq!(edge_label(&web, "workload:web", "balancer:app"), "get_page");
    // Chatty: 12 round trips per page; fan-out: 100 parallel copies.
    assert!(edge_label(&dot("chatty-feed.toml"), "service:feed", "balancer:posts").starts_with("get ×12 · "));
    assert!(edge_label(&dot("fan-out.toml"), "service:front", "balancer:leaf").starts_with("query ×100 · "));
    // Read replicas: each class takes its own path, named.
    let rr = dot("read-replicas.toml");
    assert_eq!(edge_label(&rr, "service:api", "balancer:replica"), "query ×1 (browse) · 900/s");
    assert_eq!(edge_label(&rr, "service:api", "service:primary"), "update ×1 (update) · 60/s");
    // A pool sits on the call it is held around.
    let pool = dot("pool-exhaustion.toml");
    assert!(edge_label(&pool, "service:app", "pool:db_conns").starts_with("query ×1 · "));
    assert!(edge_label(&pool, "pool:db_conns", "service:db").starts_with("query ×1 · "));
    // A cache's miss path carries the misses TTL theory expects (1 - 0.9166 of the reads).
    let cache = dot("cache-ttl.toml");
    let to_db: Vec<DotEdge> = dot_edges(&cache).into_iter().filter(|e| e.to == "service:db").collect();
    let labels: Vec<&str> = to_db.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(labels, ["read ×0.0834 (browse) · 41.7/s", "write ×1 (reprice) · 50/s"]);
    // A forward has a hollow head; a publish and its consumer are dashed.
    assert!(
        dot("closed-users.toml").contains("\"service:web\" -> \"service:db\" [label=\"query ×1\", arrowhead=empty];")
    );
    let showdown = Diagram::of(
        &model::load(
            &root().join("models/showdown.toml"),
            &["workload.web.target=\"api.accept\"".into(), "services.workers.enabled=true".into()],
        )
        .unwrap(),
        "event-driven",
    )
    .dot();
    assert!(
        showdown.contains("\"service:api\" -> \"queue:jobs\" [label=\"publish ×1 · 1,000/s\", style=dashed];"),
        "{showdown}"
    );
    assert!(showdown.contains("\"queue:jobs\" -> \"service:workers\" [label=\"process ×1 · 1,000/s\", style=dashed];"));
    // The base design never publishes: the path is drawn, as unused.
    assert!(dot("showdown.toml").contains("[label=\"publish (unused)\", style=dotted, color=gray]"));
}

#[test]
fn the_dot_of_a_model_matches_the_snapshot() {
    let out = capsim(&["diagram", "models/cache-ttl.toml"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let snapshot = root().join("tests/snapshots/diagram-cache-ttl.dot");
    if std::env::var_os("CAPSIM_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&snapshot, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&snapshot).expect("snapshot exists (CAPSIM_UPDATE_SNAPSHOTS=1 writes it)");
    assert_eq!(text, expected, "the DOT changed; if intended, rerun with CAPSIM_UPDATE_SNAPSHOTS=1");
}

#[test]
fn no_edges_cross_in_the_shipped_models_and_experiment_designs() {
    for (name, net) in shipped() {
        assert_eq!(Diagram::of(&net, &name).crossings().unwrap(), 0, "{name}");
    }
    let mut experiments: Vec<PathBuf> =
        std::fs::read_dir(root().join("experiments")).unwrap().map(|e| e.unwrap().path()).collect();
    experiments.sort();
    for path in experiments {
        let exp = capsim::experiment::spec::Experiment::load(&path, &[]).unwrap();
        for (d, design) in exp.designs.iter().enumerate() {
            let net = &exp.networks[d][0];
            let crossings = Diagram::of(net, &design.name).crossings().unwrap();
            assert_eq!(crossings, 0, "{} design {}", path.display(), design.name);
        }
    }
}

#[test]
fn the_format_follows_the_extension_and_a_users_file_is_never_lost() {
    let dir = out_dir("formats");
    let path = |f: &str| dir.join(f).display().to_string();
    for (file, starts) in
        [("d.svg", "<svg"), ("d.dot", "// models/web-3tier.toml"), ("d.mmd", "%% models/web-3tier.toml")]
    {
        let out = capsim(&["diagram", "models/web-3tier.toml", "-o", &path(file)]);
        assert!(out.status.success(), "{file}: {}", String::from_utf8_lossy(&out.stderr));
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        assert!(text.starts_with(starts), "{file}: {}", &text[..80.min(text.len())]);
    }
    let svg = std::fs::read_to_string(dir.join("d.svg")).unwrap();
    assert!(svg.contains(">\napp\n</text>") && svg.contains(">\nread ×0.2 · 180/s\n</text>"), "text stays text");
    assert!(std::fs::read_to_string(dir.join("d.mmd")).unwrap().contains("flowchart TD"));
    let out = capsim(&["diagram", "models/web-3tier.toml", "-o", &path("d.png")]);
    assert!(out.status.success());
    let png = std::fs::read(dir.join("d.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let dims = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    let svg_w: u32 = svg.split("width=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
    assert_eq!(dims(16), 2 * svg_w, "the PNG is twice the SVG");
    // --format wins over the extension; DOT goes to standard output by default.
    let out = capsim(&["diagram", "models/web-3tier.toml", "--format", "mermaid"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("flowchart TD"));
    // Refused, exit 2, nothing written: an unknown extension, the model itself, a folder.
    let out = capsim(&["diagram", "models/web-3tier.toml", "-o", &path("d.txt")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(".svg, .png, .dot or .mmd"));
    assert!(!dir.join("d.txt").exists());
    let model = dir.join("m.toml");
    std::fs::copy(root().join("models/web-3tier.toml"), &model).unwrap();
    let before = std::fs::read(&model).unwrap();
    let m = model.display().to_string();
    let out = capsim(&["diagram", &m, "-o", &m, "--format", "dot"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(&model).unwrap(), before, "the model is untouched");
    let out = capsim(&["diagram", "models/web-3tier.toml", "-o", &dir.display().to_string(), "--format", "svg"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_run_with_charts_draws_the_measured_diagram() {
    let dir = out_dir("run");
    let out = capsim(&[
        "run",
        "models/web-3tier.toml",
        "-r",
        "2",
        "--duration",
        "10s",
        "--charts",
        &dir.display().to_string(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let svg = std::fs::read_to_string(dir.join("diagram.svg")).unwrap();
    assert!(dir.join("diagram.png").exists());
    // The app is the bottleneck (about 70% CPU at 900/s) and carries its load.
    assert!(svg.contains(">\nbottleneck\n</text>") && svg.contains(">\nCPU 7"), "{svg}");
    assert!(svg.contains("% of time\n</text>"));
}

#[test]
fn the_report_inlines_each_designs_diagram_and_says_why_when_it_cannot() {
    let dir = out_dir("report");
    let model = root().join("models/web-3tier.toml");
    let exp = dir.join("exp.toml");
    std::fs::write(
        &exp,
        format!(
            "[experiment]\nname = \"diagrams\"\nmodel = \"{}\"\nreplications = 1\n\n[[axes]]\npath = \"workload.web.rate\"\nvalues = [\"300/s\", \"600/s\"]\n\n[designs.base]\n\n[designs.wide]\nset = {{ \"services.app.instances\" = 8 }}\n",
            model.display()
        ),
    )
    .unwrap();
    let results = dir.join("results");
    let out = capsim(&[
        "sweep",
        &exp.display().to_string(),
        "-q",
        "-o",
        &results.display().to_string(),
        "--set",
        "simulation.duration=5s",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(results.join("report.html")).unwrap();
    let section = html.split("<section id=\"architecture\">").nth(1).expect("an architecture section");
    let section = section.split("</section>").next().unwrap();
    assert_eq!(section.matches("<svg").count(), 2, "one inline SVG per design");
    assert!(section.contains(">\n8 instances · $1.54/h\n</text>"), "the wide design's own model");
    assert!(!section.contains("<img") && !section.contains("href"), "nothing to load");
    // `capsim report` redraws them while the experiment is where it was, and says why not when it is gone.
    let out = capsim(&["report", &results.display().to_string()]);
    assert!(out.status.success());
    assert_eq!(std::fs::read_to_string(results.join("report.html")).unwrap(), html, "the same report again");
    std::fs::rename(&exp, dir.join("moved.toml")).unwrap();
    let out = capsim(&["report", &results.display().to_string()]);
    assert!(out.status.success());
    let html = std::fs::read_to_string(results.join("report.html")).unwrap();
    assert!(html.contains("No diagrams: they are drawn from the experiment file"), "a reason is given");
}
