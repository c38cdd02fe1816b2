//! Attribution models: hand-worked examples against each published definition, edge cases,
//! and invariants (credits sum to totals, relabelling, splitting, thread count).

use omnitouch::attribution::{self, Attribution, Catalogue, ModelInput, ModelSpec};
use omnitouch::journey::path_table::NamedRow;
use omnitouch::journey::{Conversion, Journey, JourneyStats, Journeys, PathTable, Touch};
use proptest::prelude::*;

/// A table from (path, conversions, value, nulls), path as "A > B".
fn table(rows: &[(&str, u64, f64, u64)]) -> PathTable {
    PathTable::from_named(rows.iter().map(|(p, c, v, n)| {
        (
            p.split('>').map(|x| x.trim().to_string()).collect(),
            String::new(),
            String::new(),
            *c,
            *v,
            *n,
        )
    }))
}

fn spec(name: &str) -> ModelSpec {
    Catalogue::load(&[])
        .expect("catalogue")
        .resolve(name)
        .expect("model")
}

fn run(name: &str, t: &PathTable) -> Attribution {
    let input = ModelInput {
        table: t,
        journeys: None,
    };
    attribution::run(&[spec(name)], &input)
        .expect("runs")
        .remove(0)
}

/// (channel, conversions, value) of a result.
fn credits(a: &Attribution) -> Vec<(String, f64, f64)> {
    a.channels
        .iter()
        .zip(a.conversions.iter().zip(&a.value))
        .map(|(c, (x, v))| (c.clone(), *x, *v))
        .collect()
}

fn assert_credits(a: &Attribution, want: &[(&str, f64, f64)]) {
    let got = credits(a);
    assert_eq!(got.len(), want.len(), "{}: {got:?}", a.model);
    for ((c, x, v), (wc, wx, wv)) in got.iter().zip(want) {
        assert_eq!(c, wc, "{}", a.model);
        assert!(
            (x - wx).abs() < 1e-12 && (v - wv).abs() < 1e-9,
            "{} {c}: got ({x}, {v}), want ({wx}, {wv})",
            a.model
        );
    }
}

fn t1() -> PathTable {
    table(&[
        ("A > B > C", 2, 30.0, 1),
        ("A", 1, 10.0, 3),
        ("B > B", 1, 5.0, 0),
        ("C > A", 0, 0.0, 2),
    ])
}

#[test]
fn heuristics_by_hand() {
    let t = t1();
    assert_credits(
        &run("first_touch", &t),
        &[("A", 3.0, 40.0), ("B", 1.0, 5.0), ("C", 0.0, 0.0)],
    );
    assert_credits(
        &run("last_touch", &t),
        &[("A", 1.0, 10.0), ("B", 1.0, 5.0), ("C", 2.0, 30.0)],
    );
    assert_credits(
        &run("linear", &t),
        &[
            ("A", 5.0 / 3.0, 20.0),
            ("B", 5.0 / 3.0, 15.0),
            ("C", 2.0 / 3.0, 10.0),
        ],
    );
    // U-shaped 40/20/40: A > B > C gives 0.8 / 0.4 / 0.8 of its 2 conversions.
    assert_credits(
        &run("position_based", &t),
        &[("A", 1.8, 22.0), ("B", 1.4, 11.0), ("C", 0.8, 12.0)],
    );
    assert_eq!(
        credits(&run("u_shaped", &t)),
        credits(&run("position_based", &t))
    );
    // J-shaped 20/60 on a two-touch path splits 25/75.
    assert_credits(
        &run("j_shaped", &table(&[("A > B", 4, 8.0, 0)])),
        &[("A", 1.0, 2.0), ("B", 3.0, 6.0)],
    );
}

#[test]
fn last_non_direct_by_hand() {
    let t = table(&[
        ("Email > Direct", 1, 10.0, 0),
        ("Direct > Direct", 1, 20.0, 0),
        ("Direct > Search > Direct", 2, 4.0, 0),
    ]);
    assert_credits(
        &run("last_non_direct", &t),
        &[
            ("Direct", 1.0, 20.0),
            ("Email", 1.0, 10.0),
            ("Search", 2.0, 4.0),
        ],
    );
}

