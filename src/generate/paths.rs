//! `omnitouch generate-paths`: a synthetic path table for model benchmarks and peer
//! comparisons, in ChannelAttribution's layout so that every tool reads the same file.
//!
//! Journeys have a geometric length (mean `mean_length`); channels follow a skewed popularity
//! with some repetition of the previous channel, as real journeys do; a journey converts with
//! probability 1 − Π(1 − effect) over its distinct channels, and a conversion's value is
//! log-normal. Journeys are drawn in parallel chunks, each with its own seeded RNG, so the table
//! depends only on the options, not on the thread count.

use std::collections::HashMap;
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::ingest::schema::DEFAULT_CONVERSION_TYPE;
use crate::journey::path_table::NamedRow;
use crate::journey::PathTable;

/// Options of a generated path table.
#[derive(Debug, Clone)]
pub struct PathOptions {
    /// Journeys drawn (converting and not).
    pub journeys: u64,
    /// Channels, at most 255.
    pub channels: u32,
    /// Mean path length (geometric distribution, at least 1).
    pub mean_length: f64,
    /// Random seed.
    pub seed: u64,
}

const CHUNK: u64 = 50_000;

/// Aggregated rows keyed by the channel-index sequence.
type Rows = HashMap<Vec<u8>, (u64, f64, u64)>;

/// One drawn journey: its channels (indices), and its value when it converted.
type Drawn = (Vec<u8>, Option<f64>);

/// Draws the journeys, in chunks of [`CHUNK`] in order; channel `i` is named `ch{i+1:02}`.
fn draw(o: &PathOptions) -> Result<(Vec<String>, Vec<Vec<Drawn>>)> {
    if o.channels == 0 || o.channels > 255 {
        return Err(Error::format(
            "generate-paths",
            "--channels must be 1 to 255",
        ));
    }
    if !(o.mean_length.is_finite() && o.mean_length >= 1.0) {
        return Err(Error::format(
            "generate-paths",
            "--mean-length must be at least 1",
        ));
    }
    let k = o.channels as usize;
    // Popularity ∝ (rank+1)^-¼; incremental effect between 1 % and 6 %, not tied to popularity.
    let popularity: Vec<f64> = (0..k).map(|i| 1.0 / (i as f64 + 1.0).powf(0.25)).collect();
    let total: f64 = popularity.iter().sum();
    let cumulative: Vec<f64> = popularity
        .iter()
        .scan(0.0, |acc, p| {
            *acc += p / total;
            Some(*acc)
        })
        .collect();
    let effect: Vec<f64> = (0..k)
        .map(|i| 0.01 + 0.05 * ((i * 7919 % k) as f64 / k as f64))
        .collect();
    let value = LogNormal::new(4.0, 0.6).map_err(|e| Error::format("generate-paths", e))?;
    let stop = 1.0 / o.mean_length;
    let chunks = o.journeys.div_ceil(CHUNK);
    let drawn: Vec<Vec<Drawn>> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let mut rng = ChaCha8Rng::seed_from_u64(o.seed ^ c.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let n = CHUNK.min(o.journeys - c * CHUNK);
            let mut journeys = Vec::with_capacity(n as usize);
            for _ in 0..n {
                let mut path = Vec::new();
                loop {
                    let ch = match path.last() {
                        Some(&prev) if rng.gen::<f64>() < 0.1 => prev,
                        _ => {
                            let u: f64 = rng.gen();
                            cumulative.iter().position(|&x| u <= x).unwrap_or(k - 1) as u8
                        }
                    };
                    path.push(ch);
                    if rng.gen::<f64>() < stop {
                        break;
                    }
                }
                let mut seen = [false; 256];
                let mut miss = 1.0;
                for &ch in &path {
                    if !seen[ch as usize] {
                        seen[ch as usize] = true;
                        miss *= 1.0 - effect[ch as usize];
                    }
                }
                let converts = rng.gen::<f64>() < 1.0 - miss;
                let worth = converts.then(|| value.sample(&mut rng));
                journeys.push((path, worth));
            }
            journeys
        })
        .collect();
    let names = (0..k).map(|i| format!("ch{:02}", i + 1)).collect();
    Ok((names, drawn))
}

