//! The usage report's chart: an SVG drawn on the server (`plotters`), readable without
//! JavaScript; the page shows the same numbers in a table beside it.

use chrono::NaiveDate;
use plotters::prelude::*;

/// One line of the chart: its name, colour and a value per day.
pub struct Series<'a> {
    pub name: &'a str,
    pub color: RGBColor,
    pub values: Vec<(NaiveDate, i64)>,
}

/// A line chart of `series` over `from..=to` as an SVG document (empty days are 0).
pub fn lines(title: &str, from: NaiveDate, to: NaiveDate, series: &[Series<'_>]) -> String {
    let mut svg = String::new();
    let top = series
        .iter()
        .flat_map(|s| s.values.iter().map(|v| v.1))
        .max()
        .unwrap_or(0)
        .max(1);
    let days = (to - from).num_days().max(1);
    {
        let root = SVGBackend::with_string(&mut svg, (860, 320)).into_drawing_area();
        let drawn = (|| -> Result<(), Box<dyn std::error::Error + '_>> {
            root.fill(&WHITE)?;
            let mut chart = ChartBuilder::on(&root)
                .caption(title, ("sans-serif", 18))
                .margin(12)
                .x_label_area_size(32)
                .y_label_area_size(56)
                .build_cartesian_2d(0i64..days, 0i64..top + top / 10 + 1)?;
            chart
                .configure_mesh()
                .x_labels(8)
                .y_labels(6)
                .x_label_formatter(&|d| {
                    (from + chrono::Duration::days(*d))
                        .format("%m-%d")
                        .to_string()
                })
                .draw()?;
            for s in series {
                let color = s.color;
                let points: Vec<(i64, i64)> = (0..=days)
                    .map(|d| {
                        let day = from + chrono::Duration::days(d);
                        (d, s.values.iter().find(|v| v.0 == day).map_or(0, |v| v.1))
                    })
                    .collect();
                chart
                    .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                    .label(s.name)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK.mix(0.3))
                .draw()?;
            root.present()?;
            Ok(())
        })();
        if let Err(e) = drawn {
            tracing::warn!(error = %e, "the usage chart could not be drawn");
        }
    }
    svg
}

/// A usage report over a range as a page shows it: the chart and the days' table.
pub struct UsageView {
    pub svg: String,
    pub days: Vec<crate::models::usage::Day>,
    pub total: crate::models::usage::Day,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl UsageView {
    pub fn of(
        title: &str,
        from: NaiveDate,
        to: NaiveDate,
        days: Vec<crate::models::usage::Day>,
    ) -> Self {
        let pick = |f: fn(&crate::models::usage::Day) -> i64| -> Vec<(NaiveDate, i64)> {
            days.iter().map(|d| (d.day, f(d))).collect()
        };
        let activity = lines(
            &format!("{title}: activity"),
            from,
            to,
            &[
                Series {
                    name: "Activations",
                    color: RGBColor(37, 99, 235),
                    values: pick(|d| d.activations),
                },
                Series {
                    name: "Deactivations",
                    color: RGBColor(220, 38, 38),
                    values: pick(|d| d.deactivations),
                },
                Series {
                    name: "Peak seats",
                    color: RGBColor(147, 51, 234),
                    values: pick(|d| d.peak_seats),
                },
                Series {
                    name: "Refused check-outs and borrows",
                    color: RGBColor(234, 88, 12),
                    values: pick(|d| d.refused_checkouts + d.refused_borrows),
                },
            ],
        );
        // Checks and consumption run to thousands: a chart of their own keeps the
        // activity readable.
        let volume = lines(
            "Checks and consumption",
            from,
            to,
            &[
                Series {
                    name: "Checks",
                    color: RGBColor(100, 116, 139),
                    values: pick(|d| d.checks),
                },
                Series {
                    name: "Consumption",
                    color: RGBColor(22, 163, 74),
                    values: pick(|d| d.consumption),
                },
            ],
        );
        let mut total = crate::models::usage::Day {
            day: from,
            ..Default::default()
        };
        for d in &days {
            total.add(d);
        }
        UsageView {
            svg: activity + &volume,
            days,
            total,
            from,
            to,
        }
    }

    /// The days as CSV (a header and a row per day that has any usage).
    pub fn csv(&self) -> Result<Vec<u8>, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "day",
            "activations",
            "deactivations",
            "checks",
            "consumption",
            "peak_seats",
            "refused_checkouts",
            "refused_borrows",
        ])?;
        for d in &self.days {
            w.write_record([
                d.day.to_string(),
                d.activations.to_string(),
                d.deactivations.to_string(),
                d.checks.to_string(),
                d.consumption.to_string(),
                d.peak_seats.to_string(),
                d.refused_checkouts.to_string(),
                d.refused_borrows.to_string(),
            ])?;
        }
        w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
    }
}

/// A report's range from a query: `from` and `to` dates (default: the last 30 days to
/// today), at most 366 days, or the fields' messages.
pub fn range(
    from: &str,
    to: &str,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), crate::domain::FieldErrors> {
    use crate::domain::values;
    let mut e = crate::domain::FieldErrors::new();
    let to = e
        .check("to", values::optional_date(to))
        .flatten()
        .unwrap_or(today);
    let from = e
        .check("from", values::optional_date(from))
        .flatten()
        .unwrap_or_else(|| to - chrono::Duration::days(29));
    if e.is_empty() {
        if from > to {
            e.add("from", "The start is after the end.");
        } else if (to - from).num_days() > 365 {
            e.add("from", "A report covers at most 366 days.");
        }
    }
    if e.is_empty() {
        Ok((from, to))
    } else {
        Err(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_is_an_svg_with_its_lines_labels_and_legend() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let svg = lines(
            "Usage",
            d("2026-12-01"),
            d("2026-12-07"),
            &[Series {
                name: "Activations",
                color: RGBColor(30, 100, 200),
                values: vec![(d("2026-12-02"), 5), (d("2026-12-05"), 12)],
            }],
        );
        assert!(svg.starts_with("<svg"), "{svg:.80}");
        assert!(
            svg.contains("Activations") && svg.contains("12-05") && svg.contains("polyline"),
            "{svg}"
        );
    }
}
