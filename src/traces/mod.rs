//! Request traces in and out, in the formats tracing tools speak.
//!
//! | file | owns |
//! |---|---|
//! | `spans.rs` | the observer that records simulated journeys as spans |
//! | `ids.rs` | deterministic trace and span ids, the epoch |
//! | `otlp.rs` | writing OTLP/JSON (`resourceSpans` → `scopeSpans` → `spans`) |
//! | `jaeger.rs` | writing the JSON that Jaeger's UI loads from a file |
//! | `import/` | `capsim import`: reading both formats as a stream, the call graph and a model |
//!
//! `docs/traces.md` is the user's guide to both directions.

pub mod ids;
pub mod import;
pub mod jaeger;
pub mod otlp;
pub mod spans;

pub use ids::Ids;
pub use spans::{Event, Kind, Resource, Span, Spans, Value};

use crate::kernel::{self, to_time};
use crate::model::Network;

/// Follows the first `requests` requests of replication `replication` that
/// arrive at or after `from` seconds, and returns their spans (every span
/// ended: those the run's end cut short are marked `capsim.unfinished`).
pub fn record(net: &Network, replication: u32, requests: usize, from: f64) -> Spans<'_> {
    let mut spans = kernel::observe(net, replication, Spans::new(net, requests, to_time(from)));
    spans.close();
    spans
}

/// The name of the resource that issues requests (`workload`, or
/// `capsim-workload` if a service already has that name).
pub fn workload_name(net: &Network) -> &'static str {
    if net.services.iter().any(|s| s.name == "workload") { "capsim-workload" } else { "workload" }
}

/// `service.name` and `service.instance.id` of a resource.
pub fn resource_names(net: &Network, resource: Resource) -> (String, String) {
    match resource {
        Resource::Workload => (workload_name(net).to_string(), workload_name(net).to_string()),
        Resource::Instance(i) => {
            let mut first = 0;
            for s in &net.services {
                if i < first + s.max_instances() {
                    return (s.name.clone(), format!("{}#{}", s.name, i - first));
                }
                first += s.max_instances();
            }
            ("unknown".into(), format!("#{i}"))
        }
    }
}
