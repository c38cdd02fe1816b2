//! The identity map (kind, value, person_id): written by `stitch -o`, read by
//! `--identity-map` so later stages can use people resolved elsewhere (a warehouse job).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use polars::prelude::*;

use super::{person_stats, IdentityOptions, StitchStats, Stitched};
use crate::error::{Error, Result};
use crate::ingest::{InternedIds, Touchpoints, NO_VALUE};
use crate::io::read::{self as raw, Value};
use crate::io::{CsvOptions, Format};

/// One identifier and its person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapEntry {
    /// Index into [`IdentityMap::kinds`].
    pub kind: u16,
    /// Identifier value.
    pub value: String,
    /// Person id.
    pub person: u32,
}

/// Every identifier with its person.
#[derive(Debug, Clone, Default)]
pub struct IdentityMap {
    /// Identity kinds, indexed by [`MapEntry::kind`].
    pub kinds: Vec<String>,
    /// Entries, sorted by person, then kind priority, then value.
    pub entries: Vec<MapEntry>,
}

impl IdentityMap {
    /// Sorts entries by person, kind rank, value.
    pub fn sort(&mut self, rank: &[u8]) {
        self.entries.sort_by(|a, b| {
            (a.person, rank[a.kind as usize], &a.value).cmp(&(
                b.person,
                rank[b.kind as usize],
                &b.value,
            ))
        });
    }
}

const COLUMNS: [&str; 3] = ["kind", "value", "person_id"];

/// Writes the map as Parquet (`.parquet`) or CSV (anything else).
pub fn write_map(map: &IdentityMap, path: &Path) -> Result<()> {
    if Format::from_path(path) == Some(Format::Parquet) {
        let kind: Vec<&str> = map
            .entries
            .iter()
            .map(|e| map.kinds[e.kind as usize].as_str())
            .collect();
        let value: Vec<&str> = map.entries.iter().map(|e| e.value.as_str()).collect();
        let person: Vec<u32> = map.entries.iter().map(|e| e.person).collect();
        let mut df = DataFrame::new(
            map.entries.len(),
            vec![
                Column::new(COLUMNS[0].into(), kind),
                Column::new(COLUMNS[1].into(), value),
                Column::new(COLUMNS[2].into(), person),
            ],
        )
        .map_err(|e| Error::write(path, e))?;
        crate::output::write_parquet(path, &mut df)
    } else {
        crate::output::write_atomic(path, |w| {
            let mut csv = csv::Writer::from_writer(w);
            csv.write_record(COLUMNS)?;
            for e in &map.entries {
                csv.write_record([
                    map.kinds[e.kind as usize].as_str(),
                    &e.value,
                    &e.person.to_string(),
                ])?;
            }
            csv.flush()?;
            Ok(())
        })
    }
}

/// Reads a map written by [`write_map`] or by another tool with the same three columns.
pub fn read_map(path: &Path) -> Result<Vec<(String, String, u32)>> {
    let format = Format::from_path(path).unwrap_or(Format::Csv);
    let wanted: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    let mut out = Vec::new();
    raw::read_rows(
        path,
        format,
        &CsvOptions::default(),
        &wanted,
        "identity map",
        |line, cells| {
            let at = |column: &str, what: String| {
                Error::format(path, format!("line {line} column {column}: {what}"))
            };
            let kind = cells[0].text().ok_or_else(|| at("kind", "empty".into()))?;
            let value = cells[1].text().ok_or_else(|| at("value", "empty".into()))?;
            let person = match cells[2] {
                Value::Int(i) => u32::try_from(i).ok(),
                Value::Str(s) => s.trim().parse::<u32>().ok(),
                _ => None,
            }
            .ok_or_else(|| {
                at(
                    "person_id",
                    format!(
                        "\"{}\" is not a whole number from 0 to 4294967295",
                        cells[2].text().unwrap_or_default()
                    ),
                )
            })?;
            out.push((kind, value, person));
            Ok(())
        },
    )?;
    Ok(out)
}

