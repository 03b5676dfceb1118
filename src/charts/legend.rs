//! The legend: its entries, where it goes and how it is drawn.
//!
//! A legend sits beside the plot, never on the data: in a column to the
//! right, or, when a chart has many series ([`MANY_SERIES`]) or the column
//! would be taller than the image, in columns under the plot, the image
//! growing to fit. The placement is decided at scale 1 from the entries
//! alone, so the PNG (scale 2) and the SVG have the same layout.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::figure::{BASE, Figure};
use super::palette::{Dash, Face, INK, MUTED, Marker, Rgb};
use super::pixels::{colour, draw_marker, fit, font, hatch, polyline, text_width};

/// Beyond this many series a chart's legend goes under the plot.
pub(crate) const MANY_SERIES: usize = 6;

/// What a legend entry shows beside its text.
#[derive(Debug, Clone)]
pub(crate) enum Swatch {
    /// A line sample.
    Line { colour: Rgb, dash: Dash, width: f64, marker: Option<Marker> },
    /// A filled box.
    Fill { colour: Rgb, alpha: f64 },
    /// A box hatched over `colour`.
    Hatch { colour: Rgb },
    /// A marker alone.
    Marker { colour: Rgb, marker: Marker, face: Face },
    /// No swatch: a note in smaller text.
    Note,
}

/// One legend row.
#[derive(Debug, Clone)]
pub(crate) struct LegendEntry {
    /// Text.
    pub label: String,
    /// Sample.
    pub swatch: Swatch,
}

impl LegendEntry {
    pub(crate) fn new(label: impl Into<String>, swatch: Swatch) -> LegendEntry {
        LegendEntry { label: label.into(), swatch }
    }
}

/// Where the legend goes, at scale 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Place {
    /// No legend.
    None,
    /// A column right of the plot.
    Right,
    /// `columns` columns of `rows` entries (filled column by column, so a
    /// design's series stay together) under the plot, `height` tall [px].
    Below { columns: usize, rows: usize, column_w: f64, height: f64 },
}

/// Row heights [px at scale 1].
const ROW: f64 = 26.0;
const NOTE_ROW: f64 = 20.0;
/// Left and right margin of the image [px at scale 1].
const MARGIN: f64 = 16.0;
/// Length of a swatch on the right and, longer so dashes read, below [px at scale 1].
const SWATCH: f64 = 30.0;
const SWATCH_BELOW: f64 = 44.0;

fn is_note(e: &LegendEntry) -> bool {
    matches!(e.swatch, Swatch::Note)
}

/// Where `fig`'s legend goes, given the height of its header [px at scale 1].
pub(crate) fn place(fig: &Figure, header: f64) -> Place {
    if fig.legend.is_empty() {
        return Place::None;
    }
    // The column starts 20 px below the header (the plot's margin and a gap).
    let column: f64 = fig.legend.iter().map(|e| if is_note(e) { NOTE_ROW } else { ROW }).sum();
    if !fig.legend_below && header + 20.0 + column <= f64::from(BASE.1) {
        return Place::Right;
    }
    let text = font(15.0, false, INK);
    let note = font(13.0, false, MUTED);
    let widest =
        fig.legend
            .iter()
            .map(|e| {
                if is_note(e) { text_width(&e.label, &note) } else { SWATCH_BELOW + 10.0 + text_width(&e.label, &text) }
            })
            .fold(0.0, f64::max);
    let room = f64::from(BASE.0) - 2.0 * MARGIN;
    let column_w = (widest + 28.0).min(room);
    let n = fig.legend.len();
    let fits = ((room / column_w).floor() as usize).clamp(1, n);
    let rows = n.div_ceil(fits);
    let columns = n.div_ceil(rows);
    Place::Below { columns, rows, column_w, height: 14.0 + rows as f64 * ROW }
}

/// The width of the right-hand column at scale `s` [px].
pub(crate) fn right_width<DB: DrawingBackend>(fig: &Figure, root: &DrawingArea<DB, Shift>, s: f64) -> f64 {
    let legend_font = font(15.0 * s, false, INK);
    let note_font = font(13.0 * s, false, MUTED);
    let widest = fig
        .legend
        .iter()
        .map(|e| {
            let f = if is_note(e) { &note_font } else { &legend_font };
            let indent = if is_note(e) { 0.0 } else { 40.0 * s };
            root.estimate_text_size(&e.label, f).map(|(w, _)| f64::from(w)).unwrap_or(0.0) + indent
        })
        .fold(0.0, f64::max);
    (widest + 24.0 * s).clamp(130.0 * s, 270.0 * s)
}

