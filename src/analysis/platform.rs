//! What a station's closed form leaves out on a platform: a serverless
//! service's cold starts, a CPU limit's throttling and stop-the-world
//! pauses. Each marks the figures approximate and says, in the note, how
//! much the mechanism adds; a CPU limit or pauses that the load cannot fit
//! in make the service saturated, whatever the cores say.

use super::service::none;
use super::{ServiceTheory, visit};
use crate::model::Network;

/// `t`, the station's view of service `s` at `utilisation` of its usable
/// cores, with the platform's mechanisms accounted for or named.
pub(super) fn beyond_the_station(net: &Network, s: usize, utilisation: f64, mut t: ServiceTheory) -> ServiceTheory {
    let svc = &net.services[s];
    let mut notes = Vec::new();
    if let Some(sv) = &svc.serverless {
        let cold = (-visit(net, s, None).rate * sv.keep_alive).exp();
        notes.push(format!(
            "serverless: cold starts not included; P(cold) is about exp(-rate x keep_alive) = {cold:.3} \
             at sparse traffic, adding about {:.3} s to the mean response (docs/models.md, Serverless)",
            cold * sv.cold_start.mean()
        ));
    }
    if let Some(limit) = &svc.cpu_limit {
        // Cores each instance keeps busy on average, against the cores the quota grants.
        let cores = utilisation * f64::from(svc.usable_cores());
        if cores >= limit.cores {
            return none(
                &svc.name,
                utilisation,
                format!(
                    "saturated by its CPU limit: an instance needs {cores:.2} cores on average and the limit \
                     grants {} per period, so the queue grows without bound",
                    limit.cores
                ),
            );
        }
        notes.push(format!(
            "CPU limit not included: the quota is {:.0}% used on average, and a burst that uses it up stalls \
             the instance until its {} ms period ends (the simulation counts the throttled periods)",
            100.0 * cores / limit.cores,
            limit.period * 1e3
        ));
    }
    if let Some(p) = &svc.pauses {
        let share = p.paused_share();
        if utilisation / (1.0 - share) >= 1.0 {
            return none(
                &svc.name,
                utilisation,
                format!(
                    "saturated with its pauses: {:.1}% of the time paused leaves {:.1}% of the cores for \
                     {:.1}% of load",
                    100.0 * share,
                    100.0 * (1.0 - share),
                    100.0 * utilisation
                ),
            );
        }
        let d = &p.duration;
        notes.push(format!(
            "pauses not included: instances are frozen {:.1}% of the time, which stretches CPU work by about \
             1/(1 - {share:.3}), and a request arriving in a pause waits its rest, {:.3} s on average \
             (E[D^2] / 2E[D])",
            100.0 * share,
            d.second_moment() / (2.0 * d.mean())
        ));
    }
    if !notes.is_empty() {
        t.exact = false;
        t.percentiles_exact = false;
        t.note = std::iter::once(t.note).chain(notes).filter(|x| !x.is_empty()).collect::<Vec<_>>().join("; ");
    }
    t
}
