//! Plots as SVG, written directly: grouped bars (with the runs' spread as
//! whiskers) and lines over a category axis, linear or logarithmic. Every
//! data point is one element of class `bar` or `point` with its series,
//! category and value as `data-` attributes and a `<title>` (the tooltip),
//! so that a test can count them; the lines under the plot say where the
//! figures come from.

use std::fmt::Write as _;

/// One figure of a series: the median, its spread over the runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub value: f64,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Point {
    pub fn new(value: f64) -> Point {
        Point {
            value,
            min: None,
            max: None,
        }
    }
    pub fn spread(value: f64, min: f64, max: f64) -> Point {
        Point {
            value,
            min: Some(min),
            max: Some(max),
        }
    }
}

/// A series: one value (or none) per category.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<Point>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Bars,
    Lines,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    pub kind: Kind,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub log_y: bool,
    /// The x axis: one label per category (`\n` breaks a label).
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    /// Provenance: printed under the plot, one line each.
    pub notes: Vec<String>,
}

impl Chart {
    /// How many values the plot shows (the elements of class `bar` or
    /// `point`).
    pub fn points(&self) -> usize {
        self.series
            .iter()
            .map(|s| s.values.iter().filter(|v| v.is_some()).count())
            .sum()
    }
}

const COLOURS: [&str; 10] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
];

/// Escapes text for XML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => o.push(c),
        }
    }
    o
}

/// A figure for an axis or a tooltip: `1500`, `12.5`, `150k`, `2.5M`.
pub fn num(v: f64) -> String {
    let a = v.abs();
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if a >= 1e6 {
        format!("{}M", trim(format!("{:.2}", v / 1e6)))
    } else if a >= 1e4 {
        format!("{}k", trim(format!("{:.1}", v / 1e3)))
    } else if a >= 100.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        trim(format!("{v:.1}"))
    } else {
        trim(format!("{v:.3}"))
    }
}

/// The y axis: from `lo` to `hi`, its ticks, and the mapping to [0, 1].
struct Axis {
    lo: f64,
    hi: f64,
    log: bool,
    ticks: Vec<f64>,
}

impl Axis {
    fn new(values: &[f64], log: bool) -> Axis {
        let max = values.iter().copied().fold(f64::MIN, f64::max);
        let min = values.iter().copied().fold(f64::MAX, f64::min);
        if log {
            // Bounds and ticks on the 1-2-5 sequence around the values.
            let min = if min > 0.0 { min } else { 1.0 };
            let max = if max > min { max } else { min * 2.0 };
            let seq =
                |i: i32| 10f64.powi(i.div_euclid(3)) * [1.0, 2.0, 5.0][i.rem_euclid(3) as usize];
            let mut i = (min.log10().floor() as i32) * 3;
            while seq(i + 1) <= min * (1.0 + 1e-9) {
                i += 1;
            }
            let mut ticks = vec![seq(i)];
            while *ticks.last().unwrap() < max * (1.0 - 1e-9) {
                i += 1;
                ticks.push(seq(i));
            }
            if ticks.len() > 9 {
                // Many decades: the powers of ten only.
                let lo = 10f64.powf(min.log10().floor());
                let hi = 10f64.powf(max.log10().ceil());
                ticks = std::iter::successors(Some(lo), |t| (*t < hi * 0.99).then(|| t * 10.0))
                    .collect();
            }
            Axis {
                lo: ticks[0],
                hi: *ticks.last().unwrap(),
                log,
                ticks,
            }
        } else {
            let max = if max > 0.0 { max } else { 1.0 };
            let raw = max / 5.0;
            let mag = 10f64.powf(raw.log10().floor());
            let step = [1.0, 2.0, 5.0, 10.0]
                .iter()
                .map(|m| m * mag)
                .find(|s| *s >= raw)
                .unwrap_or(10.0 * mag);
            let hi = (max / step).ceil() * step;
            let n = (hi / step).round() as usize;
            Axis {
                lo: 0.0,
                hi,
                log,
                ticks: (0..=n).map(|i| i as f64 * step).collect(),
            }
        }
    }

    /// 0 at the bottom, 1 at the top.
    fn at(&self, v: f64) -> f64 {
        if self.log {
            let v = v.max(self.lo);
            (v / self.lo).log10() / (self.hi / self.lo).log10()
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }
}

/// Breaks a note into lines of at most `width` characters, at blanks.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let cur = lines.last_mut().expect("one line");
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
            lines.push(format!("    {word}"));
        } else {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(word);
        }
    }
    lines
}