/// A > B: 1 conversion (10) + 1 null; A: 2 nulls; B: 1 conversion (20).
fn t2() -> PathTable {
    table(&[("A > B", 1, 10.0, 1), ("A", 0, 0.0, 2), ("B", 1, 20.0, 0)])
}

#[test]
fn markov_order_1_by_hand() {
    // start→A 0.8, start→B 0.2; A→B 0.5, A→null 0.5; B→conv 2/3, B→null 1/3.
    // P = 0.8·0.5·2/3 + 0.2·2/3 = 0.4; without A: 0.2·2/3 → RE(A) = 2/3; without B: 0 → 1.
    let a = run("markov", &t2());
    assert_credits(&a, &[("A", 0.8, 12.0), ("B", 1.2, 18.0)]);
    let d = &a.diagnostics;
    assert!((d["conversion_probability"].as_f64().expect("p") - 0.4).abs() < 1e-15);
    assert!((d["removal_effects"]["A"].as_f64().expect("re") - 2.0 / 3.0).abs() < 1e-15);
    assert!((d["removal_effects"]["B"].as_f64().expect("re") - 1.0).abs() < 1e-15);
    // Mean conversion value leaving B is 15, so W = 0.4 × 15.
    assert!((d["expected_value"].as_f64().expect("w") - 6.0).abs() < 1e-12);
    let m = &d["transition_matrix"];
    assert!((m["(start)"]["A"].as_f64().expect("p") - 0.8).abs() < 1e-15);
    assert!((m["B"]["(conversion)"].as_f64().expect("p") - 2.0 / 3.0).abs() < 1e-15);
}

#[test]
fn markov_handles_cycles_exactly() {
    // A > B > A loops: the system is solved, not simulated, so results are exact and stable.
    let t = table(&[("A > B > A", 1, 1.0, 1), ("B", 0, 0.0, 1), ("A", 1, 1.0, 0)]);
    let a = run("markov", &t);
    let b = run("markov", &t);
    assert_eq!(a, b);
    assert!((a.total_conversions() - 2.0).abs() < 1e-12);
    // Higher orders: "A > B > A" is states AB, BA at order 2; one state at order 3.
    for order in ["markov:order=2", "markov:order=3"] {
        let r = run(order, &t);
        assert!((r.total_conversions() - 2.0).abs() < 1e-12, "{order}");
    }
}

#[test]
fn markov_order_2_states_by_hand() {
    // Order 2: "A > B > C" is AB → BC; "A > B" is AB; "C" is C (shorter than k).
    // start→AB 3/4 (weights 2 + 1), start→C 1/4; AB→BC 2/3, AB→null 1/3; BC→conv 1;
    // C→null 1. P = 3/4 · 2/3 = 1/2. Removing A or B kills AB → P = 0; removing C kills BC
    // (and C) → P = 0. All three REs are 1: each gets a third.
    let t = table(&[
        ("A > B > C", 2, 6.0, 0),
        ("A > B", 0, 0.0, 1),
        ("C", 0, 0.0, 1),
    ]);
    let a = run("markov:order=2", &t);
    assert_credits(
        &a,
        &[
            ("A", 2.0 / 3.0, 2.0),
            ("B", 2.0 / 3.0, 2.0),
            ("C", 2.0 / 3.0, 2.0),
        ],
    );
    assert!((a.diagnostics["conversion_probability"].as_f64().expect("p") - 0.5).abs() < 1e-15);
}

