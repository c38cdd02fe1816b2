//! Criterion benchmarks of every stage at two sizes: ingest, stitching and journeys on
//! generated export sets (2,000 and 20,000 people; also the interned load `run` uses, and a
//! run in four shards), each model on generated path tables
//! (100k and 1M journeys, 12 channels), plus the wide cases of the performance targets
//! (Markov order 1 on 50 channels, Shapley on 20 channels).
//!
//! The path-table reader on 1M journeys in the two shapes tables arrive in (one row per
//! journey, and aggregated by path), with its throughput in bytes.
//!
//! Run: `cargo bench --bench stages` (or `-- markov` to pick). The whole-process comparison
//! with the PyPI peers is `benches/peers/timing.sh`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use omnitouch::attribution::{self, Catalogue, ModelInput};
use omnitouch::config::Config;
use omnitouch::generate::paths::{generate_paths, write_ca_layout, write_journeys, PathOptions};
use omnitouch::generate::{generate, GenerateOptions};
use omnitouch::identity::{self, IdentityOptions};
use omnitouch::ingest::{self, Keep, LoadOptions};
use omnitouch::journey::{self, JourneyOptions, PathTable};
use omnitouch::shards;

const LOAD: LoadOptions = LoadOptions {
    keep_all_rejects: false,
    progress: false,
};

/// A generated export set of `people` people, kept for the benchmark's lifetime.
fn export_set(people: u64) -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().expect("temp dir");
    generate(&GenerateOptions {
        people,
        seed: 42,
        out: dir.path().to_path_buf(),
        start: chrono::NaiveDate::from_ymd_opt(2026, 7, 1).expect("date"),
        days: 90,
        bad_rows: 0.002,
        junk_rate: 0.005,
        shared_devices: 0.02,
        parquet: false,
        progress: false,
        scenario: Default::default(),
        effects: Default::default(),
    })
    .expect("generates");
    let config = Config::load(&dir.path().join("omnitouch.toml")).expect("config");
    (dir, config)
}

fn pipeline_stages(c: &mut Criterion) {
    let mut group = c.benchmark_group("pipeline");
    group.sample_size(10);
    for people in [2_000u64, 20_000] {
        let (_dir, config) = export_set(people);
        let t = ingest::load(&config, &LOAD).expect("loads");
        let options = IdentityOptions::from_config(&config, &t.id_kinds).expect("options");
        let people_of = identity::stitch(&t, &options).expect("stitches");
        let journey_options = JourneyOptions::from_config(&config).expect("options");
        let journeys = journey::build(&t, &people_of, &journey_options).expect("journeys");
        let rows = t.accounting.total().rows_read;
        group.bench_with_input(BenchmarkId::new("ingest", rows), &config, |b, config| {
            b.iter(|| ingest::load(black_box(config), &LOAD).expect("loads"))
        });
        group.bench_with_input(BenchmarkId::new("stitch", rows), &t, |b, t| {
            b.iter(|| identity::stitch(black_box(t), &options).expect("stitches"))
        });
        // What `run` loads: identifiers interned as read, no identifier columns.
        group.bench_with_input(
            BenchmarkId::new("ingest_interned", rows),
            &config,
            |b, config| {
                b.iter(|| {
                    ingest::load_part(black_box(config), &LOAD, Keep::Interned).expect("loads")
                })
            },
        );
        let interned = ingest::load_part(&config, &LOAD, Keep::Interned).expect("loads");
        group.bench_with_input(
            BenchmarkId::new("stitch_interned", rows),
            &interned,
            |b, t| b.iter(|| identity::stitch(black_box(t), &options).expect("stitches")),
        );
        // Larger than memory: the identifiers pass, then four shards of people.
        group.bench_with_input(
            BenchmarkId::new("load_to_path_table_in_4_shards", rows),
            &config,
            |b, config| {
                b.iter(|| {
                    shards::run(
                        black_box(config),
                        &LOAD,
                        |t| identity::stitch(t, &options),
                        &journey_options,
                        &[],
                        4,
                    )
                    .expect("runs in shards")
                })
            },
        );
        group.bench_with_input(BenchmarkId::new("journeys", rows), &t, |b, t| {
            b.iter(|| journey::build(black_box(t), &people_of, &journey_options).expect("builds"))
        });
        let table = journeys.path_table();
        group.bench_with_input(BenchmarkId::new("time_decay", rows), &table, |b, table| {
            let spec = Catalogue::load(&[])
                .and_then(|c| c.resolve("time_decay"))
                .expect("spec");
            let input = ModelInput {
                table,
                journeys: Some(&journeys),
            };
            b.iter(|| {
                attribution::run(std::slice::from_ref(&spec), black_box(&input)).expect("runs")
            })
        });
    }
    group.finish();
}

fn table(journeys: u64, channels: u32) -> PathTable {
    generate_paths(&PathOptions {
        journeys,
        channels,
        mean_length: 4.0,
        seed: 42,
    })
    .expect("path table")
}

fn bench_model(c: &mut Criterion, group: &str, model: &str, tables: &[(String, &PathTable)]) {
    let catalogue = Catalogue::load(&[]).expect("catalogue");
    let spec = catalogue.resolve(model).expect("spec");
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    for (label, table) in tables {
        let input = ModelInput {
            table,
            journeys: None,
        };
        g.bench_with_input(BenchmarkId::new(model, label), &input, |b, input| {
            b.iter(|| {
                attribution::run(std::slice::from_ref(&spec), black_box(input)).expect("runs")
            })
        });
    }
    g.finish();
}

fn models(c: &mut Criterion) {
    let small = table(100_000, 12);
    let large = table(1_000_000, 12);
    let tables = [
        ("100k journeys".to_string(), &small),
        ("1M journeys".to_string(), &large),
    ];
    for model in [
        "first_touch",
        "last_touch",
        "last_non_direct",
        "linear",
        "position_based",
        "markov",
        "markov:order=3",
        "shapley",
        "shapley:value=conversion_rate",
        "shao_li",
    ] {
        bench_model(c, "models", model, &tables);
    }
    let wide = table(1_000_000, 50);
    bench_model(
        c,
        "wide",
        "markov",
        &[("1M journeys, 50 channels".into(), &wide)],
    );
    let twenty = table(1_000_000, 20);
    bench_model(
        c,
        "wide",
        "shapley",
        &[("1M journeys, 20 channels".into(), &twenty)],
    );
}

/// Reading a path table (CSV, ChannelAttribution's layout) of 1M journeys, one row per
/// journey and aggregated by path.
fn path_table_reader(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = PathOptions {
        journeys: 1_000_000,
        channels: 12,
        mean_length: 4.0,
        seed: 42,
    };
    let per_journey = dir.path().join("per-journey.csv");
    write_journeys(&options, &per_journey).expect("per-journey table");
    let aggregated = dir.path().join("aggregated.csv");
    write_ca_layout(&table(1_000_000, 12), &aggregated).expect("aggregated table");
    let mut g = c.benchmark_group("path table reader");
    g.sample_size(10);
    for (label, file) in [
        ("one row per journey", &per_journey),
        ("aggregated", &aggregated),
    ] {
        let bytes = std::fs::metadata(file).expect("size").len();
        g.throughput(Throughput::Bytes(bytes));
        g.bench_with_input(BenchmarkId::new("read", label), file, |b, file| {
            b.iter(|| {
                journey::path_table::read(black_box(file), &Default::default()).expect("reads")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, pipeline_stages, models, path_table_reader);
criterion_main!(benches);
