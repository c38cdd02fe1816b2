//! Identity stitching: links, guards, determinism, identity maps, scores against truth.

mod common;

use common::Workdir;
use omnitouch::config::Config;
use omnitouch::identity::{self, IdentityOptions, Stitched};
use omnitouch::ingest::{self, LoadOptions, Touchpoints};

const CONFIG: &str = r#"
[identity]
large_component = 3

[[sources]]
name = "web"
path = "web.csv"
kind = "touch"
timestamp = "ts"
ids = { cookie_id = "cookie", user_id = "user", device_id = "device" }
channel = { value = "Direct" }
"#;

fn stitch_with(w: &Workdir, config: &str) -> (Touchpoints, Stitched) {
    let t = w.load(config).expect("loads");
    let c = Config::load(&w.join("omnitouch.toml")).expect("config");
    let options = IdentityOptions::from_config(&c, &t.id_kinds).expect("options");
    let s = identity::stitch(&t, &options).expect("stitches");
    (t, s)
}

fn rows(lines: &[&str]) -> String {
    let mut s = String::from("ts,cookie,user,device\n");
    for l in lines {
        s.push_str("2026-07-01T00:00:00Z,");
        s.push_str(l);
        s.push('\n');
    }
    s
}

/// (kind, value, person) triples of the map.
fn entries(s: &Stitched) -> Vec<(String, String, u32)> {
    s.map
        .entries
        .iter()
        .map(|e| {
            (
                s.map.kinds[e.kind as usize].clone(),
                e.value.clone(),
                e.person,
            )
        })
        .collect()
}

fn person_of(s: &Stitched, value: &str) -> u32 {
    s.map
        .entries
        .iter()
        .find(|e| e.value == value)
        .unwrap_or_else(|| panic!("{value} not in the map"))
        .person
}

#[test]
fn people_are_numbered_by_value_when_values_share_a_long_prefix() {
    let w = Workdir::new();
    // Every cookie starts with the shortest one's 15 bytes (which stitching skips when it
    // sorts values); one is a prefix of another. Input order is not value order.
    let cookies = [
        "GA1.2.10000000009",
        "GA1.2.100000000",
        "GA1.2.10000000001",
        "GA1.2.10000000001x",
        "GA1.2.1000000000",
    ];
    let lines: Vec<String> = cookies.iter().map(|c| format!("{c},,")).collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    w.write("web.csv", rows(&lines));
    let (_, s) = stitch_with(&w, CONFIG);
    let mut sorted = cookies;
    sorted.sort_unstable();
    let numbered: Vec<u32> = sorted.iter().map(|c| person_of(&s, c)).collect();
    assert_eq!(numbered, [0, 1, 2, 3, 4]);
}

#[test]
fn rows_link_identifiers_across_devices() {
    let w = Workdir::new();
    // Cookie c1 and c2 both log in as u1; device d1 too. c3 is alone.
    w.write(
        "web.csv",
        rows(&["c1,u1,", "c2,u1,", ",u1,d1", "c3,,", "c1,,"]),
    );
    let (_, s) = stitch_with(&w, CONFIG);
    assert_eq!(s.people, 2);
    assert_eq!(person_of(&s, "c1"), person_of(&s, "c2"));
    assert_eq!(person_of(&s, "c1"), person_of(&s, "d1"));
    assert_ne!(person_of(&s, "c1"), person_of(&s, "c3"));
    assert_eq!(s.person_of_row[4], s.person_of_row[0]);
    assert_eq!(s.stats.multi_device_people, 1);
    assert_eq!(s.stats.links, 3);
    // People are numbered by their strongest identifier: u1's person comes first.
    assert_eq!(person_of(&s, "u1"), 0);
}

#[test]
fn junk_values_never_link() {
    let w = Workdir::new();
    w.write(
        "web.csv",
        rows(&[
            "c1,undefined,",
            "c2,undefined,",
            "c3,0,",
            "c4,,00000000-0000-0000-0000-000000000000",
            "c5,NULL,",
        ]),
    );
    let (_, s) = stitch_with(&w, CONFIG);
    assert_eq!(s.people, 5, "five strangers, not one");
    assert_eq!(s.stats.junk_values.get("user_id"), Some(&4));
    assert_eq!(s.stats.junk_values.get("device_id"), Some(&1));
    // Configured junk values and patterns work the same way.
    w.write(
        "web.csv",
        rows(&["c1,guest_1,", "c2,guest_1,", "c3,nobody,", "c4,nobody,"]),
    );
    let config = CONFIG.replace(
        "large_component = 3",
        "large_component = 3\njunk_values = [\"nobody\"]\njunk_patterns = [\"^guest_\"]",
    );
    let (_, s) = stitch_with(&w, &config);
    assert_eq!(s.people, 4);
}