#[test]
fn shapley_by_hand() {
    // Simplified: {A, B} shares its 1 conversion; {B} keeps its own.
    assert_credits(&run("shapley", &t2()), &[("A", 0.5, 5.0), ("B", 1.5, 25.0)]);
    // Conversion-rate game: rate{A,B} = 1/2, rate{A} = 0, rate{B} = 1.
    // For N = {A, B}: φA = ½(0) + ½(½ − 1) = −¼, φB = ½(1) + ½(½) = ¾, scaled by 1/v(N) = 2.
    let cr = run("shapley_conversion_rate", &t2());
    assert_credits(&cr, &[("A", -0.5, -5.0), ("B", 2.5, 35.0)]);
    assert!(
        cr.notes.iter().any(|n| n.contains("negative")),
        "{:?}",
        cr.notes
    );
}

#[test]
fn shao_li_by_hand() {
    // p(A) = 1/4, p(B) = 2/3, p(A, B) = 1/2. Journey A > B: C_A = 1/4 + (1/2 − 1/4 − 2/3)/2
    // = 1/24, C_B = 2/3 − 5/24 = 11/24; journey B: C_B = 2/3. Raw A = 1/24, B = 27/24,
    // scaled to 2 conversions: 1/14 and 27/14. Values: A 10/24, B (110 + 320)/24 → of 30.
    assert_credits(
        &run("shao_li", &t2()),
        &[
            ("A", 1.0 / 14.0, 30.0 * 10.0 / 440.0),
            ("B", 27.0 / 14.0, 30.0 * 430.0 / 440.0),
        ],
    );
}

fn journeys(touch_days: &[(f64, &str)], channels: &[&str], value: f64) -> Journeys {
    const DAY: f64 = 86_400_000_000.0;
    let id = |c: &str| channels.iter().position(|x| *x == c).expect("channel") as u32;
    Journeys {
        channels: channels.iter().map(|c| c.to_string()).collect(),
        journeys: vec![Journey {
            person: 0,
            touches: touch_days
                .iter()
                .map(|(d, c)| Touch {
                    ts: (d * DAY) as i64,
                    channel: id(c),
                    count: 1,
                })
                .collect(),
            conversion: Some(Conversion {
                ts: (30.0 * DAY) as i64,
                value,
                conversion_type: "conversion".into(),
                id: "o1".into(),
            }),
            unattributed: false,
            cross_device: false,
            cross_source: false,
            online_to_offline: false,
            segment: String::new(),
        }],
        stats: JourneyStats::default(),
        conversions_in: 1,
        split_by_type: false,
        orphan_conversions: Vec::new(),
    }
}

#[test]
fn time_decay_by_hand_and_only_with_touch_times() {
    // A 14 days before the conversion, B 7 days before: weights 1/4 and 1/2 → 1/3 and 2/3.
    let j = journeys(&[(16.0, "A"), (23.0, "B")], &["A", "B"], 30.0);
    let t = j.path_table();
    let input = ModelInput {
        table: &t,
        journeys: Some(&j),
    };
    let a = attribution::run(&[spec("time_decay")], &input)
        .expect("runs")
        .remove(0);
    assert_credits(&a, &[("A", 1.0 / 3.0, 10.0), ("B", 2.0 / 3.0, 20.0)]);
    let h = attribution::run(&[spec("time_decay:half_life=14d")], &input)
        .expect("runs")
        .remove(0);
    // Weights 2^-1 and 2^-0.5.
    let (wa, wb) = (0.5f64, 0.5f64.sqrt());
    assert!((h.conversions[0] - wa / (wa + wb)).abs() < 1e-12);
    // Journeys a thousand half-lives old still split, without 0/0.
    let old = journeys(&[(0.0, "A"), (0.1, "B")], &["A", "B"], 1.0);
    let t_old = old.path_table();
    let r = attribution::run(
        &[spec("time_decay:half_life=1m")],
        &ModelInput {
            table: &t_old,
            journeys: Some(&old),
        },
    )
    .expect("runs")
    .remove(0);
    assert!(r.conversions.iter().all(|x| x.is_finite()));
    assert!((r.total_conversions() - 1.0).abs() < 1e-12);
    let err = attribution::run(
        &[spec("time_decay")],
        &ModelInput {
            table: &t,
            journeys: None,
        },
    )
    .expect_err("needs times")
    .to_string();
    assert!(err.contains("--paths"), "{err}");
}