/// Draws the legend in `area`: a column from `top` (in the root's pixels),
/// or the columns of [`Place::Below`] filling the area.
pub(crate) fn draw<DB: DrawingBackend>(
    fig: &Figure,
    place: Place,
    area: &DrawingArea<DB, Shift>,
    top: i32,
    s: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let px = |v: f64| (v * s).round() as i32;
    let (w, _) = area.dim_in_pixel();
    match place {
        Place::None => Ok(()),
        Place::Right => {
            // The legend area has its own origin; `top` is in the root's pixels.
            let mut y = top - area.get_base_pixel().1 + px(10.0);
            for entry in &fig.legend {
                entry_at(area, entry, (px(4.0), y), (SWATCH, f64::from(w) - 10.0 * s), s)?;
                y += px(if is_note(entry) { NOTE_ROW } else { ROW });
            }
            Ok(())
        }
        Place::Below { rows, column_w, .. } => {
            for (i, entry) in fig.legend.iter().enumerate() {
                let (col, row) = ((i / rows) as f64, (i % rows) as f64);
                let at = (px(MARGIN + col * column_w), px(4.0 + ROW / 2.0 + row * ROW));
                entry_at(area, entry, at, (SWATCH_BELOW, column_w * s - 12.0 * s), s)?;
            }
            Ok(())
        }
    }
}

/// One entry with its swatch, `len` long [px at scale 1], at `(x, mid)`, its
/// text shortened to `max` px from `x`.
fn entry_at<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entry: &LegendEntry,
    (sx, mid): (i32, i32),
    (len, max): (f64, f64),
    s: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let px = |v: f64| (v * s).round() as i32;
    let swatch_box = [(sx, mid - px(7.0)), (sx + px(len), mid + px(7.0))];
    match &entry.swatch {
        Swatch::Line { colour: c, dash, width, marker } => {
            polyline(area, &[(sx, mid), (sx + px(len), mid)], *c, width * s, *dash, s)?;
            if let Some(m) = marker {
                draw_marker(area, (sx + px(len / 2.0), mid), *m, 5.5 * s, *c, Face::Hollow, s)?;
            }
        }
        Swatch::Fill { colour: c, alpha } => {
            area.draw(&Rectangle::new(swatch_box, colour(*c).mix(*alpha).filled()))?;
        }
        Swatch::Hatch { colour: c } => {
            area.draw(&Rectangle::new(swatch_box, colour(*c).filled()))?;
            hatch(area, swatch_box[0], swatch_box[1], (255, 255, 255), 6.0 * s, s)?;
        }
        Swatch::Marker { colour: c, marker, face } => {
            draw_marker(area, (sx + px(len / 2.0), mid), *marker, 6.0 * s, *c, *face, s)?;
        }
        Swatch::Note => {}
    }
    let (f, tx) = if is_note(entry) {
        (font(13.0 * s, false, MUTED), sx)
    } else {
        (font(15.0 * s, false, INK), sx + px(len + 10.0))
    };
    let text = fit(area, &entry.label, &f, max - f64::from(tx - sx));
    area.draw(&Text::new(text, (tx, mid), f.pos(Pos::new(HPos::Left, VPos::Center))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::axis::{Axis, Fmt};
    use crate::charts::figure::size;

    fn figure(entries: usize, legend_below: bool) -> Figure {
        let line = || Swatch::Line { colour: INK, dash: Dash::Solid, width: 3.0, marker: None };
        Figure {
            title: "t".into(),
            subtitle: "s".into(),
            x: Axis::linear("x", Fmt::Number, false),
            y: Axis::linear("y", Fmt::Number, true),
            marks: Vec::new(),
            legend: (0..entries).map(|i| LegendEntry::new(format!("design, instances={i}"), line())).collect(),
            legend_below,
        }
    }

    #[test]
    fn a_few_entries_sit_right_of_the_plot() {
        assert_eq!(place(&figure(0, false), 70.0), Place::None);
        assert_eq!(place(&figure(8, false), 70.0), Place::Right);
        assert_eq!(size(&figure(8, false)), BASE);
    }

    #[test]
    fn many_series_go_under_the_plot_and_the_image_grows_to_hold_them() {
        for fig in [figure(8, true), figure(20, false)] {
            let Place::Below { columns, rows, column_w, height } = place(&fig, 70.0) else {
                panic!("{} entries go below", fig.legend.len())
            };
            assert!(columns * rows >= fig.legend.len() && columns > 1, "{columns} x {rows}");
            assert!(MARGIN + columns as f64 * column_w <= f64::from(BASE.0), "{columns} columns of {column_w} px");
            assert_eq!(size(&fig), (BASE.0, BASE.1 + height.ceil() as u32));
            assert!(height >= rows as f64 * ROW);
        }
    }
}
