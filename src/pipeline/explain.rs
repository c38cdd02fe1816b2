//! `omnitouch explain`: how each model splits one conversion (by its id) or one path, with
//! what the split rests on: the Markov removal effects and the transition probabilities
//! along the path, the Shapley coalition values of the path's channels.

use serde::Serialize;

use super::Attributed;
use crate::attribution::per_conversion;
use crate::journey::Journey;

/// What to explain.
#[derive(Debug, Clone)]
pub enum Target {
    /// The conversion with this id (`conversions.parquet`'s `conversion_id`).
    Conversion(String),
    /// A path of channel names, first touch first.
    Path(Vec<String>),
}

/// One conversion or path explained.
#[derive(Debug, Serialize)]
pub struct Explanation {
    /// The conversion, when one was asked for.
    pub conversion: Option<ConversionFacts>,
    /// The path, first touch first.
    pub path: Vec<String>,
    /// Each model's split of it.
    pub splits: Vec<Split>,
    /// Markov models: removal effects of the path's channels and the transitions along it.
    pub markov: Vec<MarkovPart>,
    /// Shapley models: the values of the coalitions of the path's channels.
    pub shapley: Vec<ShapleyPart>,
}

/// The conversion explained.
#[derive(Debug, Serialize)]
pub struct ConversionFacts {
    pub id: String,
    pub ts: i64,
    pub conversion_type: String,
    pub value: f64,
    pub person_id: u32,
}

/// One model's split.
#[derive(Debug, Serialize)]
pub struct Split {
    pub model: String,
    /// How the split was made: the model's own, or raked to its totals.
    pub method: &'static str,
    /// (channel, share of the conversion, share of its value).
    pub credits: Vec<(String, f64, f64)>,
}

/// A Markov model's view of the path.
#[derive(Debug, Serialize)]
pub struct MarkovPart {
    pub model: String,
    /// Removal effect of each channel of the path.
    pub removal_effects: Vec<(String, f64)>,
    /// (from state, to state, probability) along the path, to `(conversion)` and `(null)`
    /// at its end; empty when the chain is too large to keep its matrix.
    pub transitions: Vec<(String, String, f64)>,
}

/// A Shapley model's coalitions made of the path's channels only.
#[derive(Debug, Serialize)]
pub struct ShapleyPart {
    pub model: String,
    pub game: String,
    pub coalitions: Vec<serde_json::Value>,
}

/// Explains `target` under the models of `attributed` (run on raw exports, for a
/// conversion id; on either input, for a path).
pub fn explain(attributed: &Attributed, target: &Target) -> anyhow::Result<Explanation> {
    let journeys = attributed.built.map(|b| &b.journeys);
    let names = |j: &Journey, channels: &[String]| -> Vec<String> {
        j.touches
            .iter()
            .map(|t| channels[t.channel as usize].clone())
            .collect()
    };
    // The journey explained: the conversion asked for, or the first conversion with the
    // path asked for.
    let found = journeys.and_then(|js| {
        js.journeys.iter().position(|j| match target {
            Target::Conversion(id) => j.conversion.as_ref().is_some_and(|c| &c.id == id),
            Target::Path(path) => j.conversion.is_some() && &names(j, &js.channels) == path,
        })
    });
    let path = match (target, found, journeys) {
        (_, Some(i), Some(js)) => names(&js.journeys[i], &js.channels),
        (Target::Path(path), _, _) => path.clone(),
        (Target::Conversion(id), ..) => anyhow::bail!(
            "no conversion has the id \"{id}\" (ids are the sources' conversion_id column, else source:line; run --per-conversion lists them)"
        ),
    };
    let splits = match (found, journeys) {
        (Some(i), Some(js)) => {
            let credits = per_conversion::credits(&attributed.specs, &attributed.results, js)?;
            attributed
                .results
                .iter()
                .enumerate()
                .map(|(m, r)| Split {
                    model: r.model.clone(),
                    method: if per_conversion::splits_each_path(&attributed.specs[m]) {
                        "the model's own split of this journey"
                    } else {
                        "raked to the model's channel totals (the model splits no single conversion)"
                    },
                    credits: credits
                        .iter()
                        .filter(|c| c.journey == i && c.model == m)
                        .map(|c| (js.channels[c.channel as usize].clone(), c.conversions, c.value))
                        .collect(),
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let conversion = found.zip(journeys).and_then(|(i, js)| {
        let j = &js.journeys[i];
        j.conversion.as_ref().map(|c| ConversionFacts {
            id: c.id.clone(),
            ts: c.ts,
            conversion_type: c.conversion_type.clone(),
            value: c.value,
            person_id: j.person,
        })
    });
    let mut markov = Vec::new();
    let mut shapley = Vec::new();
    for r in &attributed.results {
        let d = &r.diagnostics;
        if let Some(effects) = d.get("removal_effects").and_then(|e| e.as_object()) {
            markov.push(MarkovPart {
                model: r.model.clone(),
                removal_effects: path_channels(&path)
                    .map(|c| {
                        (
                            c.clone(),
                            effects.get(c).and_then(|v| v.as_f64()).unwrap_or(0.0),
                        )
                    })
                    .collect(),
                transitions: transitions(d, &path),
            });
        }
        if let Some(coalitions) = d.get("coalitions").and_then(|c| c.as_array()) {
            shapley.push(ShapleyPart {
                model: r.model.clone(),
                game: d
                    .get("game")
                    .and_then(|g| g.as_str())
                    .unwrap_or("")
                    .to_string(),
                coalitions: coalitions
                    .iter()
                    .filter(|c| {
                        c.get("channels")
                            .and_then(|n| n.as_array())
                            .is_some_and(|n| {
                                n.iter().all(|x| {
                                    x.as_str().is_some_and(|x| path.iter().any(|p| p == x))
                                })
                            })
                    })
                    .cloned()
                    .collect(),
            });
        }
    }
    Ok(Explanation {
        conversion,
        path,
        splits,
        markov,
        shapley,
    })
}

/// The distinct channels of a path, in order of first touch.
fn path_channels(path: &[String]) -> impl Iterator<Item = &String> {
    path.iter()
        .enumerate()
        .filter(|(i, c)| !path[..*i].contains(c))
        .map(|(_, c)| c)
}

/// The first-order transitions along `path` from a Markov model's matrix: `(start)` to the
/// first channel, each channel to the next, the last to `(conversion)` and `(null)`. Higher
/// orders name states by several channels; their transitions along the path are listed by
/// the states the matrix has that end in the path's channels in turn.
fn transitions(diagnostics: &serde_json::Value, path: &[String]) -> Vec<(String, String, f64)> {
    let Some(matrix) = diagnostics
        .get("transition_matrix")
        .and_then(|m| m.as_object())
    else {
        return Vec::new();
    };
    let p = |from: &str, to: &str| {
        matrix
            .get(from)
            .and_then(|row| row.get(to))
            .and_then(|v| v.as_f64())
    };
    let mut steps: Vec<(String, String)> = Vec::new();
    let mut from = "(start)".to_string();
    for c in path {
        steps.push((from.clone(), c.clone()));
        from = c.clone();
    }
    steps.push((from.clone(), "(conversion)".into()));
    steps.push((from, "(null)".into()));
    steps
        .into_iter()
        .filter_map(|(f, t)| p(&f, &t).map(|q| (f, t, q)))
        .collect()
}
