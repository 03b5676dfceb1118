//! `capsim sensitivity`: on an M/M/1 queue the elasticities of the mean
//! response W = S / (1 - λS) match their closed forms (with respect to the
//! rate ρ/(1-ρ), to the service time 1/(1-ρ)) within the estimates' own
//! intervals; the command writes its folder and tornado charts without
//! clobbering a user's, and says whether the choice of design flips.

use std::sync::atomic::AtomicBool;

use capsim::compare::Kind;
use capsim::experiment::execute::simulate_networks;
use capsim::sensitivity::{self, Setting, Vary};

use crate::experiments::{ok, run, scratch};

const MM1: &str = r#"
[simulation]
duration = "20000s"
warmup = "1000s"
replications = 20
seed = 7

[workload.main]
target = "server.handle"
rate = "0.6/s"

[services.server]
threads = 1

[services.server.ops.handle]
demand = "exp(1s)"
"#;

#[test]
fn elasticities_of_the_mm1_response_match_the_analytic_derivatives() {
    let dir = scratch("sensitivity-mm1");
    let model = dir.join("mm1.toml");
    std::fs::write(&model, MM1).unwrap();
    let varies = [
        Vary { path: "workload.main.rate".into(), fraction: 0.1 },
        Vary { path: "services.server.ops.handle.demand".into(), fraction: 0.1 },
    ];
    let settings = [Setting { name: "model".into(), overrides: vec![] }];
    let plan = sensitivity::plan(&model, &settings, &varies, 0.1).unwrap();
    let runs = simulate_networks(&plan.networks, &|i| plan.describe(i), &|| {}, &AtomicBool::new(false)).unwrap();
    let s = sensitivity::analyse("mm1", &plan, &runs, "main", None);
    let rho: f64 = 0.6;
    // W = S / (1 - λS): d ln W / d ln λ = ρ/(1-ρ), d ln W / d ln S = 1/(1-ρ).
    // The estimate is a central difference over ±10%, which differs from
    // the derivative by its own (known) amount: that is allowed on top of
    // the interval, and is small here (0.006).
    let central = |lo: f64, hi: f64| {
        let w = |r: f64| 1.0 / (1.0 - r);
        (w(rho * hi).ln() - w(rho * lo).ln()) / (hi / lo).ln()
    };
    for (p, derivative, difference) in
        [(0, rho / (1.0 - rho), central(0.9, 1.1)), (1, 1.0 / (1.0 - rho), 1.0 + central(0.9, 1.1))]
    {
        let param = &s.settings[0].parameters[p];
        let e = param.effects.iter().find(|e| e.metric.kind == Kind::Mean).unwrap().elasticity;
        let ci = e.ci95.unwrap();
        eprintln!("{}: elasticity {:.4} ± {:.4}, derivative {derivative:.4}", param.path, e.value, ci);
        assert!(ci < 0.15, "{}: the interval ({ci}) is too wide to test anything", param.path);
        assert!(
            (e.value - derivative).abs() <= ci + (difference - derivative).abs(),
            "{}: elasticity {} ± {ci}, analytic {derivative} (central difference {difference})",
            param.path,
            e.value
        );
    }
    // Throughput follows the rate one for one, and does not depend on the service time.
    let throughput = |p: usize| {
        s.settings[0].parameters[p].effects.iter().find(|e| e.metric.kind == Kind::Throughput).unwrap().elasticity
    };
    assert!((throughput(0).value - 1.0).abs() <= throughput(0).ci95.unwrap() + 0.01);
    assert!(throughput(1).value.abs() <= throughput(1).ci95.unwrap() + 0.01);
    let _ = std::fs::remove_dir_all(&dir);
}