/// The chart as an SVG document.
pub fn render(c: &Chart) -> String {
    let notes: Vec<String> = c.notes.iter().flat_map(|n| wrap(n, 128)).collect();
    let w = 780.0;
    let (left, right, top) = (78.0, 16.0, 62.0);
    let plot_h = 300.0;
    let label_lines = c
        .categories
        .iter()
        .map(|l| l.split('\n').count())
        .max()
        .unwrap_or(1) as f64;
    let x_axis_h = 14.0 * label_lines + 26.0;
    let notes_h = 14.0 * notes.len() as f64 + 6.0;
    let h = top + plot_h + x_axis_h + notes_h;
    let plot_w = w - left - right;
    let bottom = top + plot_h;

    let values: Vec<f64> = c
        .series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .flat_map(|p| [Some(p.value), p.min, p.max])
        .flatten()
        .filter(|v| v.is_finite())
        .collect();
    let axis = Axis::new(&values, c.log_y);
    let y = |v: f64| bottom - axis.at(v) * plot_h;

    let mut o = String::new();
    let _ = writeln!(
        o,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(o, "<title>{}</title>", esc(&c.title));
    let _ = writeln!(o, "<desc>{}</desc>", esc(&c.notes.join("\n")));
    let _ = writeln!(
        o,
        r##"<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        o,
        r#"<text x="{}" y="20" text-anchor="middle" font-size="14" font-weight="bold">{}</text>"#,
        w / 2.0,
        esc(&c.title)
    );
    // The legend, in one row (two when long).
    let mut lx = left;
    let mut ly = 40.0;
    for (i, s) in c.series.iter().enumerate() {
        let tw = 6.5 * s.name.chars().count() as f64 + 30.0;
        if lx + tw > w - right {
            lx = left;
            ly += 14.0;
        }
        let col = COLOURS[i % COLOURS.len()];
        let _ = writeln!(
            o,
            r#"<rect x="{lx}" y="{}" width="12" height="10" fill="{col}"/><text x="{}" y="{}">{}</text>"#,
            ly - 9.0,
            lx + 16.0,
            ly,
            esc(&s.name)
        );
        lx += tw;
    }
    // Grid and y axis.
    for t in &axis.ticks {
        let ty = y(*t);
        let _ = writeln!(
            o,
            r##"<line x1="{left}" y1="{ty:.1}" x2="{}" y2="{ty:.1}" stroke="#dddddd"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            left + plot_w,
            left - 5.0,
            ty + 4.0,
            num(*t)
        );
    }
    let _ = writeln!(
        o,
        r##"<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#000000"/><line x1="{left}" y1="{bottom}" x2="{}" y2="{bottom}" stroke="#000000"/>"##,
        left + plot_w
    );
    let _ = writeln!(
        o,
        r#"<text x="16" y="{:.1}" text-anchor="middle" transform="rotate(-90 16 {:.1})">{}</text>"#,
        top + plot_h / 2.0,
        top + plot_h / 2.0,
        esc(&format!(
            "{}{}",
            c.y_label,
            if c.log_y { " (log scale)" } else { "" }
        ))
    );
    // Categories.
    let n = c.categories.len().max(1) as f64;
    let gw = plot_w / n;
    for (i, cat) in c.categories.iter().enumerate() {
        let cx = left + gw * (i as f64 + 0.5);
        for (j, part) in cat.split('\n').enumerate() {
            let _ = writeln!(
                o,
                r#"<text x="{cx:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                bottom + 15.0 + 14.0 * j as f64,
                esc(part)
            );
        }
    }
    let _ = writeln!(
        o,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
        left + plot_w / 2.0,
        bottom + x_axis_h - 6.0,
        esc(&c.x_label)
    );
    // The data.
    let ns = c.series.len().max(1) as f64;
    let bw = gw * 0.8 / ns;
    for (si, s) in c.series.iter().enumerate() {
        let col = COLOURS[si % COLOURS.len()];
        let mut line_pts = Vec::new();
        for (ci, v) in s.values.iter().enumerate() {
            let Some(p) = v else { continue };
            let cat = c.categories.get(ci).map(|x| x.replace('\n', " "));
            let cat = cat.unwrap_or_default();
            let tip = match (p.min, p.max) {
                (Some(a), Some(b)) => {
                    format!(
                        "{}, {cat}: {} ({}-{})",
                        s.name,
                        num(p.value),
                        num(a),
                        num(b)
                    )
                }
                _ => format!("{}, {cat}: {}", s.name, num(p.value)),
            };
            let cx = match c.kind {
                Kind::Bars => left + gw * ci as f64 + gw * 0.1 + bw * (si as f64 + 0.5),
                Kind::Lines => left + gw * (ci as f64 + 0.5),
            };
            let vy = y(p.value);
            let data = format!(
                r#"data-series="{}" data-category="{}" data-value="{}""#,
                esc(&s.name),
                esc(&cat),
                p.value
            );
            match c.kind {
                Kind::Bars => {
                    let _ = writeln!(
                        o,
                        r#"<rect class="bar" {data} x="{:.1}" y="{vy:.1}" width="{:.1}" height="{:.1}" fill="{col}"><title>{}</title></rect>"#,
                        cx - bw / 2.0 + 0.5,
                        (bw - 1.0).max(1.0),
                        (bottom - vy).max(0.0),
                        esc(&tip)
                    );
                    if bw >= 24.0 {
                        let _ = writeln!(
                            o,
                            r#"<text x="{cx:.1}" y="{:.1}" text-anchor="middle" font-size="9">{}</text>"#,
                            y(p.max.unwrap_or(p.value).max(p.value)) - 3.0,
                            num(p.value)
                        );
                    }
                }
                Kind::Lines => {
                    line_pts.push(format!("{cx:.1},{vy:.1}"));
                    let _ = writeln!(
                        o,
                        r#"<circle class="point" {data} cx="{cx:.1}" cy="{vy:.1}" r="3.5" fill="{col}"><title>{}</title></circle>"#,
                        esc(&tip)
                    );
                }
            }
            if let (Some(a), Some(b)) = (p.min, p.max) {
                if b > a {
                    let (ya, yb) = (y(a), y(b));
                    let _ = writeln!(
                        o,
                        r##"<path class="spread" d="M{cx:.1},{ya:.1}V{yb:.1}M{:.1},{ya:.1}h6M{:.1},{yb:.1}h6" stroke="#000000" fill="none"/>"##,
                        cx - 3.0,
                        cx - 3.0
                    );
                }
            }
        }
        if c.kind == Kind::Lines && line_pts.len() > 1 {
            let _ = writeln!(
                o,
                r#"<polyline points="{}" fill="none" stroke="{col}" stroke-width="1.5"/>"#,
                line_pts.join(" ")
            );
        }
    }
    for (i, note) in notes.iter().enumerate() {
        let _ = writeln!(
            o,
            r##"<text x="8" y="{:.1}" font-size="10" fill="#444444">{}</text>"##,
            bottom + x_axis_h + 12.0 + 14.0 * i as f64,
            esc(note)
        );
    }
    o.push_str("</svg>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(kind: Kind, log_y: bool) -> Chart {
        Chart {
            kind,
            title: "a <title> & more".into(),
            x_label: "x".into(),
            y_label: "cycles".into(),
            log_y,
            categories: vec!["one\ntwo".into(), "b".into(), "c".into()],
            series: vec![
                Series {
                    name: "rs".into(),
                    values: vec![
                        Some(Point::spread(10.0, 9.0, 12.0)),
                        None,
                        Some(Point::new(30.0)),
                    ],
                },
                Series {
                    name: "c \"x\"".into(),
                    values: vec![Some(Point::new(15.0)), Some(Point::new(1500.0)), None],
                },
            ],
            notes: vec!["made by a test".into()],
        }
    }

    #[test]
    fn well_formed_with_one_element_per_point() {
        for (kind, class) in [
            (Kind::Bars, "class=\"bar\""),
            (Kind::Lines, "class=\"point\""),
        ] {
            for log_y in [false, true] {
                let c = chart(kind, log_y);
                let s = render(&c);
                let doc = roxmltree::Document::parse(&s).expect("well-formed");
                assert_eq!(doc.root_element().tag_name().name(), "svg");
                assert_eq!(s.matches(class).count(), 4);
                assert_eq!(c.points(), 4);
                assert_eq!(s.matches("class=\"spread\"").count(), 1);
                assert!(s.contains("a &lt;title&gt; &amp; more"));
            }
        }
    }

    #[test]
    fn axes() {
        let a = Axis::new(&[0.0, 1234.0], false);
        assert_eq!(a.hi, 1500.0);
        assert_eq!(a.ticks, vec![0.0, 500.0, 1000.0, 1500.0]);
        let l = Axis::new(&[48.0, 92242.0], true);
        assert_eq!((l.lo, l.hi), (10.0, 100000.0));
        assert_eq!(l.ticks, vec![10.0, 100.0, 1000.0, 10000.0, 100000.0]);
        assert!((l.at(1000.0) - 0.5).abs() < 1e-9);
        let l = Axis::new(&[1855.0, 10768.0], true);
        assert_eq!(l.ticks, vec![1000.0, 2000.0, 5000.0, 10000.0, 20000.0]);
        let l = Axis::new(&[200.0, 500.0], true);
        assert_eq!(l.ticks, vec![200.0, 500.0]);
    }

    #[test]
    fn long_notes_are_wrapped() {
        let w = wrap("aaa bbb ccc ddd", 8);
        assert_eq!(w, vec!["aaa bbb", "    ccc", "    ddd"]);
        let mut c = chart(Kind::Bars, false);
        c.notes = vec!["word ".repeat(60)];
        let s = render(&c);
        assert_eq!(s.matches("fill=\"#444444\"").count(), 3);
    }

    #[test]
    fn numbers() {
        assert_eq!(num(1500.0), "1500");
        assert_eq!(num(150_000.0), "150k");
        assert_eq!(num(2_552_864.0), "2.55M");
        assert_eq!(num(12.25), "12.2");
        assert_eq!(num(0.0), "0");
    }
}