const ALL: [&str; 13] = [
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "position_based",
    "inverse_j",
    "markov",
    "markov:order=2",
    "markov:order=3",
    "shapley",
    "shapley_conversion_rate",
    "shao_li",
    "data_driven",
];

#[test]
fn edge_cases_give_defined_answers_never_nan() {
    let cases = [
        ("empty table", table(&[])),
        (
            "no conversions",
            table(&[("A > B", 0, 0.0, 5), ("B", 0, 0.0, 1)]),
        ),
        ("single touch", table(&[("A", 3, 9.0, 1)])),
        ("all the same channel", table(&[("A > A > A", 2, 4.0, 1)])),
        ("conversions without value", table(&[("A > B", 2, 0.0, 1)])),
        (
            "a channel only in non-converting paths",
            table(&[("A", 2, 2.0, 0), ("Z > A", 0, 0.0, 3), ("Z", 0, 0.0, 1)]),
        ),
    ];
    for (what, t) in &cases {
        for m in ALL {
            let a = run(m, t);
            assert!(
                a.conversions.iter().chain(&a.value).all(|x| x.is_finite()),
                "{m} on {what}: {:?}",
                credits(&a)
            );
            assert!(
                (a.total_conversions() - t.conversions() as f64).abs() < 1e-9,
                "{m} on {what}: conversions"
            );
            assert!(
                (a.total_value() - t.value()).abs() < 1e-9,
                "{m} on {what}: value"
            );
        }
    }
    // A single channel gets everything. A channel seen only in non-converting paths gets
    // nothing from the position and set-based models; Markov may credit it (Z > A leads into
    // A's state, which converts on aggregate), as its definition says.
    for m in ALL {
        let single = run(m, &cases[2].1);
        assert_eq!(single.conversions, [3.0], "{m}");
        let z = run(m, &cases[5].1);
        assert_eq!(z.channels, ["A", "Z"]);
        if !m.starts_with("shao") && !m.starts_with("markov") {
            assert_eq!(z.conversions[1], 0.0, "{m}");
        }
    }
    let markov = run("markov", &cases[1].1);
    assert!(markov.notes.iter().any(|n| n.contains("no conversions")));
}

#[test]
fn the_conversion_rate_game_refuses_more_than_20_channels_per_journey() {
    let path: Vec<String> = (0..21).map(|i| format!("c{i:02}")).collect();
    let t = table(&[(path.join(" > ").as_str(), 1, 1.0, 0)]);
    let input = ModelInput {
        table: &t,
        journeys: None,
    };
    let err = attribution::run(&[spec("shapley_conversion_rate")], &input)
        .expect_err("too many")
        .to_string();
    assert!(err.contains("20") && err.contains("group"), "{err}");
    // The simplified Shapley value has no such limit.
    let ok = attribution::run(&[spec("shapley")], &input).expect("runs");
    assert!((ok[0].total_conversions() - 1.0).abs() < 1e-12);
}