#[test]
fn a_shared_device_does_not_fuse_two_accounts() {
    let w = Workdir::new();
    // A family tablet d1 used by two accounts, each also on its own phone cookie.
    w.write("web.csv", rows(&["p1,uA,", "p2,uB,", ",uA,d1", ",uB,d1"]));
    let (_, s) = stitch_with(&w, CONFIG);
    assert_ne!(person_of(&s, "uA"), person_of(&s, "uB"));
    assert_eq!(s.stats.refused.get("user_id"), Some(&1));
    // Without guards the two accounts become one person.
    let t = w.load(CONFIG).expect("loads");
    let c = Config::load(&w.join("omnitouch.toml")).expect("config");
    let open = IdentityOptions::from_config(&c, &t.id_kinds)
        .expect("options")
        .without_guards();
    let fused = identity::stitch(&t, &open).expect("stitches");
    assert_eq!(fused.people, 1);
    assert_eq!(fused.stats.large_component_count, 1);
    assert_eq!(fused.stats.large_components[0].identifiers, 5);
}

#[test]
fn limits_and_priority_are_configurable() {
    let w = Workdir::new();
    w.write("web.csv", rows(&["c1,,d1", "c1,,d2", "c1,,d3"]));
    let config = CONFIG.replace("large_component = 3", "limits = { device_id = 2 }");
    let (_, s) = stitch_with(&w, &config);
    assert_eq!(s.stats.refused.get("device_id"), Some(&1));
    assert_eq!(s.people, 2);
    let bad = CONFIG.replace("large_component = 3", "priority = [\"user\"]");
    let t = w.load(CONFIG).expect("loads");
    let parsed = Config::parse(&bad, &w.join("omnitouch.toml")).expect("parses");
    let err = IdentityOptions::from_config(&parsed, &t.id_kinds).expect_err("unknown kind");
    assert!(err.to_string().contains("\"user\""), "{err}");
}

#[test]
fn person_ids_do_not_depend_on_row_order_or_threads() {
    let lines = [
        "c1,u1,", "c2,u2,", "c3,u1,d9", "c4,,d9", "c5,,", "c6,u3,", "c2,,d7",
    ];
    let w = Workdir::new();
    w.write("web.csv", rows(&lines));
    let (_, a) = stitch_with(&w, CONFIG);
    let mut reversed = lines;
    reversed.reverse();
    w.write("web.csv", rows(&reversed));
    let (_, b) = stitch_with(&w, CONFIG);
    assert_eq!(entries(&a), entries(&b));

    let t = w.load(CONFIG).expect("loads");
    let c = Config::load(&w.join("omnitouch.toml")).expect("config");
    let options = IdentityOptions::from_config(&c, &t.id_kinds).expect("options");
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool")
            .install(|| identity::stitch(&t, &options).expect("stitches"))
    };
    let (one, two) = (run(1), run(2));
    assert_eq!(entries(&one), entries(&two));
    assert_eq!(one.person_of_row, two.person_of_row);
}

#[test]
fn an_identity_map_round_trips_and_replaces_stitching() {
    let w = Workdir::new();
    w.write(
        "web.csv",
        rows(&["c1,u1,", "c2,u1,", "c3,,d3", "c4,u4,d3", "c5,,"]),
    );
    let (t, s) = stitch_with(&w, CONFIG);
    let c = Config::load(&w.join("omnitouch.toml")).expect("config");
    let options = IdentityOptions::from_config(&c, &t.id_kinds).expect("options");
    for name in ["map.csv", "map.parquet"] {
        let path = w.join(name);
        identity::write_map(&s.map, &path).expect("writes");
        let read = identity::read_map(&path).expect("reads");
        assert_eq!(read, entries(&s), "{name}");
        let applied = identity::apply_map(&t, &read, &options).expect("applies");
        assert_eq!(applied.person_of_row, s.person_of_row, "{name}");
        assert_eq!(applied.people, s.people);
    }
}

#[test]
fn a_map_from_elsewhere_counts_unmatched_rows_and_conflicts() {
    let w = Workdir::new();
    w.write("web.csv", rows(&["c1,u1,", "c2,,", "c3,u9,"]));
    let (t, _) = stitch_with(&w, CONFIG);
    let c = Config::load(&w.join("omnitouch.toml")).expect("config");
    let options = IdentityOptions::from_config(&c, &t.id_kinds).expect("options");
    w.write(
        "warehouse.csv",
        "kind,value,person_id\nuser_id,u1,500\ncookie_id,c1,500\ncookie_id,c3,7\nuser_id,u9,8\n",
    );
    let map = identity::read_map(&w.join("warehouse.csv")).expect("reads");
    let s = identity::apply_map(&t, &map, &options).expect("applies");
    // Dense ids in the order of the warehouse's ids: 7 → 0, 8 → 1, 500 → 2.
    assert_eq!(s.person_of_row, [2, omnitouch::identity::NONE, 1]);
    assert_eq!(s.stats.rows_without_person, 1);
    assert_eq!(s.stats.map_conflicts, 1);
}

