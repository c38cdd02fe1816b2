//! Structural problems stop the run with a message naming the file and the key or column.

mod common;

use common::Workdir;

/// Loads `config` (with the files already written) and returns the error message.
fn error_of(w: &Workdir, config: &str) -> String {
    match w.load(config) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

fn assert_mentions(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "message {msg:?} does not mention {p:?}");
    }
}

const TOUCH_CSV: &str = "ts,id\n2026-07-01T00:00:00Z,a\n";

fn source(extra: &str) -> String {
    format!(
        r#"
[[sources]]
name = "web"
path = "t.csv"
kind = "touch"
timestamp = "ts"
ids = {{ cookie_id = "id" }}
channel = {{ value = "Direct" }}
{extra}
"#
    )
}

#[test]
fn unknown_key_names_the_key_and_line() {
    let w = Workdir::new();
    w.write("t.csv", TOUCH_CSV);
    let msg = error_of(&w, &source("timestamp_fmt = \"rfc3339\""));
    assert_mentions(&msg, &["omnitouch.toml", "timestamp_fmt", "line 9"]);
}

#[test]
fn wrong_type_names_the_key_and_line() {
    let w = Workdir::new();
    w.write("t.csv", TOUCH_CSV);
    let msg = error_of(&w, &source("dimensions = \"region\""));
    assert_mentions(&msg, &["dimensions", "line 9"]);
}

#[test]
fn semantic_errors_name_the_source_and_its_line() {
    let w = Workdir::new();
    w.write("t.csv", TOUCH_CSV);
    let cases: &[(&str, &[&str])] = &[
        (
            "timezone = \"Mars/Base\"",
            &["line 3", "\"web\"", "timezone", "Mars/Base"],
        ),
        (
            "timestamp_format = \"dd/mm/yyyy\"",
            &["timestamp_format", "dd/mm/yyyy"],
        ),
        ("csv = { delimiter = \";;\" }", &["csv.delimiter"]),
        (
            "conversion_type = { column = \"a\", value = \"b\" }",
            &["conversion_type"],
        ),
        ("dimensions = { ts = \"id\" }", &["dimensions", "\"ts\""]),
        (
            "dimensions = { user_id = \"id\" }",
            &["dimensions", "user_id"],
        ),
    ];
    for (extra, parts) in cases {
        let msg = error_of(&w, &source(extra));
        assert_mentions(&msg, parts);
    }
}

#[test]
fn source_definition_errors() {
    let w = Workdir::new();
    w.write("t.csv", TOUCH_CSV);
    let cases: &[(&str, &[&str])] = &[
        (
            "[[sources]]\nname = \"a\"\npath = \"t.csv\"\ntimestamp = \"ts\"\nids = { cookie_id = \"id\" }\n",
            &["\"a\"", "kind"],
        ),
        (
            "[[sources]]\nname = \"a\"\npath = \"t.csv\"\nkind = \"touch\"\ntimestamp = \"ts\"\nids = { cookie_id = \"id\" }\n",
            &["\"a\"", "channel"],
        ),
        (
            "[[sources]]\nname = \"a\"\npath = \"t.csv\"\nkind = \"touch\"\ntimestamp = \"ts\"\nids = { cookie = \"id\" }\nchannel = { value = \"x\" }\n",
            &["unknown identity kind", "\"cookie\"", "extra_kinds"],
        ),
        (
            "[[sources]]\nname = \"a\"\npath = \"t.csv\"\nkind = \"touch\"\nids = { cookie_id = \"id\" }\nchannel = { value = \"x\" }\n",
            &["`timestamp`"],
        ),
        (
            "[[sources]]\nname = \"a\"\npath = \"t.csv\"\nkind = \"touch\"\ntimestamp = \"ts\"\nids = { cookie_id = \"id\" }\nchannel = { value = \"x\", column = \"y\" }\n",
            &["exactly one of `column`, `value`, or the rules"],
        ),
        (
            "[[sources]]\nname = \"a\"\npath = \"t.csv\"\nkind = \"identity\"\nids = { cookie_id = \"id\" }\n",
            &["at least two"],
        ),
        (
            "[[sources]]\nname = \"a\"\npath = \"t.csv\"\nkind_column = \"k\"\ntimestamp = \"ts\"\nids = { cookie_id = \"id\" }\nchannel = { value = \"x\" }\n",
            &["touch_values"],
        ),
        (
            "[[sources]]\nname = \"a\"\npath = \"t.csv\"\nkind = \"touch\"\ntouch_values = [\"x\"]\ntimestamp = \"ts\"\nids = { cookie_id = \"id\" }\nchannel = { value = \"x\" }\n",
            &["go with `kind_column`"],
        ),
        ("[settings]\ntimezone = \"UTC\"\n", &["no [[sources]]"]),
    ];
    for (config, parts) in cases {
        let msg = error_of(&w, config);
        assert_mentions(&msg, parts);
    }
}

