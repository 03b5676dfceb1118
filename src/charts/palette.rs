//! Colours, marker shapes and line patterns. Designs take the Okabe–Ito
//! palette (safe for the common colour-vision deficiencies) in file order, so
//! a design has the same colour in every chart and in the report's tables;
//! services take Paul Tol's "muted" palette so they are not mistaken for
//! designs. The series of one design (a grid's other axes) share its colour
//! and differ by marker and line pattern.

/// An sRGB colour.
pub(crate) type Rgb = (u8, u8, u8);

/// Okabe & Ito (2008), reordered so the first designs get the strongest
/// contrast on white; yellow, weak on white, comes last.
const DESIGNS: [Rgb; 8] = [
    (0, 114, 178),   // blue
    (230, 159, 0),   // orange
    (0, 158, 115),   // bluish green
    (213, 94, 0),    // vermillion
    (204, 121, 167), // reddish purple
    (86, 180, 233),  // sky blue
    (0, 0, 0),       // black
    (240, 228, 66),  // yellow
];

/// Paul Tol's "muted" qualitative scheme.
const SERVICES: [Rgb; 9] = [
    (51, 34, 136),   // indigo
    (204, 102, 119), // rose
    (17, 119, 51),   // green
    (221, 204, 119), // sand
    (136, 204, 238), // cyan
    (136, 34, 85),   // wine
    (68, 170, 153),  // teal
    (153, 153, 51),  // olive
    (170, 68, 153),  // purple
];

/// Reference lines (SLO, offered load, frontier) and text.
pub(crate) const INK: Rgb = (34, 34, 34);
/// Secondary text (subtitles, notes).
pub(crate) const MUTED: Rgb = (90, 90, 90);
/// Grid lines.
pub(crate) const GRID: Rgb = (225, 225, 225);
/// Latency not attributed to a service.
pub(crate) const OTHER: Rgb = (170, 170, 170);
/// Waiting for a pool's connection.
pub(crate) const POOL_WAIT: Rgb = (214, 190, 130);

/// The colour of design `i` (cycles after eight).
pub(crate) fn design(i: usize) -> Rgb {
    DESIGNS[i % DESIGNS.len()]
}

/// The colour of service `i` (cycles after nine).
pub(crate) fn service(i: usize) -> Rgb {
    SERVICES[i % SERVICES.len()]
}

/// `c` mixed with white: `amount` 0 keeps it, 1 gives white.
pub(crate) fn tint(c: Rgb, amount: f64) -> Rgb {
    let mix = |v: u8| (f64::from(v) + (255.0 - f64::from(v)) * amount).round() as u8;
    (mix(c.0), mix(c.1), mix(c.2))
}

/// CSS hex notation.
pub(crate) fn hex(c: Rgb) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// Point marker shapes, so lines stay distinguishable in grey print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    /// ●
    Circle,
    /// ■
    Square,
    /// ▲
    Triangle,
    /// ◆
    Diamond,
    /// ▼
    TriangleDown,
    /// ★
    Star,
    /// ✚
    Plus,
    /// ⧗
    Hourglass,
}

/// Every marker, in the order series take them.
const MARKERS: [Marker; 8] = [
    Marker::Circle,
    Marker::Square,
    Marker::Triangle,
    Marker::Diamond,
    Marker::TriangleDown,
    Marker::Star,
    Marker::Plus,
    Marker::Hourglass,
];

/// How a marker is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Face {
    /// Filled with its colour.
    Filled,
    /// Outline only.
    Hollow,
    /// Outline with a × through it: the point fails the SLO.
    Crossed,
}

/// Line pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dash {
    /// Continuous.
    Solid,
    /// Long dashes.
    Dashed,
    /// Dots.
    Dotted,
    /// A dash then a dot: a chain line.
    Chain,
}

/// The marker of design `i`; with the colour it stays unique past eight designs.
fn design_marker(i: usize) -> usize {
    (i + i / DESIGNS.len()) % 4
}

/// The marker and line pattern of the `k`-th series of design `design`: its
/// first series takes the design's own marker and a solid line, the others
/// the next markers (eight in all) and patterns (four), so no two series of
/// a design look alike below nine.
pub(crate) fn series_style(design: usize, k: usize) -> (Marker, Dash) {
    let dashes = [Dash::Solid, Dash::Dashed, Dash::Dotted, Dash::Chain];
    (MARKERS[(design_marker(design) + k) % MARKERS.len()], dashes[k % dashes.len()])
}

/// The marker of series `i` when each is its own design (request classes).
pub(crate) fn marker(i: usize) -> Marker {
    MARKERS[design_marker(i)]
}
