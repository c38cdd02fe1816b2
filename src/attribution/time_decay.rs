//! Time decay: a touch Δt before its conversion weighs 2^(−Δt / half-life); weights are
//! normalised within each journey. Needs touch times, so it reads the journeys.

use std::collections::HashMap;

use super::{blank, Attribution, Model, ModelInput};
use crate::error::{Error, Result};

/// The time-decay model.
#[derive(Debug, Clone)]
pub struct TimeDecay {
    half_life_micros: i64,
}

impl TimeDecay {
    pub fn new(half_life_micros: i64) -> TimeDecay {
        TimeDecay { half_life_micros }
    }
}

impl Model for TimeDecay {
    fn attribute(&self, input: &ModelInput) -> Result<Attribution> {
        let journeys = input.journeys.ok_or_else(|| Error::Config {
            path: "--model".into(),
            message: "time_decay needs the time of every touch, which a path table does not have: run it on raw exports (--config), not --paths".into(),
        })?;
        let table = input.table;
        let mut a = blank(table);
        let index: HashMap<&str, usize> = table
            .channels
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let slot: Vec<Option<usize>> = journeys
            .channels
            .iter()
            .map(|c| index.get(c.as_str()).copied())
            .collect();
        let half_life = self.half_life_micros as f64;
        let mut weights = Vec::new();
        for j in &journeys.journeys {
            let Some(conversion) = &j.conversion else {
                continue;
            };
            if j.touches.is_empty() {
                continue;
            }
            // Measured from the latest touch: the same weights after normalising, but the
            // latest weighs 1, so old journeys cannot underflow to 0/0.
            let latest = j
                .touches
                .iter()
                .map(|t| t.ts)
                .max()
                .unwrap_or(conversion.ts);
            weights.clear();
            weights.extend(j.touches.iter().map(|t| {
                let dt = (latest - t.ts).max(0) as f64;
                (-dt / half_life).exp2()
            }));
            let total: f64 = weights.iter().sum();
            for (t, w) in j.touches.iter().zip(&weights) {
                if let Some(i) = slot[t.channel as usize] {
                    let share = w / total;
                    a.conversions[i] += share;
                    a.value[i] += share * conversion.value;
                }
            }
        }
        Ok(a)
    }
}
