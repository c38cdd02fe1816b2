//! Converting journeys handed back by a warehouse run: the `omnitouch_conversion_paths` table
//! that `omnitouch sql` builds (conversion_id, ts_us, conversion_type, value, person_id, path,
//! touch_times), read so that a run on the engine's path table gives each conversion its
//! credit, and runs the models that read touch times, as a run on the exports would.

use std::collections::HashMap;
use std::path::Path;

use super::transforms::Touch;
use super::{Conversion, Journey, JourneyStats, Journeys, DIRECT};
use crate::config::{CsvOptions, Format};
use crate::error::{Error, Result};
use crate::io::number::Decimal;
use crate::io::read::{self as raw, Value};

/// The columns read, in this order.
pub const COLUMNS: [&str; 7] = [
    "conversion_id",
    "ts_us",
    "conversion_type",
    "value",
    "person_id",
    "path",
    "touch_times",
];

/// One conversion as read, its channels by name.
struct Row {
    person: u32,
    conversion: Conversion,
    channels: Vec<String>,
    times: Vec<i64>,
    /// No touch fell in the conversion's window (an empty path, or Direct by option).
    unattributed: bool,
}

/// Reads the per-conversion paths of a warehouse run (Parquet, or CSV with a header);
/// `separator` splits paths (` > ` as the scripts write them). An error names the file, the
/// line and the column of a cell that cannot be read.
pub fn read(file: &Path, separator: &str) -> Result<Journeys> {
    let format = Format::from_path(file).unwrap_or(Format::Csv);
    let csv = CsvOptions::default();
    let wanted: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    let mut rows = Vec::new();
    raw::read_rows(
        file,
        format,
        &csv,
        &wanted,
        "conversion paths",
        |line, cells| {
            let at = |column: usize, message: String| {
                Error::format(
                    file,
                    format!("line {line}, column {}: {message}", COLUMNS[column]),
                )
            };
            let whole = |column: usize| -> Result<i64> {
                match &cells[column] {
                    Value::Int(i) => Ok(*i),
                    v => v
                        .text()
                        .and_then(|t| t.parse::<i64>().ok())
                        .ok_or_else(|| at(column, "not a whole number".into())),
                }
            };
            let ts = whole(1)?;
            let person =
                u32::try_from(whole(4)?).map_err(|_| at(4, "not a person number".into()))?;
            let value = cells[3].amount(Decimal::Point).map_err(|e| at(3, e))?;
            let channels: Vec<String> = cells[5]
                .text()
                .map(|p| p.split(separator).map(|c| c.trim().to_string()).collect())
                .unwrap_or_default();
            let times: Vec<i64> = match cells[6].text() {
                Some(t) => t
                    .split_whitespace()
                    .map(|x| {
                        x.parse::<i64>()
                            .map_err(|_| at(6, format!("\"{x}\" is not a time")))
                    })
                    .collect::<Result<_>>()?,
                None => Vec::new(),
            };
            // A Direct path without touch times is an unattributed conversion credited to Direct
            // (`unattributed_to_direct`): its touch is the conversion's own time.
            let unattributed_direct = times.is_empty() && channels == [DIRECT];
            if times.len() != channels.len() && !unattributed_direct {
                return Err(at(
                    6,
                    format!(
                        "{} times for a path of {} channels",
                        times.len(),
                        channels.len()
                    ),
                ));
            }
            rows.push(Row {
                person,
                conversion: Conversion {
                    ts,
                    value,
                    conversion_type: cells[2].text().unwrap_or_else(|| "conversion".into()),
                    id: cells[0].text().ok_or_else(|| at(0, "empty".into()))?,
                },
                times: if unattributed_direct { vec![ts] } else { times },
                unattributed: channels.is_empty() || unattributed_direct,
                channels,
            });
            Ok(())
        },
    )?;
    Ok(journeys(rows))
}

/// The rows as journeys: channels numbered in name order (as a load numbers them), journeys
/// by person, then in time order.
fn journeys(mut rows: Vec<Row>) -> Journeys {
    let mut channels: Vec<String> = rows.iter().flat_map(|r| r.channels.clone()).collect();
    channels.sort();
    channels.dedup();
    let id: HashMap<&str, u32> = channels
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i as u32))
        .collect();
    rows.sort_by_key(|r| (r.person, r.conversion.ts));
    let mut stats = JourneyStats::default();
    let conversions_in = rows.len() as u64;
    let journeys: Vec<Journey> = rows
        .into_iter()
        .map(|r| {
            let touches: Vec<Touch> = r
                .channels
                .iter()
                .zip(&r.times)
                .map(|(c, &ts)| Touch {
                    ts,
                    channel: id[c.as_str()],
                    count: 1,
                })
                .collect();
            let journey = Journey {
                person: r.person,
                unattributed: r.unattributed,
                touches,
                conversion: Some(r.conversion),
                cross_device: false,
                cross_source: false,
                online_to_offline: false,
                segment: String::new(),
            };
            stats.count_conversion(&journey);
            journey
        })
        .collect();
    Journeys {
        channels,
        journeys,
        stats,
        conversions_in,
        split_by_type: false,
        orphan_conversions: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("conversions.csv");
        std::fs::write(&path, text).expect("write");
        (dir, path)
    }

    const HEADER: &str = "conversion_id,ts_us,conversion_type,value,person_id,path,touch_times\n";

    #[test]
    fn conversions_become_journeys_by_person_and_time() {
        let (_dir, path) = file(
            &format!(
                "{HEADER}o2,300,purchase,20,1,Email > Search,100 200\no1,50,purchase,10,1,,\no3,90,lead,0,0,Search,80\n"
            ),
        );
        let j = read(&path, ">").expect("read");
        assert_eq!(j.channels, ["Email", "Search"]);
        let order: Vec<(u32, &str)> = j
            .journeys
            .iter()
            .map(|x| {
                (
                    x.person,
                    x.conversion.as_ref().map_or("", |c| c.id.as_str()),
                )
            })
            .collect();
        assert_eq!(order, [(0, "o3"), (1, "o1"), (1, "o2")]);
        let o2 = &j.journeys[2];
        assert_eq!(
            o2.touches
                .iter()
                .map(|t| (t.ts, t.channel))
                .collect::<Vec<_>>(),
            [(100, 0), (200, 1)]
        );
        assert!(j.journeys[1].unattributed && j.journeys[1].touches.is_empty());
        assert_eq!(
            (j.stats.converting, j.stats.unattributed, j.conversions_in),
            (2, 1, 3)
        );
    }

    #[test]
    fn a_path_and_its_times_must_agree() {
        let (_dir, path) = file(&format!(
            "{HEADER}o1,300,purchase,20,1,Email > Search,100\n"
        ));
        let err = read(&path, ">")
            .expect_err("one time for two channels")
            .to_string();
        assert!(
            err.contains("line 2") && err.contains("touch_times"),
            "{err}"
        );
    }
}
