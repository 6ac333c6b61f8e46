//! Toolchain detection against simulated machines: an empty one, and fake
//! Debian installs built from shell scripts under a temporary system root.

#![cfg(unix)]

mod common;

use std::path::Path;

use common::{TempDir, write, write_script};
use trellis_build::{DetectEnv, Toolchain, ToolchainKind, ToolchainProblem};

const RUSTC_VV: &str = "echo 'rustc 1.96.0 (ac68faa20 2026-05-25)'
echo 'binary: rustc'
echo 'host: x86_64-unknown-linux-gnu'
echo 'release: 1.96.0'
echo 'LLVM version: 22.1.8'";

/// Builds a fake Debian route under `root` with the std source at
/// `src_version`, and a fake `wasm-component-ld` in `home/.cargo/bin`.
fn fake_debian(root: &Path, home: &Path, src_version: &str) {
    write_script(root, "usr/bin/cargo", "exit 0");
    write_script(root, "usr/bin/rustc", RUSTC_VV);
    write(
        root,
        "usr/lib/rustlib/src/rust/src/version",
        &format!("{src_version}\n"),
    );
    write_script(root, "usr/lib/llvm-22/bin/wasm-ld", "exit 0");
    write(root, "usr/lib/wasm32-wasi/libc.a", "");
    write_script(
        home,
        ".cargo/bin/wasm-component-ld",
        "echo 'wasm-component-ld 0.5.31'",
    );
}

fn env_for(root: &Path, home: &Path) -> DetectEnv {
    let empty_bin = root.join("empty-bin");
    std::fs::create_dir_all(&empty_bin).unwrap();
    DetectEnv::new(
        [
            ("PATH", empty_bin.into_os_string()),
            ("HOME", home.as_os_str().to_owned()),
        ],
        root,
    )
}

#[test]
fn empty_machine_names_every_missing_piece() {
    let root = TempDir::new("empty-root");
    let home = TempDir::new("empty-home");

    let error = Toolchain::detect_in(&env_for(root.path(), home.path())).unwrap_err();
    let message = error.to_string();

    let missing_packages: Vec<&str> = error
        .problems
        .iter()
        .filter_map(|problem| match problem {
            ToolchainProblem::MissingFile { package, .. } => Some(package.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        missing_packages,
        ["cargo-web", "rustc-web", "rust-web-src", "wasi-libc"]
    );
    assert!(
        error.problems.contains(&ToolchainProblem::MissingLinker),
        "{message}"
    );
    assert!(
        message.contains("scripts/setup-guest-toolchain"),
        "{message}"
    );
    assert!(
        message.contains("cargo install --locked wasm-component-ld@0.5.31"),
        "{message}"
    );
    assert!(
        message.contains("rustup target add wasm32-wasip2"),
        "{message}"
    );
}

#[test]
fn fake_debian_route_is_detected() {
    let root = TempDir::new("debian-root");
    let home = TempDir::new("debian-home");
    fake_debian(root.path(), home.path(), "1.96.0");

    let toolchain = Toolchain::detect_in(&env_for(root.path(), home.path())).unwrap();

    assert_eq!(
        toolchain.kind(),
        &ToolchainKind::Debian {
            rustc_version: "1.96.0".to_string(),
            llvm_major: 22,
        }
    );
}

#[test]
fn rust_src_version_mismatch_is_named() {
    let root = TempDir::new("mismatch-root");
    let home = TempDir::new("mismatch-home");
    fake_debian(root.path(), home.path(), "1.95.0");

    let error = Toolchain::detect_in(&env_for(root.path(), home.path())).unwrap_err();

    assert_eq!(
        error.problems,
        [ToolchainProblem::VersionMismatch {
            rustc: "1.96.0".to_string(),
            rust_src: "1.95.0".to_string(),
        }]
    );
}

#[test]
fn missing_lld_names_matching_package() {
    let root = TempDir::new("no-lld-root");
    let home = TempDir::new("no-lld-home");
    fake_debian(root.path(), home.path(), "1.96.0");
    std::fs::remove_file(root.path().join("usr/lib/llvm-22/bin/wasm-ld")).unwrap();

    let error = Toolchain::detect_in(&env_for(root.path(), home.path())).unwrap_err();

    assert_eq!(error.problems.len(), 1, "{error}");
    assert!(
        matches!(&error.problems[0], ToolchainProblem::MissingFile { package, .. } if package == "lld-22"),
        "{error}"
    );
}

#[test]
fn rustup_without_target_is_reported() {
    let root = TempDir::new("rustup-root");
    let home = TempDir::new("rustup-home");
    write_script(
        home.path(),
        ".cargo/bin/rustup",
        "case \"$1\" in
  show) echo 'stable-x86_64-unknown-linux-gnu (default)' ;;
  target) echo 'x86_64-unknown-linux-gnu' ;;
esac",
    );

    let error = Toolchain::detect_in(&env_for(root.path(), home.path())).unwrap_err();

    assert_eq!(
        error.problems[0],
        ToolchainProblem::RustupTargetMissing {
            toolchain: "stable-x86_64-unknown-linux-gnu".to_string(),
        }
    );
}

#[test]
fn rustup_with_target_is_preferred() {
    let root = TempDir::new("rustup-ok-root");
    let home = TempDir::new("rustup-ok-home");
    fake_debian(root.path(), home.path(), "1.96.0");
    write_script(
        home.path(),
        ".cargo/bin/rustup",
        "case \"$1\" in
  show) echo 'stable-x86_64-unknown-linux-gnu (default)' ;;
  target) echo 'x86_64-unknown-linux-gnu'; echo 'wasm32-wasip2' ;;
esac",
    );

    let toolchain = Toolchain::detect_in(&env_for(root.path(), home.path())).unwrap();

    assert_eq!(
        toolchain.kind(),
        &ToolchainKind::Rustup {
            toolchain: "stable-x86_64-unknown-linux-gnu".to_string(),
        }
    );
}
