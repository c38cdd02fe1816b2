//! Spend against attributed results: cost, CPA and ROAS per channel and model.

use std::collections::BTreeMap;

use comfy_table::{Cell, Table};
use serde::Serialize;

use super::table::{self, right};
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

/// Channels with spend: cost, then ROAS and CPA under each model.
pub fn efficiency_table(results: &[Attribution], rows: &[Efficiency]) -> Table {
    let mut header = vec!["channel".to_string(), "cost".to_string()];
    header.extend(results.iter().map(|a| format!("{} ROAS / CPA", a.model)));
    let refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut t = table::new(&refs);
    let channels: Vec<&String> = {
        let mut c: Vec<&String> = rows.iter().map(|r| &r.channel).collect();
        c.sort();
        c.dedup();
        c
    };
    for ch in channels {
        let of: Vec<&Efficiency> = rows.iter().filter(|r| &r.channel == ch).collect();
        let mut cells = vec![Cell::new(ch), right(format!("{:.2}", of[0].cost))];
        for r in &of {
            let roas = r.roas.map_or("-".to_string(), |x| format!("{x:.2}"));
            let cpa = r.cpa.map_or("-".to_string(), |x| format!("{x:.2}"));
            cells.push(right(format!("{roas} / {cpa}")));
        }
        t.add_row(cells);
    }
    t
}

/// The rows as CSV, full precision; empty cells where CPA or ROAS is undefined.
pub fn efficiency_csv(
    rows: &[Efficiency],
) -> std::result::Result<String, crate::output::WriteError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "model",
        "channel",
        "cost",
        "conversions",
        "cpa",
        "value",
        "roas",
    ])?;
    let opt = |x: Option<f64>| x.map_or(String::new(), |v| format!("{v}"));
    for r in rows {
        w.write_record([
            r.model.clone(),
            r.channel.clone(),
            format!("{}", r.cost),
            format!("{}", r.conversions),
            opt(r.cpa),
            format!("{}", r.value),
            opt(r.roas),
        ])?;
    }
    Ok(String::from_utf8(
        w.into_inner().map_err(|e| e.to_string())?,
    )?)
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
