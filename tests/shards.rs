//! Runs in shards (`--shards`, `--memory-limit`) give what a run in one piece gives.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{succeeded, Workdir};
use omnitouch::attribution::{self, Catalogue, ModelInput};
use omnitouch::config::Config;
use omnitouch::identity::{self, IdentityOptions};
use omnitouch::ingest::compact::{NO_CHANNEL, TOUCH};
use omnitouch::ingest::{self, InternedIds, Keep, LoadOptions};
use omnitouch::journey::time_to_conversion;
use omnitouch::journey::{self, JourneyOptions, TouchRows};
use omnitouch::shards;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn sample_config() -> Config {
    Config::load(&repo().join("sample-data/omnitouch.toml")).expect("sample config")
}

const LOAD: LoadOptions = LoadOptions {
    keep_all_rejects: false,
    progress: false,
};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn shards_sum_to_the_run_in_one_piece() {
    let config = sample_config();
    let whole = ingest::load(&config, &LOAD).expect("loads");
    let id_options = IdentityOptions::from_config(&config, &whole.id_kinds).expect("options");
    let people = identity::stitch(&whole, &id_options).expect("stitches");
    let options = JourneyOptions::from_config(&config).expect("journey options");
    let journeys = journey::build(&whole, &people, &options).expect("journeys");
    let table = journeys.path_table();
    let catalogue = Catalogue::load(&[repo().join("models")]).expect("catalogue");
    let timed = vec![catalogue.resolve("time_decay_7d").expect("spec")];
    let decay = attribution::run(
        &timed,
        &ModelInput {
            table: &table,
            journeys: Some(&journeys),
        },
    )
    .expect("time decay")
    .remove(0);

    for n in [1, 2, 3, 7] {
        let sharded = shards::run(
            &config,
            &LOAD,
            |t| {
                let options = IdentityOptions::from_config(&config, &t.id_kinds)?;
                identity::stitch_freeing_texts(t, &options)
            },
            &options,
            &timed,
            n,
        )
        .expect("runs in shards");
        assert_eq!(sharded.shards, n);
        assert_eq!(sharded.people, people.people, "{n} shards");
        assert_eq!(sharded.stitch.people, people.stats.people);
        assert_eq!(
            sharded.stitch.rows_without_person,
            people.stats.rows_without_person
        );
        let json =
            |a: &omnitouch::ingest::Accounting| serde_json::to_value(&a.sources).expect("json");
        assert_eq!(json(&sharded.accounting), json(&whole.accounting));
        assert_eq!(sharded.journey_stats, journeys.stats, "{n} shards");
        assert_eq!(sharded.conversions_in, journeys.conversions_in);
        assert_eq!(
            sharded.time_to_conversion,
            time_to_conversion(&journeys).0,
            "{n} shards"
        );
        // Same paths with the same counts; values up to the order of the sums.
        assert_eq!(sharded.table.channels, table.channels);
        assert_eq!(sharded.table.rows.len(), table.rows.len(), "{n} shards");
        for (a, b) in sharded.table.rows.iter().zip(&table.rows) {
            assert_eq!(
                (&a.path, &a.conversion_type, a.conversions, a.nulls),
                (&b.path, &b.conversion_type, b.conversions, b.nulls)
            );
            assert!(close(a.value, b.value), "{} vs {}", a.value, b.value);
        }
        let got = &sharded.timed[0];
        assert_eq!(got.model, decay.model);
        assert_eq!(got.channels, decay.channels);
        for i in 0..got.channels.len() {
            assert!(
                close(got.conversions[i], decay.conversions[i]),
                "{n} shards"
            );
            assert!(close(got.value[i], decay.value[i]), "{n} shards");
        }
    }
}

