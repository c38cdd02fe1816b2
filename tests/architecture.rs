//! The stages import only the stages before them: every `crate::` path in `src/` is checked
//! against one order of the top-level modules, so no import cycle can come back unnoticed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The top-level modules, each allowed to use only the modules before it.
const ORDER: &[&str] = &[
    "error",
    "hash",
    "names",
    "progress",
    "files",
    "output",
    "io",
    "config",
    "ingest",
    "identity",
    "journey",
    "attribution",
    "report",
    "shards",
    "warehouse",
    "pipeline",
    "generate",
    "evaluate",
    "cli",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to (None for lib.rs and main.rs).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let first = file.strip_prefix(src).ok()?.components().next()?;
    let name = first.as_os_str().to_str()?.trim_end_matches(".rs");
    (!matches!(name, "lib" | "main")).then(|| name.to_string())
}

/// Code without comments (line comments and doc comments; links in docs are not imports).
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().map(|(i, line)| {
        let code = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        (i + 1, code)
    })
}

/// The top-level modules named by `crate::` paths on a line, including `crate::{a, b::c}`.
fn named_modules(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
        }
    }
    out
}

#[test]
fn stages_import_only_the_stages_before_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let rank: BTreeMap<&str, usize> = ORDER.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    let mut violations = Vec::new();
    let mut modules_seen = 0;
    for file in &files {
        let Some(module) = module_of(&src, file) else {
            continue;
        };
        let Some(&own) = rank.get(module.as_str()) else {
            violations.push(format!(
                "{}: module `{module}` is not in ORDER",
                file.display()
            ));
            continue;
        };
        modules_seen += 1;
        let text = std::fs::read_to_string(file).expect("read file");
        for (line, code) in code_lines(&text) {
            for used in named_modules(code) {
                if used == module || matches!(used.as_str(), "Error" | "Result") {
                    continue;
                }
                match rank.get(used.as_str()) {
                    Some(&other) if other < own => {}
                    Some(_) => violations.push(format!(
                        "{}:{line}: `{module}` uses `{used}`, which comes after it",
                        file.display()
                    )),
                    None => violations.push(format!(
                        "{}:{line}: `{module}` uses `crate::{used}`, not a module in ORDER",
                        file.display()
                    )),
                }
            }
        }
    }
    assert!(modules_seen > 20, "the walk found the source files");
    assert!(
        violations.is_empty(),
        "imports against the stage order:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_checker_sees_grouped_and_nested_paths() {
    assert_eq!(
        named_modules("use crate::{ingest::plan, journey};"),
        ["ingest", "journey"]
    );
    assert_eq!(
        named_modules("let x = crate::report::html::render(y);"),
        ["report"]
    );
    let lines: Vec<_> = code_lines("a // crate::cli\n/// see [`crate::cli`]").collect();
    assert!(lines.iter().all(|(_, c)| named_modules(c).is_empty()));
}
