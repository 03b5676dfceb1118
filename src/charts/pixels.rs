//! Drawing in pixels: fonts, text that fits, dashed lines, markers and
//! hatching, done by hand so PNG and SVG come out alike. Used by the plot
//! ([`super::figure`]) and the legend ([`super::legend`]).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::palette::{Dash, Face, Marker, Rgb};

pub(super) fn colour(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

pub(super) fn font(size: f64, bold: bool, c: Rgb) -> TextStyle<'static> {
    let style = if bold { FontStyle::Bold } else { FontStyle::Normal };
    // Built with the style, not `.style(..)` afterwards: plotters 0.3.7's
    // `FontDesc::style` keeps the regular face's glyphs.
    FontDesc::new(FontFamily::SansSerif, size, style).color(&colour(c))
}

/// The width of `text` in `style` [px], without a drawing area (for layouts
/// decided before the image exists).
pub(super) fn text_width(text: &str, style: &TextStyle) -> f64 {
    style.font.box_size(text).map(|(w, _)| f64::from(w)).unwrap_or(0.0)
}

/// Shortens `text` with an ellipsis until it fits in `max` pixels.
pub(super) fn fit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    max: f64,
) -> String {
    let width = |t: &str| area.estimate_text_size(t, style).map(|(w, _)| f64::from(w)).unwrap_or(0.0);
    if width(text) <= max {
        return text.to_string();
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let candidate: String = chars.iter().collect::<String>().trim_end().to_string() + "…";
        if width(&candidate) <= max {
            return candidate;
        }
    }
    String::new()
}

/// The pixel box [x0, y0, x1, y1] of text of `size` drawn at `pos` from `anchor`.
pub(super) fn text_box(pos: (i32, i32), anchor: Pos, (w, h): (u32, u32)) -> [i32; 4] {
    let (w, h) = (w as i32, h as i32);
    let x0 = match anchor.h_pos {
        HPos::Left => pos.0,
        HPos::Center => pos.0 - w / 2,
        HPos::Right => pos.0 - w,
    };
    let y0 = match anchor.v_pos {
        VPos::Top => pos.1,
        VPos::Center => pos.1 - h / 2,
        VPos::Bottom => pos.1 - h,
    };
    [x0, y0, x0 + w, y0 + h]
}

/// Contiguous runs of drawable points.
pub(super) fn runs<T>(items: impl Iterator<Item = Option<T>>) -> Vec<Vec<T>> {
    let mut out = vec![Vec::new()];
    for item in items {
        match item {
            Some(p) => out.last_mut().expect("never empty").push(p),
            None if out.last().is_some_and(|r| !r.is_empty()) => out.push(Vec::new()),
            None => {}
        }
    }
    out.retain(|r| !r.is_empty());
    out
}

/// A polyline in pixels, dashed by hand so PNG and SVG agree.
pub(super) fn polyline<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    points: &[(i32, i32)],
    c: Rgb,
    width: f64,
    dash: Dash,
    s: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let style = colour(c).stroke_width(width.round().max(1.0) as u32);
    // Lengths drawn and skipped in turn.
    let pattern = match dash {
        Dash::Solid => {
            if points.len() == 1 {
                return Ok(());
            }
            return area.draw(&PathElement::new(points.to_vec(), style));
        }
        Dash::Dashed => [10.0 * s, 6.0 * s, 10.0 * s, 6.0 * s],
        Dash::Dotted => [2.5 * s, 4.5 * s, 2.5 * s, 4.5 * s],
        Dash::Chain => [10.0 * s, 4.5 * s, 2.5 * s, 4.5 * s],
    };
    let (mut at, mut left) = (0, pattern[0]);
    for pair in points.windows(2) {
        let (a, b) = ((f64::from(pair[0].0), f64::from(pair[0].1)), (f64::from(pair[1].0), f64::from(pair[1].1)));
        let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
        let mut t = 0.0;
        while t < len {
            let step = left.min(len - t);
            if at % 2 == 0 {
                let p = |u: f64| {
                    ((a.0 + (b.0 - a.0) * u / len).round() as i32, (a.1 + (b.1 - a.1) * u / len).round() as i32)
                };
                area.draw(&PathElement::new(vec![p(t), p(t + step)], style))?;
            }
            t += step;
            left -= step;
            if left <= 1e-9 {
                at = (at + 1) % pattern.len();
                left = pattern[at];
            }
        }
    }
    Ok(())
}