#[test]
fn the_identities_pass_keeps_what_journeys_read_and_the_identifiers() {
    let config = sample_config();
    let whole = ingest::load(&config, &LOAD).expect("loads");
    let n = whole.frame.height();
    // The compact rows are the frame's rows: time, channel, kind, value, conversion type and
    // source, row by row.
    let first = ingest::load_part(&config, &LOAD, Keep::Identities).expect("identities");
    assert_eq!(first.data_end, whole.data_end);
    assert_eq!(first.channels, whole.channels);
    let compact = first.compact.as_ref().expect("compact rows");
    assert_eq!(compact.len(), n);
    let rows = TouchRows::from_frame(&whole, None).expect("frame rows");
    let files = &compact.files;
    let ts: Vec<i64> = files.iter().flat_map(|f| f.ts.iter().copied()).collect();
    assert_eq!(ts, rows.ts);
    let channel: Vec<Option<u32>> = files
        .iter()
        .flat_map(|f| f.channel.iter())
        .map(|&c| (c != NO_CHANNEL).then_some(c))
        .collect();
    assert_eq!(channel, rows.channel);
    let kind: Vec<u32> = files.iter().flat_map(|f| f.kind.iter().copied()).collect();
    let is_conversion: Vec<bool> = kind.iter().map(|&k| k != TOUCH).collect();
    assert_eq!(is_conversion, rows.is_conversion);
    assert!(is_conversion.iter().any(|c| *c) && is_conversion.iter().any(|c| !*c));
    let types: Vec<Option<&str>> = kind
        .iter()
        .map(|&k| k.checked_sub(1).map(|t| compact.types[t as usize].as_str()))
        .collect();
    assert_eq!(types, rows.conversion_type);
    let values: Vec<f64> = rows
        .value
        .iter()
        .zip(&rows.is_conversion)
        .filter(|(_, c)| **c)
        .map(|(v, _)| *v)
        .collect();
    let compact_values: Vec<f64> = files
        .iter()
        .flat_map(|f| f.values.iter().copied())
        .collect();
    assert_eq!(compact_values, values);
    // Sources tell the same rows apart as the frame's source column does.
    let names: Vec<String> = whole
        .frame
        .column("source")
        .and_then(|c| c.str().cloned())
        .expect("source column")
        .iter()
        .map(|s| s.unwrap_or_default().to_string())
        .collect();
    let sources: Vec<u32> = files
        .iter()
        .flat_map(|f| std::iter::repeat_n(f.source, f.ts.len()))
        .collect();
    for r in 1..n {
        assert_eq!(
            names[r] == names[r - 1],
            sources[r] == sources[r - 1],
            "row {r}"
        );
    }

    // The identities pass: the same identifiers, interned, and no frame.
    let ids = ingest::load_part(&config, &LOAD, Keep::Identities).expect("loads identities");
    assert_eq!(ids.frame.height(), 0);
    assert!(ids.dimensions.is_empty());
    assert_eq!(ids.rows_per_file, whole.rows_per_file);
    let interned = ids.ids.as_ref().expect("interned identifiers");
    let columns = |df: &polars::prelude::DataFrame| -> Vec<polars::prelude::StringChunked> {
        whole
            .id_kinds
            .iter()
            .map(|k| {
                df.column(k)
                    .and_then(|c| c.str().cloned())
                    .expect("id column")
            })
            .collect()
    };
    let (frame, links) = (columns(&whole.frame), columns(&whole.links));
    let direct = InternedIds::from_columns(
        &frame.iter().collect::<Vec<_>>(),
        &links.iter().collect::<Vec<_>>(),
    );
    // The same cells, whether stored for every row or only where a source maps the kind.
    let dense = |c: &[omnitouch::ingest::Cells]| c.iter().map(|c| c.to_vec()).collect::<Vec<_>>();
    assert_eq!(dense(&interned.frame), dense(&direct.frame));
    assert_eq!(dense(&interned.links), dense(&direct.links));
    assert_eq!(interned.frame_rows(), n);
    assert_eq!(interned.values, direct.values);
    // A load in one piece with interned identifiers: the same frame without their columns.
    let one = ingest::load_part(&config, &LOAD, Keep::Interned).expect("loads interned");
    assert_eq!(one.ids.as_ref().map(|i| &i.frame), Some(&interned.frame));
    assert_eq!(one.ids.as_ref().map(|i| &i.links), Some(&interned.links));
    let without_ids = whole.frame.drop_many(whole.id_kinds.iter().cloned());
    assert!(one.frame.equals_missing(&without_ids));
    assert_eq!(one.links.height(), 0);

    // Stitching either gives the same people, devices, map and statistics.
    let options = IdentityOptions::from_config(&config, &whole.id_kinds).expect("options");
    let a = identity::stitch(&whole, &options).expect("stitches the full load");
    let b = identity::stitch(&ids, &options).expect("stitches the identities");
    assert_eq!(a.person_of_row, b.person_of_row);
    assert_eq!(a.device_of_row, b.device_of_row);
    assert_eq!(a.map.entries, b.map.entries);
    assert!(
        !a.stats.junk_values.is_empty(),
        "the sample has junk to judge"
    );
    assert_eq!(
        serde_json::to_value(&a.stats).expect("json"),
        serde_json::to_value(&b.stats).expect("json")
    );
    // Stitching that frees the identifier texts once sorted gives the same, map and all when
    // the map is kept (the texts stay for it), and the texts are gone when it is not.
    for keep_map in [true, false] {
        let mut freed = ingest::load_part(&config, &LOAD, Keep::Identities).expect("loads");
        let options = IdentityOptions {
            keep_map,
            ..options.clone()
        };
        let c = identity::stitch_freeing_texts(&mut freed, &options).expect("stitches");
        assert_eq!(c.person_of_row, a.person_of_row);
        assert_eq!(c.device_of_row, a.device_of_row);
        assert_eq!(
            serde_json::to_value(&c.stats).expect("json"),
            serde_json::to_value(&a.stats).expect("json")
        );
        if keep_map {
            assert_eq!(c.map.entries, a.map.entries);
        } else {
            assert!(c.map.entries.is_empty());
        }
        assert!(freed.ids.as_ref().is_some_and(|ids| ids.values.is_empty()));
    }
    // So does applying an identity map.
    let entries: Vec<(String, String, u32)> = a
        .map
        .entries
        .iter()
        .filter(|e| e.person % 2 == 0)
        .map(|e| {
            (
                a.map.kinds[e.kind as usize].clone(),
                e.value.clone(),
                e.person,
            )
        })
        .collect();
    let a = identity::apply_map(&whole, &entries, &options).expect("maps the full load");
    let b = identity::apply_map(&ids, &entries, &options).expect("maps the identities");
    assert_eq!(a.person_of_row, b.person_of_row);
    assert_eq!(a.device_of_row, b.device_of_row);
    assert!(a.person_of_row.contains(&omnitouch::identity::NONE));
    assert_eq!(
        serde_json::to_value(&a.stats).expect("json"),
        serde_json::to_value(&b.stats).expect("json")
    );
}

