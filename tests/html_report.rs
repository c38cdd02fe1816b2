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

/// Chromium, or None after saying that `check` was skipped; a panic when
/// OMNITOUCH_REQUIRE_CHROMIUM=1 (as `.ci/run` sets it) and there is none.
fn chromium_or_skip(check: &str) -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        if std::env::var("OMNITOUCH_REQUIRE_CHROMIUM").as_deref() == Ok("1") {
            panic!("OMNITOUCH_REQUIRE_CHROMIUM=1 but no Chromium was found");
        }
        eprintln!("SKIPPED {check}: Chromium is not installed (apt-get install chromium, or set OMNITOUCH_CHROMIUM)");
    }
    found
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
    let Some(chrome) = chromium_or_skip("the browser check") else {
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

/// Measures every chart of the page in the browser and writes what it finds into the DOM:
/// each chart's title and axis titles, legend entries against bars, every text box against
/// every other and against its chart, and the page's own width.
const LAYOUT_CHECK: &str = r#"<script>
(() => {
  const box = e => { const r = e.getBoundingClientRect(); return { x: r.left, y: r.top, w: r.width, h: r.height, e }; };
  const all = (root, sel) => [...root.querySelectorAll(sel)].map(box).filter(b => b.w > 0 && b.h > 0);
  const overlap = (a, b) => a.x < b.x + b.w - 0.5 && b.x < a.x + a.w - 0.5 && a.y < b.y + b.h - 0.5 && b.y < a.y + a.h - 0.5;
  const inside = (a, o) => a.x >= o.x - 0.5 && a.y >= o.y - 0.5 && a.x + a.w <= o.x + o.w + 0.5 && a.y + a.h <= o.y + o.h + 0.5;
  const name = b => [...b.e.childNodes].filter(n => n.nodeType === 3).map(n => n.data).join('') || b.e.getAttribute('class');
  const problems = [];
  const charts = [...document.querySelectorAll('svg.chart')];
  let texts = 0, bars = 0, legends = 0;
  for (const svg of charts) {
    const chart = svg.getAttribute('aria-label');
    const frame = box(svg);
    const title = svg.querySelector('.chart-title');
    if (!title || !title.textContent.trim()) problems.push(`${chart}: no title`);
    const axes = [...svg.querySelectorAll('.axis-title')].filter(e => e.textContent.trim());
    if (axes.length < 2) problems.push(`${chart}: ${axes.length} axis titles`);
    const legend = all(svg, '.legend rect, .legend text');
    const drawn = all(svg, 'rect.bar');
    const labels = all(svg, 'text');
    texts += labels.length; bars += drawn.length; legends += legend.length;
    for (const l of legend) for (const b of drawn)
      if (overlap(l, b)) problems.push(`${chart}: legend "${name(l)}" overlaps a bar`);
    for (let i = 0; i < labels.length; i++) {
      if (!inside(labels[i], frame)) problems.push(`${chart}: "${name(labels[i])}" sticks out of the chart`);
      for (let j = i + 1; j < labels.length; j++)
        if (overlap(labels[i], labels[j])) problems.push(`${chart}: "${name(labels[i])}" overlaps "${name(labels[j])}"`);
    }
  }
  const pre = document.createElement('pre');
  pre.id = 'layout-check';
  pre.textContent = JSON.stringify({ charts: charts.length, texts, bars, legends,
    page_width: document.documentElement.scrollWidth, viewport: window.innerWidth, problems });
  document.body.appendChild(pre);
})();
</script>"#;

/// The measurements [`LAYOUT_CHECK`] leaves in the dumped DOM.
fn layout_at(chrome: &Path, w: &Workdir, page: &Path, width: u32) -> serde_json::Value {
    let html = std::fs::read_to_string(page).expect("report.html");
    let checked = w.join(&format!("checked-{width}.html"));
    std::fs::write(
        &checked,
        html.replace("</body>", &format!("{LAYOUT_CHECK}</body>")),
    )
    .expect("write the checked copy");
    let out = headless(
        chrome,
        &w.join(&format!("profile-{width}")),
        &[&format!("--window-size={width},1200"), "--dump-dom"],
        &checked,
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    let json = dom
        .split("<pre id=\"layout-check\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .unwrap_or_else(|| {
            panic!(
                "the check did not run at {width} px: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    serde_json::from_str(
        &json
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">"),
    )
    .expect("the check's JSON")
}

#[test]
fn the_page_layout_holds_at_desktop_and_phone_widths() {
    let Some(chrome) = chromium_or_skip("the layout check") else {
        return;
    };
    let w = Workdir::new();
    w.generate(3000, 3, &[]);
    // The default page (about five models, weekly view, spend on a log scale when ROAS
    // spans decades) and the crowded one: all 16 models, daily periods.
    let runs: [(&str, &[&str]); 2] = [
        ("default", &[]),
        (
            "crowded",
            &["--models", "all", "--page-models", "all", "--period", "day"],
        ),
    ];
    for (name, extra) in runs {
        w.cmd()
            .args([
                "run",
                "-q",
                "--config",
                "gen/omnitouch.toml",
                "--out-dir",
                name,
            ])
            .args(extra)
            .assert()
            .success();
        let page = w.join(&format!("{name}/report.html"));
        for width in [1280, 390] {
            let found = layout_at(&chrome, &w, &page, width);
            let problems = found["problems"].as_array().expect("problems");
            assert!(
                problems.is_empty(),
                "{name} page at {width} px: {} problems, first: {:#?}",
                problems.len(),
                &problems[..problems.len().min(12)]
            );
            assert!(found["charts"].as_u64() >= Some(9), "{name}: {found}");
            assert!(found["bars"].as_u64() > Some(100), "{name}: {found}");
            assert!(found["legends"].as_u64() > Some(8), "{name}: {found}");
            assert!(
                found["page_width"].as_u64() <= found["viewport"].as_u64(),
                "{name} page scrolls sideways at {width} px: {found}"
            );
        }
    }
}

#[test]
fn the_config_chooses_the_models_the_page_draws() {
    let w = Workdir::new();
    report(&w);
    let config = format!(
        "{}\n[report]\npage_models = [\"markov\"]\n",
        common::EVENTS_SOURCE
    );
    w.write("omnitouch.toml", &config);
    w.cmd()
        .args([
            "run",
            "-q",
            "--model",
            "last_touch",
            "--model",
            "markov",
            "--out-dir",
            "chosen",
        ])
        .assert()
        .success();
    let html = std::fs::read_to_string(w.join("chosen/report.html")).expect("report.html");
    assert!(
        html.contains("Charts show 1 of the 2 models run: markov."),
        "the header names the model drawn"
    );
    assert!(
        !html.contains("last_touch conversions"),
        "the table leaves last_touch out"
    );
    // A model that did not run is named, with the key that asked for it.
    w.write(
        "omnitouch.toml",
        config.replace("\"markov\"", "\"shapely\""),
    );
    let out = w
        .cmd()
        .args([
            "run",
            "-q",
            "--model",
            "last_touch",
            "--model",
            "markov",
            "--out-dir",
            "typo",
        ])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("[report] page_models") && stderr.contains("\"shapely\" did not run"),
        "{stderr}"
    );
}
