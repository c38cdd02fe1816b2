//! Spend against attributed results: cost, CPA and ROAS per channel and model.

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;

use super::render::{self, number_column, text_column, Align, FrameRows, Report, View};
use crate::attribution::Attribution;

/// One channel under one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Efficiency {
    pub model: String,
    pub channel: String,
    pub cost: f64,
    pub conversions: f64,
    /// Cost per attributed conversion; None without conversions.
    pub cpa: Option<f64>,
    pub value: f64,
    /// Attributed value per unit of cost; None without cost.
    pub roas: Option<f64>,
}

/// Every (model, channel) that has spend, in model order then channel order.
pub fn efficiency(results: &[Attribution], cost: &BTreeMap<String, f64>) -> Vec<Efficiency> {
    let mut rows = Vec::new();
    for a in results {
        for (channel, c) in cost {
            let i = a.channels.iter().position(|x| x == channel);
            let conversions = i.map_or(0.0, |i| a.conversions[i]);
            let value = i.map_or(0.0, |i| a.value[i]);
            rows.push(Efficiency {
                model: a.model.clone(),
                channel: channel.clone(),
                cost: *c,
                conversions,
                cpa: (conversions > 0.0).then(|| c / conversions),
                value,
                roas: (*c > 0.0).then(|| value / c),
            });
        }
    }
    rows
}

/// Channels with spend as people read them: cost, then ROAS under each model, then CPA
/// under each model (two columns a model, never one cell holding both).
fn view(results: &[Attribution], rows: &[Efficiency]) -> View {
    let mut headers = vec!["channel".to_string(), "cost".to_string()];
    headers.extend(results.iter().map(|a| format!("ROAS {}", a.model)));
    headers.extend(results.iter().map(|a| format!("CPA {}", a.model)));
    let align = Align::label_then_numbers(headers.len());
    let mut channels: Vec<&String> = rows.iter().map(|r| &r.channel).collect();
    channels.sort();
    channels.dedup();
    let two = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.2}"));
    let cells = channels
        .into_iter()
        .map(|ch| {
            let of: Vec<&Efficiency> = rows.iter().filter(|r| &r.channel == ch).collect();
            let mut cells = vec![ch.clone(), format!("{:.2}", of[0].cost)];
            cells.extend(of.iter().map(|r| two(r.roas)));
            cells.extend(of.iter().map(|r| two(r.cpa)));
            cells
        })
        .collect();
    View {
        headers,
        align,
        rows: cells,
        after: "ROAS = attributed value / cost; CPA = cost / attributed conversions; - where there is nothing to divide by.\n".into(),
        ..View::default()
    }
}

/// The JSON document of spend efficiency (keys in alphabetical order).
#[derive(Serialize)]
struct EfficiencyDoc<'a> {
    rows: FrameRows<'a>,
    version: u32,
}

/// The typed frame: one row per model and channel with spend; CPA and ROAS null where
/// undefined.
fn frame(rows: &[Efficiency]) -> PolarsResult<DataFrame> {
    let text = |name: &str, f: fn(&Efficiency) -> &str| text_column(name, rows, f);
    let number = |name: &str, f: fn(&Efficiency) -> Option<f64>| number_column(name, rows, f);
    DataFrame::new(
        rows.len(),
        vec![
            text("model", |r| &r.model),
            text("channel", |r| &r.channel),
            number("cost", |r| Some(r.cost)),
            number("conversions", |r| Some(r.conversions)),
            number("cpa", |r| r.cpa),
            number("value", |r| Some(r.value)),
            number("roas", |r| r.roas),
        ],
    )
}

/// Spend efficiency as a report: one row per model and channel in the data formats, one row
/// per channel (a column per model) for people.
pub fn report(results: &[Attribution], rows: &[Efficiency]) -> crate::Result<Report> {
    let frame = frame(rows).map_err(|e| crate::Error::write("(spend)", e))?;
    let json = render::json_text(&EfficiencyDoc {
        rows: FrameRows(&frame),
        version: super::credits::JSON_VERSION,
    });
    let terminal = view(results, rows);
    Ok(Report {
        frame,
        json,
        markdown: terminal.clone(),
        terminal,
    })
}

/// Spend efficiency per period (`--period` with spend): one row per period, model and channel
/// with spend in that period, for the data formats.
pub fn by_period_report(periods: &[(String, Vec<Efficiency>)]) -> crate::Result<Report> {
    let fail = |e: PolarsError| crate::Error::write("(spend by period)", e);
    let rows: Vec<&Efficiency> = periods.iter().flat_map(|(_, r)| r).collect();
    let owned: Vec<Efficiency> = rows.into_iter().cloned().collect();
    let mut frame = frame(&owned).map_err(fail)?;
    let keys: Vec<&str> = periods
        .iter()
        .flat_map(|(k, r)| std::iter::repeat_n(k.as_str(), r.len()))
        .collect();
    frame
        .insert_column(0, Column::new("period".into(), keys))
        .map_err(fail)?;
    let json = render::json_text(&EfficiencyDoc {
        rows: FrameRows(&frame),
        version: super::credits::JSON_VERSION,
    });
    Ok(Report {
        frame,
        json,
        markdown: View::default(),
        terminal: View::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpa_and_roas_by_hand() {
        let a = Attribution {
            model: "m".into(),
            channels: vec!["Email".into(), "Search".into()],
            conversions: vec![4.0, 0.0],
            value: vec![200.0, 0.0],
            diagnostics: serde_json::Value::Null,
            notes: Vec::new(),
        };
        let cost: BTreeMap<String, f64> = [
            ("Email".to_string(), 50.0),
            ("Search".to_string(), 20.0),
            ("TV".to_string(), 0.0),
        ]
        .into_iter()
        .collect();
        let rows = efficiency(&[a], &cost);
        assert_eq!(rows[0].cpa, Some(12.5));
        assert_eq!(rows[0].roas, Some(4.0));
        assert_eq!((rows[1].cpa, rows[1].roas), (None, Some(0.0)));
        assert_eq!((rows[2].cpa, rows[2].roas), (None, None));
    }
}
