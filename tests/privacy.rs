//! Hashing identifiers at ingest: raw identifiers never reach an output, and credits do not
//! change.

mod common;

use common::Workdir;

/// Values of one column of a CSV file.
fn column(path: &std::path::Path, name: &str) -> Vec<String> {
    let mut r = csv::Reader::from_path(path).expect("csv");
    let i = r
        .headers()
        .expect("header")
        .iter()
        .position(|h| h == name)
        .expect("column");
    r.records()
        .map(|x| x.expect("row")[i].to_string())
        .collect()
}

/// Every text output of a run: the report folder's files, the rejects file, the map.
fn outputs(w: &Workdir, folder: &str, extra: &[&str]) -> Vec<(String, String)> {
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(w.join(folder))
        .expect("report folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_none_or(|x| x != "parquet"))
        .collect();
    files.extend(extra.iter().map(|f| w.join(f)));
    files
        .into_iter()
        .map(|p| {
            let text = String::from_utf8_lossy(&std::fs::read(&p).expect("read")).into_owned();
            (p.display().to_string(), text)
        })
        .collect()
}

#[test]
fn hashed_identifiers_never_appear_in_outputs_and_change_no_credit() {
    let w = Workdir::new();
    w.cmd()
        .args(["generate", "-q", "--out", "data", "--people", "300"])
        .args(["--seed", "5", "--bad-rows", "0.05", "--junk-rate", "0.05"])
        .assert()
        .success();
    let plain = std::fs::read_to_string(w.join("data/omnitouch.toml")).expect("config");
    let hashed = plain.replacen(
        "[settings]\n",
        "[settings]\nhash_identifiers = true\nidentifier_salt = \"pepper\"\n",
        1,
    );
    assert_ne!(plain, hashed, "the template has a [settings] table");
    w.write("data/hashed.toml", hashed);

    let run = |config: &str, tag: &str| {
        let out = common::succeeded(
            w.cmd()
                .args([
                    "run", "-c", config, "--model", "linear", "--model", "markov",
                ])
                .args(["--out", tag, "--rejects", &format!("{tag}-rejects.csv")]),
        );
        w.cmd()
            .args([
                "stitch",
                "-q",
                "-c",
                config,
                "--out",
                &format!("{tag}-map.csv"),
            ])
            .assert()
            .success();
        let mut texts = outputs(
            &w,
            tag,
            &[&format!("{tag}-rejects.csv"), &format!("{tag}-map.csv")],
        );
        texts.push(("stdout".into(), String::from_utf8_lossy(&out.stdout).into()));
        texts.push(("stderr".into(), String::from_utf8_lossy(&out.stderr).into()));
        texts
    };
    let plain_texts = run("data/omnitouch.toml", "plain");
    let hashed_texts = run("data/hashed.toml", "hashed");

    // Raw identifiers long enough not to occur by chance inside other text.
    let raw: Vec<String> = column(&w.join("plain-map.csv"), "value")
        .into_iter()
        .filter(|v| v.len() >= 8)
        .collect();
    assert!(raw.len() > 100, "{} identifiers", raw.len());
    let leaks = |texts: &[(String, String)]| -> Vec<String> {
        let mut found = Vec::new();
        for (name, text) in texts {
            if let Some(id) = raw.iter().find(|id| text.contains(id.as_str())) {
                found.push(format!("{name}: {id}"));
            }
        }
        found
    };
    // Control: without hashing, the map and the rejects file do hold raw identifiers.
    let plain_leaks = leaks(&plain_texts);
    assert!(
        plain_leaks.iter().any(|l| l.contains("plain-map.csv"))
            && plain_leaks.iter().any(|l| l.contains("plain-rejects.csv")),
        "{plain_leaks:?}"
    );
    assert_eq!(leaks(&hashed_texts), Vec::<String>::new());

    // The hashed map holds only hex digests and the junk marker.
    for v in column(&w.join("hashed-map.csv"), "value") {
        assert!(
            v == omnitouch::identity::HASHED_JUNK
                || (v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit())),
            "{v}"
        );
    }

    // Same people and the same credits: hashing is one-to-one on these identifiers.
    let credits = |tag: &str| -> Vec<(String, String, f64)> {
        let mut r = csv::Reader::from_path(w.join(&format!("{tag}/credits.csv"))).expect("csv");
        r.records()
            .map(|x| {
                let x = x.expect("row");
                (
                    x[0].to_string(),
                    x[1].to_string(),
                    x[2].parse().expect("number"),
                )
            })
            .collect()
    };
    let (a, b) = (credits("plain"), credits("hashed"));
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!((&x.0, &x.1), (&y.0, &y.1));
        assert!(
            (x.2 - y.2).abs() < 1e-9 * x.2.abs().max(1.0),
            "{x:?} vs {y:?}"
        );
    }
    let identity = |tag: &str| {
        let v: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(w.join(&format!("{tag}/identity.json"))).expect("json"),
        )
        .expect("parses");
        v["stitching"].clone()
    };
    assert_eq!(identity("plain"), identity("hashed"));
    assert!(identity("plain")["people"]
        .as_u64()
        .is_some_and(|n| n > 100));
}

/// Without `identifier_salt`, the salt comes from OMNITOUCH_IDENTIFIER_SALT; a different salt
/// gives different hashes.
#[test]
fn the_salt_can_come_from_the_environment() {
    let w = Workdir::new();
    w.cmd()
        .args([
            "generate", "-q", "--out", "data", "--people", "50", "--seed", "3",
        ])
        .assert()
        .success();
    let plain = std::fs::read_to_string(w.join("data/omnitouch.toml")).expect("config");
    let with_salt = |salt: &str| {
        plain.replacen(
            "[settings]\n",
            &format!("[settings]\nhash_identifiers = true\n{salt}"),
            1,
        )
    };
    w.write(
        "data/config-salt.toml",
        with_salt("identifier_salt = \"pepper\"\n"),
    );
    w.write("data/env-salt.toml", with_salt(""));
    let map = |config: &str, env_salt: &str, tag: &str| {
        let file = format!("{tag}.csv");
        w.cmd()
            .env("OMNITOUCH_IDENTIFIER_SALT", env_salt)
            .args(["stitch", "-q", "-c", config, "--out", &file])
            .assert()
            .success();
        std::fs::read_to_string(w.join(&file)).expect("map")
    };
    let from_config = map("data/config-salt.toml", "ignored", "a");
    assert_eq!(map("data/env-salt.toml", "pepper", "b"), from_config);
    assert_ne!(map("data/env-salt.toml", "salt", "c"), from_config);
}
