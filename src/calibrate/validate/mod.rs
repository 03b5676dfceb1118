//! `capsim validate`: a model against load-test measurements.
