//! The HTML report in a real browser: headless Chromium renders it, the screenshot is not
//! blank, and a channel named like a script is shown as text. `.ci/run` installs Chromium and
//! sets OMNITOUCH_REQUIRE_CHROMIUM=1; elsewhere the browser part says it was skipped.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Workdir;

const EVIL: &str = "<script>alert(1)</script>";

fn report(w: &Workdir) -> PathBuf {
    w.write(
        "events.csv",
        format!(
            "ts,cookie,event,channel,value\n\
             2026-07-01T10:00:00Z,c1,touch,\"{EVIL}\",\n\
             2026-07-01T11:00:00Z,c1,touch,Email,\n\
             2026-07-01T12:00:00Z,c1,conversion,Web,40\n\
             2026-07-02T10:00:00Z,c2,touch,Email,\n\
             2026-07-02T11:00:00Z,c2,conversion,Web,60\n\
             2026-07-03T10:00:00Z,c3,touch,Search,\n"
        ),
    );
    w.write("omnitouch.toml", common::EVENTS_SOURCE);
    w.cmd()
        .args([
            "run",
            "-q",
            "--model",
            "last_touch",
            "--model",
            "markov",
            "--out",
            "r",
        ])
        .assert()
        .success();
    w.join("r/report.html")
}

#[test]
fn the_report_is_self_contained_and_escapes_everything() {
    let w = Workdir::new();
    let html = std::fs::read_to_string(report(&w)).expect("report.html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        !html.contains(EVIL),
        "the channel name must not appear as markup"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script"), "no script at all");
    // Axis ticks are written as people write numbers: no `5000.0`.
    for text in html.split("</text>").filter_map(|t| t.rsplit('>').next()) {
        let t = text.trim();
        assert!(
            !(t.ends_with(".0") && t[..t.len() - 2].chars().all(|c| c.is_ascii_digit())),
            "tick {t}"
        );
    }
    // Nothing that would fetch: no src or href to another place, no CSS url() or @import.
    // (The SVG namespace URI is an identifier, not a request.)
    for external in [
        "src=\"http",
        "src=\"//",
        "href=\"http",
        "href=\"//",
        "url(",
        "@import",
        "<link",
        "<iframe",
    ] {
        assert!(!html.contains(external), "no network reference: {external}");
    }
    assert!(html.matches("<svg").count() >= 5, "charts are inline SVG");
    // Same inputs, same bytes.
    let again = w
        .cmd()
        .args([
            "run",
            "-q",
            "--model",
            "last_touch",
            "--model",
            "markov",
            "--out",
            "r2",
        ])
        .assert()
        .success();
    drop(again);
    let second = std::fs::read_to_string(w.join("r2/report.html")).expect("second");
    assert_eq!(html, second);
}

fn chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("OMNITOUCH_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

fn headless(chrome: &Path, profile: &Path, extra: &[&str], page: &Path) -> std::process::Output {
    Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs")
}

#[test]
fn the_report_renders_in_headless_chromium() {
    let Some(chrome) = chromium() else {
        if std::env::var("OMNITOUCH_REQUIRE_CHROMIUM").as_deref() == Ok("1") {
            panic!("OMNITOUCH_REQUIRE_CHROMIUM=1 but no Chromium was found");
        }
        eprintln!("SKIPPED the browser check: Chromium is not installed (apt-get install chromium, or set OMNITOUCH_CHROMIUM)");
        return;
    };
    let w = Workdir::new();
    let page = report(&w);
    let shot = w.join("shot.png");
    let out = headless(
        &chrome,
        &w.join("profile"),
        &[
            "--window-size=1100,1400",
            &format!("--screenshot={}", shot.display()),
        ],
        &page,
    );
    assert!(
        shot.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&shot).expect("png"),
    ));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("png frame");
    let pixels = &buf[..info.buffer_size()];
    let channels = info.color_type.samples();
    let mut colours = std::collections::HashSet::new();
    let mut not_background = 0usize;
    for px in pixels.chunks(channels) {
        colours.insert(px[..3].to_vec());
        if px[..3] != [245, 246, 248] && px[..3] != [255, 255, 255] {
            not_background += 1;
        }
    }
    let total = pixels.len() / channels;
    assert!(
        colours.len() > 20,
        "the screenshot looks blank: {} colours",
        colours.len()
    );
    assert!(
        not_background * 20 > total,
        "the screenshot is mostly empty"
    );

    // The DOM holds the script-like channel name as text, never as an element.
    let dom = headless(&chrome, &w.join("profile2"), &["--dump-dom"], &page);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("Credit by channel and model"),
        "the page rendered"
    );
    assert!(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!dom.contains(EVIL));
}