#[test]
fn a_bad_map_names_line_and_column() {
    let w = Workdir::new();
    w.write(
        "map.csv",
        "kind,value,person_id\nuser_id,u1,1\nuser_id,u2,-3\n",
    );
    let err = identity::read_map(&w.join("map.csv")).expect_err("negative id");
    let msg = err.to_string();
    assert!(
        msg.contains("map.csv") && msg.contains("line 3") && msg.contains("person_id"),
        "{msg}"
    );
    w.write("map2.csv", "kind,value\nuser_id,u1\n");
    let msg = identity::read_map(&w.join("map2.csv"))
        .expect_err("no column")
        .to_string();
    assert!(msg.contains("person_id"), "{msg}");
}

fn generated(
    w: &Workdir,
    junk: &str,
    shared: &str,
) -> (Touchpoints, Config, Vec<(String, String, u32)>) {
    w.cmd()
        .args([
            "generate",
            "-q",
            "--people",
            "4000",
            "--seed",
            "11",
            "--junk-rate",
            junk,
            "--shared-devices",
            shared,
            "--out",
            "gen",
        ])
        .assert()
        .success();
    let config = Config::load(&w.join("gen/omnitouch.toml")).expect("config");
    let t = ingest::load(&config, &LoadOptions::default()).expect("loads");
    let truth = identity::read_truth(&w.join("gen/truth/identities.parquet")).expect("truth");
    (t, config, truth)
}

#[test]
fn clean_generated_data_stitches_without_a_single_false_merge() {
    let w = Workdir::new();
    let (t, config, truth) = generated(&w, "0", "0");
    let options = IdentityOptions::from_config(&config, &t.id_kinds).expect("options");
    let s = identity::stitch(&t, &options).expect("stitches");
    let score = identity::evaluate(&s.map, &truth);
    eprintln!("clean data: {score:?}");
    assert_eq!(score.precision, 1.0);
    assert_eq!(score.ambiguous, 0);
    assert!(s.stats.refused.is_empty(), "{:?}", s.stats.refused);
    assert!(score.recall > 0.5, "recall {}", score.recall);
}

#[test]
fn guards_keep_precision_high_with_junk_and_shared_devices() {
    let w = Workdir::new();
    let (t, config, truth) = generated(&w, "0.02", "0.1");
    let options = IdentityOptions::from_config(&config, &t.id_kinds).expect("options");
    let guarded = identity::evaluate(
        &identity::stitch(&t, &options).expect("stitches").map,
        &truth,
    );
    let open = identity::evaluate(
        &identity::stitch(&t, &options.clone().without_guards())
            .expect("stitches")
            .map,
        &truth,
    );
    eprintln!("with guards: {guarded:?}\nwithout guards: {open:?}");
    assert!(guarded.precision >= 0.999, "{guarded:?}");
    assert!(
        open.precision < 0.9,
        "junk should fuse people without guards: {open:?}"
    );
    assert!(guarded.ambiguous > 0, "shared tablets were planted");
}

#[test]
fn the_isolate_shared_guard_is_order_free() {
    // A tablet d1 seen with two accounts. Under the default guard it joins the account whose
    // link comes first, so the row order decides; under isolate_shared it joins neither.
    let lines = ["p1,uA,", "p2,uB,", ",uA,d1", ",uB,d1", "p3,,d1"];
    let mut reversed = lines;
    reversed.reverse();
    let w = Workdir::new();
    let run = |config: &str, lines: &[&str]| {
        w.write("web.csv", rows(lines));
        stitch_with(&w, config).1
    };
    let limits = (run(CONFIG, &lines), run(CONFIG, &reversed));
    assert_ne!(
        person_of(&limits.0, "d1") == person_of(&limits.0, "uA"),
        person_of(&limits.1, "d1") == person_of(&limits.1, "uA"),
        "the default guard depends on the order (the reason for the other one)"
    );
    let config = CONFIG.replace(
        "large_component = 3",
        "large_component = 3\nguard = \"isolate_shared\"",
    );
    let (a, b) = (run(&config, &lines), run(&config, &reversed));
    assert_eq!(entries(&a), entries(&b));
    for s in [&a, &b] {
        let d1 = person_of(s, "d1");
        assert_ne!(d1, person_of(s, "uA"));
        assert_ne!(d1, person_of(s, "uB"));
        assert_ne!(person_of(s, "uA"), person_of(s, "uB"));
        // The tablet's own cookie stays with it: p3 was linked to d1 only.
        assert_ne!(
            person_of(s, "p3"),
            d1,
            "every link of a shared identifier is dropped"
        );
        assert_eq!(person_of(s, "p1"), person_of(s, "uA"));
        // Two user ids on d1 plus its cookie p3: three links dropped.
        assert_eq!(s.stats.refused.values().sum::<u64>(), 3);
    }
    let bad = CONFIG.replace("large_component = 3", "guard = \"strict\"");
    let t = w.load(CONFIG).expect("loads");
    let parsed = Config::parse(&bad, &w.join("omnitouch.toml")).expect("parses");
    let err = IdentityOptions::from_config(&parsed, &t.id_kinds).expect_err("unknown guard");
    assert!(err.to_string().contains("isolate_shared"), "{err}");
}