#[test]
fn bad_parameters_are_clear_errors() {
    let c = Catalogue::load(&[]).expect("catalogue");
    for (m, part) in [
        ("position_based:first=0.7,last=0.5", "more than 1"),
        ("position_based:first=2", "share"),
        ("markov:order=0", "order"),
        ("time_decay:half_life=soon", "half_life"),
        ("shapley:value=revenue", "conversion_rate"),
    ] {
        let spec = c.resolve(m).expect("resolves");
        let err = match attribution::build(&spec) {
            Ok(_) => panic!("{m} should fail"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(part), "{m}: {err}");
    }
}

/// Random path tables: up to 6 channels, paths of 1–5 touches, whole-number values so that
/// splitting and summing is exact.
fn arb_table() -> impl Strategy<Value = PathTable> {
    let row = (
        prop::collection::vec(0u8..6, 1..6),
        0u64..6,
        0u64..50,
        0u64..6,
    );
    prop::collection::vec(row, 0..25).prop_map(|rows| {
        PathTable::from_named(rows.into_iter().map(|(p, c, v, n)| {
            (
                p.iter().map(|x| format!("ch{x}")).collect(),
                String::new(),
                String::new(),
                c,
                if c > 0 { v as f64 } else { 0.0 },
                n,
            )
        }))
    })
}

fn run_all(t: &PathTable) -> Vec<Attribution> {
    let specs: Vec<ModelSpec> = ALL.iter().map(|m| spec(m)).collect();
    attribution::run(
        &specs,
        &ModelInput {
            table: t,
            journeys: None,
        },
    )
    .expect("runs")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn credits_sum_to_the_totals(t in arb_table()) {
        let (conv, value) = (t.conversions() as f64, t.value());
        for a in run_all(&t) {
            prop_assert!((a.total_conversions() - conv).abs() <= 1e-9 * conv.max(1.0), "{}", a.model);
            prop_assert!((a.total_value() - value).abs() <= 1e-9 * value.max(1.0), "{}", a.model);
        }
    }

    #[test]
    fn relabelling_channels_relabels_credits(t in arb_table()) {
        // Reversing the names also reverses their sort order, so rows and ids all move.
        let renamed = PathTable::from_named(t.named_rows().map(|r| NamedRow {
            path: r.path.iter().map(|x| format!("z{}", 9 - x[2..].parse::<u32>().unwrap_or(0))).collect(),
            ..r
        }));
        for (a, b) in run_all(&t).iter().zip(run_all(&renamed)) {
            for (i, ch) in a.channels.iter().enumerate() {
                let other = format!("z{}", 9 - ch[2..].parse::<u32>().unwrap_or(0));
                let j = b.channels.iter().position(|c| *c == other).expect("renamed channel");
                prop_assert!((a.conversions[i] - b.conversions[j]).abs() < 1e-9, "{} {ch}", a.model);
                prop_assert!((a.value[i] - b.value[j]).abs() < 1e-7, "{} {ch}", a.model);
            }
        }
    }

    #[test]
    fn split_tables_sum_back_to_the_same_input_and_result(t in arb_table(), cut in any::<u64>()) {
        // Split every row's counts (and its whole-number value) into two shards.
        let mut left = Vec::new();
        let mut right = Vec::new();
        for (i, r) in t.named_rows().enumerate() {
            let NamedRow { path: p, conversion_type: ct, segment: s, conversions: c, value: v, nulls: n } = r;
            let k = cut.rotate_left(i as u32);
            let (c1, n1) = (k % (c + 1), (k >> 8) % (n + 1));
            let v1 = if c1 == c { v } else if c1 == 0 { 0.0 } else { (v * c1 as f64 / c as f64).floor() };
            left.push((p.clone(), ct.clone(), s.clone(), c1, v1, n1));
            right.push((p, ct, s, c - c1, v - v1, n - n1));
        }
        let merged = PathTable::from_named(left).merge(&PathTable::from_named(right));
        // Zero rows (no conversions, no nulls) may appear from the split; drop them.
        let merged = PathTable::from_named(merged.named_rows().filter(|r| r.conversions + r.nulls > 0 || r.value > 0.0));
        let original = PathTable::from_named(t.named_rows().filter(|r| r.conversions + r.nulls > 0 || r.value > 0.0));
        prop_assert_eq!(&merged, &original);
        prop_assert_eq!(run_all(&merged), run_all(&original));
    }

    #[test]
    fn results_do_not_depend_on_the_thread_count(t in arb_table()) {
        let pool = |n| rayon::ThreadPoolBuilder::new().num_threads(n).build().expect("pool");
        let one = pool(1).install(|| run_all(&t));
        let two = pool(2).install(|| run_all(&t));
        prop_assert_eq!(one, two);
    }
}
