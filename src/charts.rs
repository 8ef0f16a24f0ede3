//! Charts for the monitor, rendered on the server as SVG by plotters. Each chart comes with a
//! data table on the page (screen readers read the table; the SVG is marked as an image with a
//! text alternative).

use plotters::prelude::*;

const ACCENT: RGBColor = RGBColor(0x00, 0x55, 0x8c);

/// A vertical bar chart with one bar per label. Returns the SVG document.
pub fn bars(caption: &str, labels: &[String], values: &[f64], y_label: &str) -> Result<String, String> {
    // Counts get whole numbers on the axis.
    let integer = values.iter().all(|v| v.fract() == 0.0);
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (640, 300)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let max = values.iter().cloned().fold(0.0_f64, f64::max).max(1.0);
        // Counts: a whole-number top and at most one label per whole number, so the axis never
        // repeats a rounded label ("0 0 1 1 2").
        let (top, y_labels) = if integer {
            let top = (max * 1.15).ceil().max(max + 1.0);
            (top, (top as usize + 1).min(11))
        } else {
            (max * 1.15, 6)
        };
        let n = labels.len().max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d((0..n).into_segmented(), 0f64..top)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(TRANSPARENT)
            .y_labels(y_labels)
            .y_desc(y_label)
            .x_labels(n)
            .x_label_formatter(&|x| match x {
                SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .y_label_formatter(&|v| {
                if integer {
                    format!("{v:.0}")
                } else {
                    crate::domain::nl::short(*v)
                }
            })
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(values.iter().enumerate().map(|(i, v)| {
                let mut r = Rectangle::new([(SegmentValue::Exact(i), 0.0), (SegmentValue::Exact(i + 1), *v)], ACCENT.filled());
                r.set_margin(0, 0, 10, 10);
                r
            }))
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(buf)
}

/// The SVG as an accessible image: `role="img"` with a label, for inline use in a page.
pub fn inline(svg: &str, label: &str) -> String {
    let start = svg.find("<svg").unwrap_or(0);
    let esc = label.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;");
    svg[start..].replacen("<svg", &format!("<svg role=\"img\" aria-label=\"{esc}\" focusable=\"false\""), 1)
}

#[cfg(test)]
mod tests {
    /// The y-axis labels of a chart (the text elements that are numbers).
    fn axis_numbers(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| t.split('>').nth(1)?.split('<').next().map(|x| x.trim().to_string()))
            .filter(|x| !x.is_empty() && x.chars().all(|c| c.is_ascii_digit()))
            .collect()
    }

    #[test]
    fn small_counts_get_whole_distinct_axis_labels() {
        for values in [[0.0, 1.0, 2.0], [0.0, 0.0, 1.0], [3.0, 7.0, 0.0], [40.0, 3.0, 12.0]] {
            let svg = super::bars("x", &["a".into(), "b".into(), "c".into()], &values, "aantal").unwrap();
            let labels = axis_numbers(&svg);
            let mut dedup = labels.clone();
            dedup.dedup();
            assert!(labels.len() >= 2, "{values:?}: {labels:?}");
            assert_eq!(labels, dedup, "{values:?}: repeated axis labels");
        }
    }

    #[test]
    fn a_bar_chart_is_svg_with_its_labels() {
        let svg = super::bars("Trede", &["1".into(), "2".into(), "3".into()], &[3.0, 0.0, 7.0], "aantal").unwrap();
        assert!(svg.contains("<svg"));
        assert!(svg.contains("Trede"));
        assert!(svg.matches("<rect").count() >= 3);
        let inl = super::inline(&svg, "Trede \"x\"");
        assert!(inl.starts_with("<svg role=\"img\" aria-label=\"Trede &quot;x&quot;\""));
    }
}