fn credits(dir: &Path) -> BTreeMap<(String, String), (f64, f64)> {
    let mut reader = csv::Reader::from_path(dir.join("credits.csv")).expect("credits.csv");
    let header = reader.headers().expect("header").clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no {name} column in {header:?}"))
    };
    let (m, c, conv, val) = (
        col("model"),
        col("channel"),
        col("conversions"),
        col("value"),
    );
    reader
        .records()
        .map(|r| {
            let r = r.expect("row");
            let num = |i: usize| r[i].parse::<f64>().expect("number");
            ((r[m].to_string(), r[c].to_string()), (num(conv), num(val)))
        })
        .collect()
}

fn run_args(config: &Path, out: &Path) -> Vec<String> {
    vec![
        "run".into(),
        "-q".into(),
        "--config".into(),
        config.display().to_string(),
        "--out".into(),
        out.display().to_string(),
    ]
}

#[test]
fn run_in_shards_writes_the_same_report() {
    let work = Workdir::new();
    let config: PathBuf = repo().join("sample-data/omnitouch.toml");
    let (one, split) = (work.join("one"), work.join("split"));
    succeeded(work.cmd().args(run_args(&config, &one)));
    let out = succeeded(
        work.cmd()
            .args(run_args(&config, &split))
            .args(["--shards", "4"]),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("people;"), "{stdout}");
    let (a, b) = (credits(&one), credits(&split));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (key, (c, v)) in &a {
        let (c2, v2) = b[key];
        // credits.csv rounds; a different order of sums may move the last digit.
        assert!((c - c2).abs() < 1e-3 && (v - v2).abs() < 1e-1, "{key:?}");
    }
    for name in ["data-quality.json", "identity.json", "journeys.json"] {
        let read = |dir: &Path| std::fs::read_to_string(dir.join(name)).expect(name);
        let (x, y) = (read(&one), read(&split));
        if name == "journeys.json" {
            let parse = |t: &str| serde_json::from_str::<serde_json::Value>(t).expect("json");
            let (x, y) = (parse(&x), parse(&y));
            assert_eq!(x["stats"], y["stats"]);
            assert_eq!(x["path_table"]["rows"], y["path_table"]["rows"]);
        } else {
            assert_eq!(x, y, "{name}");
        }
    }
    assert!(split.join("report.html").exists());
}

