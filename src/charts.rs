//! Charts (PNG and SVG) drawn from sweep and run results with plotters and an embedded font.