/// A marker of radius about `r` centred at (x, y).
pub(super) fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    marker: Marker,
    r: f64,
    c: Rgb,
    face: Face,
    s: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let ri = r.round() as i32;
    let filled = face == Face::Filled;
    let fill = colour(c).filled();
    let stroke = colour(c).stroke_width((2.0 * s).round() as u32);
    let at = |dx: f64, dy: f64| (x + (r * dx).round() as i32, y + (r * dy).round() as i32);
    let shape: Vec<(i32, i32)> = match marker {
        Marker::Circle => {
            if filled {
                area.draw(&Circle::new((x, y), ri, fill))?;
            }
            area.draw(&Circle::new((x, y), ri, stroke))?;
            return cross(area, (x, y), r, c, face, s);
        }
        Marker::Square => {
            let h = (r * 0.9).round() as i32;
            vec![(x - h, y - h), (x + h, y - h), (x + h, y + h), (x - h, y + h)]
        }
        Marker::Triangle => {
            let h = (r * 1.2).round() as i32;
            vec![(x, y - h), (x + h, y + (r * 0.75).round() as i32), (x - h, y + (r * 0.75).round() as i32)]
        }
        Marker::Diamond => {
            let h = (r * 1.3).round() as i32;
            vec![(x, y - h), (x + h, y), (x, y + h), (x - h, y)]
        }
        Marker::TriangleDown => vec![at(0.0, 1.2), at(1.2, -0.75), at(-1.2, -0.75)],
        Marker::Star => (0..10)
            .map(|k| {
                let angle = std::f64::consts::PI * (f64::from(k) / 5.0 - 0.5);
                let radius = if k % 2 == 0 { 1.4 } else { 0.6 };
                at(radius * angle.cos(), radius * angle.sin())
            })
            .collect(),
        Marker::Plus => {
            let (a, l) = (0.4, 1.2);
            vec![
                at(-a, -l),
                at(a, -l),
                at(a, -a),
                at(l, -a),
                at(l, a),
                at(a, a),
                at(a, l),
                at(-a, l),
                at(-a, a),
                at(-l, a),
                at(-l, -a),
                at(-a, -a),
            ]
        }
        Marker::Hourglass => vec![at(-1.0, -1.0), at(1.0, -1.0), at(-1.0, 1.0), at(1.0, 1.0)],
    };
    if filled {
        area.draw(&Polygon::new(shape.clone(), fill))?;
    }
    let mut outline = shape.clone();
    outline.push(shape[0]);
    area.draw(&PathElement::new(outline, stroke))?;
    cross(area, (x, y), r, c, face, s)
}

/// The × of a [`Face::Crossed`] marker, a little wider than the marker so it
/// reads as struck out.
fn cross<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    r: f64,
    c: Rgb,
    face: Face,
    s: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    if face != Face::Crossed {
        return Ok(());
    }
    let h = (r * 1.25).round() as i32;
    let stroke = colour(c).stroke_width((2.0 * s).round() as u32);
    area.draw(&PathElement::new(vec![(x - h, y - h), (x + h, y + h)], stroke))?;
    area.draw(&PathElement::new(vec![(x - h, y + h), (x + h, y - h)], stroke))
}

/// Diagonal lines across the pixel box `a`–`b`, `gap` apart.
pub(super) fn hatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    a: (i32, i32),
    b: (i32, i32),
    c: Rgb,
    gap: f64,
    s: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (x0, x1) = (a.0.min(b.0), a.0.max(b.0));
    let (y0, y1) = (a.1.min(b.1), a.1.max(b.1));
    let style = colour(c).stroke_width((1.5 * s).round().max(1.0) as u32);
    let step = gap.round().max(2.0) as i32;
    // Lines x + y = d, rising to the right.
    let mut d = x0 + y0 + step;
    while d < x1 + y1 {
        let (xa, xb) = ((d - y1).max(x0), (d - y0).min(x1));
        if xa < xb {
            area.draw(&PathElement::new(vec![(xa, d - xa), (xb, d - xb)], style))?;
        }
        d += step;
    }
    Ok(())
}