#[test]
fn memory_limit_picks_shards_from_the_size_of_the_exports() {
    assert_eq!(shards::shards_for(1_000, 1_000_000), None);
    // Less memory, more shards; never fewer than 2 once shards are needed.
    let gb = 1_000_000_000;
    let counts: Vec<usize> = [5, 4, 2, 1]
        .iter()
        .map(|limit| shards::shards_for(gb, limit * gb / 2).expect("needs shards"))
        .collect();
    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
    assert!(counts[0] >= 2);
    assert_eq!(shards::shards_for(gb, 1), Some(shards::MAX_SHARDS));

    let work = Workdir::new();
    let config = repo().join("sample-data/omnitouch.toml");
    let bytes = shards::export_bytes(&sample_config()).expect("sizes");
    let expected = shards::shards_for(bytes, 10_000_000).expect("the sample needs shards");
    assert!(expected > 1);
    // The stderr of a successful run on the sample with `--memory-limit limit`.
    let stderr_with = |limit: &str| {
        let out = work
            .cmd()
            .args(["run", "--config"])
            .arg(&config)
            .arg("--out")
            .arg(work.join(limit))
            .args(["--memory-limit", limit])
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(out.status.success(), "{stderr}");
        stderr
    };
    let stderr = stderr_with("10MB");
    assert!(
        stderr.contains(&format!("(in {expected} shards)")),
        "{stderr}"
    );
    // Data that fits runs in one piece.
    let stderr = stderr_with("10GB");
    assert!(!stderr.contains("shards)"), "{stderr}");
}

#[test]
fn shards_refuse_what_needs_every_journey_at_once() {
    let work = Workdir::new();
    let config = repo().join("sample-data/omnitouch.toml");
    for extra in [
        &["--shards", "2", "--by", "region"][..],
        &["--shards", "2", "--period", "week"],
        &["--shards", "2", "--bootstrap", "10"],
    ] {
        let out = work
            .cmd()
            .args(run_args(&config, &work.join("r")))
            .args(extra)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1), "{extra:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("run in shards"), "{stderr}");
    }
    for bad in [
        &["--memory-limit", "lots"][..],
        &["--shards", "0"],
        &["--shards", "2", "--memory-limit", "1GB"],
    ] {
        let out = work
            .cmd()
            .args(run_args(&config, &work.join("r")))
            .args(bad)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
}

#[test]
fn more_shards_than_the_limit_are_an_error_not_a_wrong_split() {
    let config = sample_config();
    let options = JourneyOptions::from_config(&config).expect("journey options");
    let run_in = |n: usize| {
        shards::run(
            &config,
            &LOAD,
            |t| identity::stitch(t, &IdentityOptions::from_config(&config, &t.id_kinds)?),
            &options,
            &[],
            n,
        )
    };
    let err = run_in(shards::MAX_SHARDS + 1).expect_err("too many shards");
    assert!(err.to_string().contains("at most 4096"), "{err}");
    let ok = run_in(shards::MAX_SHARDS).expect("the limit itself runs");
    assert_eq!(ok.shards, shards::MAX_SHARDS);
}
