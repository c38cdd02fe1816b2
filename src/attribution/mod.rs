//! Stage 4, attribution: each conversion's count and value split over channels.
//!
//! Every model implements [`Model`]: it reads the path table (and, for time decay, the
//! touch-level journeys) and returns credits per channel in conversions and in value, with
//! model diagnostics. The credits of every model add up to the conversions and the value
//! they split (up to float rounding), except where a model's definition says otherwise and
//! its notes say why.

pub mod bootstrap;
pub mod calibration;
pub mod data_driven;
mod heuristic;
mod markov;
mod params;
pub mod per_conversion;
mod shao_li;
mod shapley;
pub mod spec;
mod time_decay;

use rayon::prelude::*;
use serde::Serialize;

pub use spec::{Catalogue, ModelSpec, BASE_MODELS};

use crate::error::{Error, Result};
use crate::journey::{Journeys, PathTable};

/// What a model reads.
#[derive(Debug, Clone, Copy)]
pub struct ModelInput<'a> {
    /// The path table (channels and counts).
    pub table: &'a PathTable,
    /// Touch-level journeys, when the run started from raw exports.
    pub journeys: Option<&'a Journeys>,
}

/// A model's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attribution {
    /// Model name as the user chose it.
    pub model: String,
    /// Channels, as in the path table.
    pub channels: Vec<String>,
    /// Conversions credited to each channel.
    pub conversions: Vec<f64>,
    /// Value credited to each channel.
    pub value: Vec<f64>,
    /// Model diagnostics (Markov: transition matrix and removal effects; Shapley: coalition
    /// values).
    pub diagnostics: serde_json::Value,
    /// Anything the user should know about this result.
    pub notes: Vec<String>,
}

impl Attribution {
    /// Total conversions credited.
    pub fn total_conversions(&self) -> f64 {
        self.conversions.iter().sum()
    }

    /// Total value credited.
    pub fn total_value(&self) -> f64 {
        self.value.iter().sum()
    }
}

/// An attribution model.
pub trait Model: Send + Sync {
    /// Splits the input's conversions and value over its channels.
    fn attribute(&self, input: &ModelInput) -> Result<Attribution>;
}

/// Builds the model a spec describes, checking its parameter values.
pub fn build(spec: &ModelSpec) -> Result<Box<dyn Model>> {
    let p = params::Params::new(spec)?;
    let model: Box<dyn Model> = match spec.base.as_str() {
        "first_touch" => Box::new(heuristic::Heuristic::first_touch()),
        "last_touch" => Box::new(heuristic::Heuristic::last_touch()),
        "last_non_direct" => Box::new(heuristic::Heuristic::last_non_direct(p.text("direct"))),
        "linear" => Box::new(heuristic::Heuristic::linear()),
        "position_based" => Box::new(heuristic::Heuristic::position_based(
            p.share("first")?,
            p.share("last")?,
        )?),
        "time_decay" => Box::new(time_decay::TimeDecay::new(p.duration_micros("half_life")?)),
        "markov" => Box::new(markov::Markov::new(p.integer("order", 1, 6)? as usize)),
        "shapley" => Box::new(shapley::Shapley::new(p.text("value"))?),
        "shao_li" => Box::new(shao_li::ShaoLi),
        "data_driven" => Box::new(data_driven::DataDriven {
            l2: p.non_negative("l2")?,
            seed: p.integer("seed", 0, i64::MAX)? as u64,
        }),
        other => {
            return Err(Error::Config {
                path: "--model".into(),
                message: format!("\"{other}\" is not a base model"),
            })
        }
    };
    Ok(Box::new(Named {
        name: spec.name.clone(),
        inner: model,
    }))
}

/// Gives a model's result the name the user chose.
struct Named {
    name: String,
    inner: Box<dyn Model>,
}

impl Model for Named {
    fn attribute(&self, input: &ModelInput) -> Result<Attribution> {
        let mut a = self.inner.attribute(input)?;
        a.model = self.name.clone();
        Ok(a)
    }
}

/// Runs several models in parallel; results come back in the order given.
pub fn run(specs: &[ModelSpec], input: &ModelInput) -> Result<Vec<Attribution>> {
    run_with_progress(specs, input, &|| {})
}

/// [`run`], calling `done` after each model (for a progress bar).
pub fn run_with_progress(
    specs: &[ModelSpec],
    input: &ModelInput,
    done: &(dyn Fn() + Sync),
) -> Result<Vec<Attribution>> {
    let models = specs.iter().map(build).collect::<Result<Vec<_>>>()?;
    models
        .par_iter()
        .map(|m| {
            let a = m.attribute(input);
            done();
            a
        })
        .collect()
}

/// An empty result over the table's channels, to be filled by a model.
fn blank(table: &PathTable) -> Attribution {
    let n = table.channels.len();
    Attribution {
        model: String::new(),
        channels: table.channels.clone(),
        conversions: vec![0.0; n],
        value: vec![0.0; n],
        diagnostics: serde_json::Value::Null,
        notes: Vec::new(),
    }
}
