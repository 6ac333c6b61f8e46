//! The `trellis` binary: help text and prerendering without a server.

mod common;

use common::repo_root;
use std::process::Command;

fn trellis(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_trellis"))
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("the trellis binary runs")
}

#[test]
fn help_describes_every_option() {
    let cases: [(&[&str], &[&str]); 3] = [
        (
            &["serve", "--help"],
            &[
                "--listen",
                "127.0.0.1:3000",
                "--secure-cookies",
                "--no-build",
                "--max-instances",
            ],
        ),
        (&["prerender", "--help"], &["--out", "PATH", "--no-build"]),
        (&["build", "--help"], &["APP_DIR"]),
    ];

    for (args, expected) in cases {
        let output = trellis(args);
        let help = String::from_utf8_lossy(&output.stdout);

        assert!(output.status.success(), "{args:?} failed");
        for text in expected {
            assert!(
                help.contains(text),
                "`trellis {}` lacks {text}:\n{help}",
                args.join(" ")
            );
        }
    }
}

#[test]
fn prerender_writes_valid_html5() {
    let out =
        std::env::temp_dir().join(format!("trellis-cli-prerender-{}.html", std::process::id()));

    let output = trellis(&[
        "prerender",
        "examples/counter",
        "/",
        "--out",
        out.to_str().unwrap(),
    ]);

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("<span id=\"count\">0</span>"), "{html}");
    let js_dir = repo_root().join("tests/js");
    assert!(
        js_dir.join("node_modules").is_dir(),
        "tests/js/node_modules is missing: run `scripts/dev test`, which installs it"
    );
    let check = Command::new("node")
        .arg("validate_html.mjs")
        .arg(&out)
        .current_dir(&js_dir)
        .output()
        .expect("node runs");
    assert!(
        check.status.success(),
        "the Nu Html Checker rejected the document:\n{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    std::fs::remove_file(&out).ok();
}

#[test]
fn prerender_unknown_path_fails() {
    let output = trellis(&["prerender", "examples/counter", "/nope"]);

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("404"), "{stderr}");
}

#[test]
fn missing_app_config_is_reported() {
    let output = trellis(&["build", "/nonexistent-trellis-app"]);

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("trellis.toml"), "{stderr}");
}

#[test]
fn listen_rejects_address_without_port() {
    let output = trellis(&["serve", "examples/counter", "--listen", "localhost"]);

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("expected ADDRESS:PORT"), "{stderr}");
}