/// Draws the journeys and aggregates them into a path table.
pub fn generate_paths(o: &PathOptions) -> Result<PathTable> {
    let (names, drawn) = draw(o)?;
    let partial: Vec<Rows> = drawn
        .into_par_iter()
        .map(|journeys| {
            let mut rows = Rows::new();
            for (path, worth) in journeys {
                let row = rows.entry(path).or_insert((0, 0.0, 0));
                match worth {
                    Some(v) => {
                        row.0 += 1;
                        row.1 += v;
                    }
                    None => row.2 += 1,
                }
            }
            rows
        })
        .collect();
    let mut all = Rows::new();
    // Chunks merge in order, so sums of values are the same for any thread count.
    for rows in partial {
        let mut sorted: Vec<_> = rows.into_iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        for (path, (c, v, n)) in sorted {
            let row = all.entry(path).or_insert((0, 0.0, 0));
            row.0 += c;
            row.1 += v;
            row.2 += n;
        }
    }
    let mut rows: Vec<_> = all.into_iter().collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(PathTable::from_named(rows.into_iter().map(
        |(path, (c, v, n))| NamedRow {
            path: path.iter().map(|&i| names[i as usize].clone()).collect(),
            conversion_type: DEFAULT_CONVERSION_TYPE.to_string(),
            segment: String::new(),
            conversions: c,
            value: v,
            nulls: n,
        },
    )))
}

/// Draws the journeys and writes one row per journey, in drawing order, in
/// ChannelAttribution's layout (as an export of journeys rather than of paths is shaped):
/// 1 conversion with its value, or 1 null. Returns (journeys, conversions).
pub fn write_journeys(o: &PathOptions, file: &Path) -> Result<(u64, u64)> {
    let (names, drawn) = draw(o)?;
    let mut converted = 0;
    crate::output::write_atomic(file, |w| {
        let mut out = csv::WriterBuilder::new().delimiter(b';').from_writer(w);
        out.write_record(HEADER)?;
        let mut path = String::new();
        for (channels, worth) in drawn.iter().flatten() {
            path.clear();
            for (i, &c) in channels.iter().enumerate() {
                if i > 0 {
                    path.push_str(" > ");
                }
                path.push_str(&names[c as usize]);
            }
            converted += u64::from(worth.is_some());
            match worth {
                Some(v) => out.write_record([path.as_str(), "1", &v.to_string(), "0"])?,
                None => out.write_record([path.as_str(), "0", "0", "1"])?,
            }
        }
        out.flush()?;
        Ok(())
    })?;
    Ok((o.journeys, converted))
}

/// ChannelAttribution's column names.
const HEADER: [&str; 4] = [
    "path",
    "total_conversions",
    "total_conversion_value",
    "total_null",
];

/// Writes a table in ChannelAttribution's layout: `path;total_conversions;
/// total_conversion_value;total_null`, channels joined by " > ".
pub fn write_ca_layout(table: &PathTable, path: &Path) -> Result<()> {
    crate::output::write_atomic(path, |w| {
        let mut out = csv::WriterBuilder::new().delimiter(b';').from_writer(w);
        out.write_record(HEADER)?;
        for r in &table.rows {
            out.write_record([
                table.path_text(&r.path),
                r.conversions.to_string(),
                r.value.to_string(),
                r.nulls.to_string(),
            ])?;
        }
        out.flush()?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_journey_reads_back_as_the_aggregated_table() {
        let o = PathOptions {
            journeys: CHUNK + 1234,
            channels: 6,
            mean_length: 3.0,
            seed: 5,
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("journeys.csv");
        let (journeys, conversions) = write_journeys(&o, &file).expect("writes");
        let lines = std::fs::read_to_string(&file)
            .expect("read")
            .lines()
            .count() as u64;
        assert_eq!(lines, journeys + 1, "a row per journey and the header");
        let read = crate::journey::path_table::read(&file, &Default::default()).expect("reads");
        let table = generate_paths(&o).expect("generates");
        assert_eq!(read.conversions(), conversions);
        assert_eq!(read.channels, table.channels);
        assert_eq!(read.rows.len(), table.rows.len());
        for (a, b) in read.rows.iter().zip(&table.rows) {
            assert_eq!(
                (&a.path, a.conversions, a.nulls),
                (&b.path, b.conversions, b.nulls)
            );
            // Summed in another order: equal but for the last bits.
            assert!((a.value - b.value).abs() <= 1e-9 * b.value.max(1.0));
        }
    }

    #[test]
    fn every_journey_is_counted_and_threads_change_nothing() {
        let o = PathOptions {
            journeys: 2 * CHUNK + 7,
            channels: 5,
            mean_length: 3.0,
            seed: 9,
        };
        let on = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool")
                .install(|| generate_paths(&o).expect("generates"))
        };
        let one = on(1);
        assert_eq!(one.conversions() + one.nulls(), o.journeys);
        assert_eq!(one.channels.len(), 5);
        assert!(one.conversions() > 0 && one.nulls() > 0);
        let mean = one
            .rows
            .iter()
            .map(|r| r.path.len() as f64 * (r.conversions + r.nulls) as f64)
            .sum::<f64>()
            / o.journeys as f64;
        assert!((mean - 3.0).abs() < 0.05, "mean length {mean}");
        assert_eq!(one, on(3));
        assert!(generate_paths(&PathOptions {
            channels: 0,
            ..o.clone()
        })
        .is_err());
    }
}