/// People from a map built elsewhere: each row takes the person of its strongest identifier
/// found in the map; rows whose identifiers map to different people are counted as conflicts.
pub fn apply_map(
    t: &Touchpoints,
    entries: &[(String, String, u32)],
    options: &IdentityOptions,
) -> Result<Stitched> {
    let kinds = &t.id_kinds;
    // Dense person ids in the order of the map's ids.
    let persons: BTreeSet<u32> = entries.iter().map(|e| e.2).collect();
    let dense: HashMap<u32, u32> = persons
        .iter()
        .enumerate()
        .map(|(i, p)| (*p, i as u32))
        .collect();
    let mut lookup: Vec<HashMap<&str, u32>> = vec![HashMap::new(); kinds.len()];
    let mut map = IdentityMap {
        kinds: kinds.clone(),
        entries: Vec::new(),
    };
    let mut unknown_kinds: BTreeMap<String, u64> = BTreeMap::new();
    for (kind, value, person) in entries {
        if let Some(k) = kinds.iter().position(|x| x == kind) {
            lookup[k].insert(value.as_str(), dense[person]);
            map.entries.push(MapEntry {
                kind: k as u16,
                value: value.clone(),
                person: dense[person],
            });
        } else {
            *unknown_kinds.entry(kind.clone()).or_default() += 1;
        }
    }
    map.sort(&options.rank);
    let owned;
    let ids: &InternedIds = match &t.ids {
        Some(ids) => ids,
        None => {
            let frame = super::id_columns(&t.frame, kinds)?;
            let links = super::id_columns(&t.links, kinds)?;
            owned = InternedIds::from_columns(&frame, &links);
            &owned
        }
    };
    let cells = &ids.frame;
    // Each distinct value is looked up once.
    let person_of_value: Vec<Vec<Option<u32>>> = (0..kinds.len())
        .map(|k| {
            ids.values[k]
                .iter()
                .map(|v| lookup[k].get(v).copied())
                .collect()
        })
        .collect();
    let mut order: Vec<usize> = (0..kinds.len()).collect();
    order.sort_by_key(|&k| (options.rank[k], k));
    let n_rows = cells.first().map_or(0, crate::ingest::Cells::len);
    let mut devices: HashMap<(usize, u32), u32> = HashMap::new();
    let mut conflicts = 0u64;
    let mut person_of_row = Vec::with_capacity(n_rows);
    let mut device_of_row = Vec::with_capacity(n_rows);
    let (cells, order) = (cells, &order);
    let row_ids = |r: usize| {
        order
            .iter()
            .map(move |&k| (k, cells[k].get(r)))
            .filter(|(_, v)| *v != NO_VALUE)
    };
    for r in 0..n_rows {
        let found: Vec<u32> = row_ids(r)
            .filter_map(|(k, v)| person_of_value[k][v as usize])
            .collect();
        if found.iter().any(|p| Some(p) != found.first()) {
            conflicts += 1;
        }
        person_of_row.push(found.first().copied().unwrap_or(super::NONE));
        let device = row_ids(r).find(|(k, _)| options.is_device[*k]).map(|key| {
            let next = devices.len() as u32;
            *devices.entry(key).or_insert(next)
        });
        device_of_row.push(device.unwrap_or(super::NONE));
    }
    let people = persons.len() as u32;
    let persons: Vec<u32> = map.entries.iter().map(|e| e.person).collect();
    let entry_kinds: Vec<u16> = map.entries.iter().map(|e| e.kind).collect();
    let mut stats: StitchStats = person_stats(
        t,
        kinds,
        (&persons, &entry_kinds),
        &person_of_row,
        people,
        &options.is_device,
        options.large_component,
    );
    stats.map_conflicts = conflicts;
    stats.map_unknown_kinds = unknown_kinds;
    Ok(Stitched {
        person_of_row,
        device_of_row,
        people,
        map,
        stats,
    })
}