#[test]
fn duplicate_source_names_are_refused() {
    let w = Workdir::new();
    w.write("t.csv", TOUCH_CSV);
    let msg = error_of(&w, &format!("{}{}", source(""), source("")));
    assert_mentions(&msg, &["\"web\"", "same name", "line 12"]);
}

#[test]
fn bad_channel_rules_name_the_rule_and_line() {
    let w = Workdir::new();
    w.write("t.csv", TOUCH_CSV);
    let rules =
        "[[channels.rules]]\nchannel = \"X\"\nwhen = [{ field = \"utm_source\", regex = \"(\" }]\n";
    let msg = error_of(&w, &format!("{rules}{}", source("")));
    assert_mentions(&msg, &["channel rule \"X\"", "line 2", "utm_source"]);
}

#[test]
fn unknown_rule_field_in_a_source_is_refused() {
    let w = Workdir::new();
    w.write("t.csv", "ts,id,s\n2026-07-01T00:00:00Z,a,x\n");
    let config = source("").replace(
        "channel = { value = \"Direct\" }",
        "channel = { fields = { utm_sorce = \"s\" } }",
    );
    let msg = error_of(&w, &config);
    assert_mentions(&msg, &["utm_sorce", "utm_source"]);
}

#[test]
fn missing_file_glob_and_directory() {
    let w = Workdir::new();
    let msg = error_of(&w, &source(""));
    assert_mentions(&msg, &["t.csv", "no such file"]);

    let msg = error_of(&w, &source("").replace("\"t.csv\"", "\"exports/*.csv\""));
    assert_mentions(&msg, &["\"web\"", "no file matches", "exports/*.csv"]);

    std::fs::create_dir_all(w.join("folder.csv")).expect("mkdir");
    let msg = error_of(&w, &source("").replace("\"t.csv\"", "\"folder.csv\""));
    assert_mentions(&msg, &["folder.csv", "directory"]);
}

#[test]
fn missing_mapped_column_names_file_column_and_key() {
    let w = Workdir::new();
    w.write("t.csv", "time,id\n2026-07-01T00:00:00Z,a\n");
    let msg = error_of(&w, &source(""));
    assert_mentions(
        &msg,
        &[
            "t.csv",
            "\"web\"",
            "column \"ts\"",
            "`timestamp`",
            "time, id",
        ],
    );
}

#[test]
fn empty_file_duplicate_header_and_unknown_extension() {
    let w = Workdir::new();
    w.write("t.csv", "");
    assert_mentions(&error_of(&w, &source("")), &["t.csv", "empty"]);

    w.write("t.csv", "ts,id,id\n2026-07-01T00:00:00Z,a,b\n");
    assert_mentions(&error_of(&w, &source("")), &["t.csv", "\"id\"", "2 times"]);

    w.write("t.xyz", TOUCH_CSV);
    let msg = error_of(&w, &source("").replace("\"t.csv\"", "\"t.xyz\""));
    assert_mentions(&msg, &["t.xyz", "format"]);
}

#[test]
fn truncated_parquet_is_a_clear_error() {
    let w = Workdir::new();
    w.write("t.parquet", b"PAR1\x00\x00\x00garbage");
    let msg = error_of(&w, &source("").replace("\"t.csv\"", "\"t.parquet\""));
    assert_mentions(&msg, &["t.parquet", "Parquet"]);
}
