//! `capsim fit`: a service-time distribution from samples, percentiles or a Prometheus histogram.
