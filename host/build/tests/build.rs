//! Real guest builds with the installed toolchain, and route resolution
//! against the files they produce.
//!
//! The builds share `TRELLIS_TARGET_DIR`, else `target/guests` of the
//! workspace, so std is compiled once for all guest builds of a machine. The
//! first run compiles std and `wit-bindgen` (about a minute on two cores) and
//! needs crates.io.

mod common;

use std::path::{Path, PathBuf};

use common::{TempDir, write};
use trellis_app::AppConfig;
use trellis_build::{
    BuildError, BuildOptions, DetectEnv, Toolchain, WasmKind, build_app_with, classify_header,
    resolve_components,
};

/// A route guest that exports one function through `wit-bindgen`, so the
/// linker turns it into a component with a real export.
const PROBE_LIB: &str = r#"
wit_bindgen::generate!({
    inline: "package trellis-test:probe; world probe { export answer: func() -> u32; }",
});

struct Probe;

impl Guest for Probe {
    fn answer() -> u32 {
        42
    }
}

export!(Probe);
"#;

fn guest_target_dir() -> PathBuf {
    match std::env::var_os("TRELLIS_TARGET_DIR").filter(|dir| !dir.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/guests"),
    }
}

fn write_crate(dir: &Path, package: &str, dependencies: &str, lib: &str) {
    write(
        dir,
        "Cargo.toml",
        &format!(
            "[package]\nname = \"{package}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             [lib]\ncrate-type = [\"cdylib\"]\n\n[dependencies]\n{dependencies}\n\n\
             [profile.release]\nopt-level = \"s\"\n"
        ),
    );
    write(dir, "src/lib.rs", lib);
}

/// Returns the process environment plus variables that break a guest build
/// when they reach the guest `cargo`, as an outer build could set them.
fn leaky_env() -> DetectEnv {
    let mut env = DetectEnv::from_process();
    env.set("RUSTC", "/nonexistent/rustc");
    env.set("RUSTUP_TOOLCHAIN", "nonexistent-toolchain");
    env.set("RUSTFLAGS", "-Zthis-flag-does-not-exist");
    env.set("CARGO_ENCODED_RUSTFLAGS", "-Zthis-flag-does-not-exist");
    env.set("CARGO_BUILD_TARGET", "x86_64-unknown-linux-gnu");
    env.set("CARGO_TARGET_DIR", "/nonexistent/target");
    env
}

#[test]
fn wit_bindgen_guest_builds_to_component() {
    let app = TempDir::new("app");
    write(
        app.path(),
        "trellis.toml",
        "[[routes]]\npath = \"/\"\ncrate = \"probe\"\n\n[[routes]]\npath = \"/again\"\ncrate = \"probe\"\n",
    );
    write_crate(
        &app.path().join("probe"),
        "trellis-build-probe",
        "wit-bindgen = \"0.63\"",
        PROBE_LIB,
    );
    let config = AppConfig::load(app.path()).unwrap();
    let options = BuildOptions {
        target_dir: guest_target_dir(),
    };
    let toolchain = Toolchain::detect_in(&leaky_env()).unwrap_or_else(|error| panic!("{error}"));

    let routes =
        build_app_with(&toolchain, &config, &options).unwrap_or_else(|error| panic!("{error}"));

    let expected = options
        .target_dir
        .join("wasm32-wasip2/release/trellis_build_probe.wasm");
    assert_eq!(routes.len(), 2);
    assert_eq!(routes[0].pattern.as_str(), "/");
    assert_eq!(routes[0].component, expected);
    assert_eq!(routes[1].pattern.as_str(), "/again");
    assert_eq!(routes[1].component, expected);
    let bytes = std::fs::read(&expected).unwrap();
    assert_eq!(classify_header(&bytes), WasmKind::Component);

    let resolved = resolve_components(&config, &options).unwrap();
    assert_eq!(resolved, routes);

    // A crate of another app with the same package name has the same
    // artifact path but did not produce the file there.
    let other_app = TempDir::new("other-app");
    write(
        other_app.path(),
        "trellis.toml",
        "[[routes]]\npath = \"/\"\ncrate = \"probe\"\n",
    );
    write_crate(
        &other_app.path().join("probe"),
        "trellis-build-probe",
        "wit-bindgen = \"0.63\"",
        PROBE_LIB,
    );
    let other_config = AppConfig::load(other_app.path()).unwrap();
    let error = resolve_components(&other_config, &options).unwrap_err();
    assert!(matches!(error, BuildError::NotBuilt { .. }), "{error}");
    assert!(error.to_string().contains("trellis build"), "{error}");
}

#[test]
fn compile_error_names_crate() {
    let app = TempDir::new("broken-app");
    write(
        app.path(),
        "trellis.toml",
        "[[routes]]\npath = \"/\"\ncrate = \"broken\"\n",
    );
    write_crate(
        &app.path().join("broken"),
        "trellis-build-broken",
        "",
        "pub fn broken( {}\n",
    );
    let config = AppConfig::load(app.path()).unwrap();
    let options = BuildOptions {
        target_dir: guest_target_dir(),
    };
    let toolchain = Toolchain::detect_in(&leaky_env()).unwrap_or_else(|error| panic!("{error}"));

    let error = build_app_with(&toolchain, &config, &options).unwrap_err();

    let BuildError::Cargo { crate_dir, status } = &error else {
        panic!("expected a cargo failure, got: {error}");
    };
    assert_eq!(crate_dir, &app.path().join("broken"));
    assert!(!status.success());
    assert!(error.to_string().contains("broken"), "{error}");
}

#[test]
fn unbuilt_crate_route_names_build_command() {
    let app = TempDir::new("unbuilt-app");
    write(
        app.path(),
        "trellis.toml",
        "[[routes]]\npath = \"/\"\ncrate = \"never\"\n",
    );
    write_crate(
        &app.path().join("never"),
        "trellis-build-never-built",
        "",
        "",
    );
    let config = AppConfig::load(app.path()).unwrap();
    let options = BuildOptions {
        target_dir: app.path().join("target"),
    };

    let error = resolve_components(&config, &options).unwrap_err();

    let message = error.to_string();
    assert!(matches!(error, BuildError::NotBuilt { .. }), "{message}");
    assert!(
        message.contains("trellis_build_never_built.wasm"),
        "{message}"
    );
    assert!(
        message.contains(&format!("trellis build {}", app.path().display())),
        "{message}"
    );
}

#[test]
fn component_route_checks_file() {
    let app = TempDir::new("component-app");
    write(
        app.path(),
        "trellis.toml",
        "[[routes]]\npath = \"/\"\ncomponent = \"route.wasm\"\n",
    );
    let config = AppConfig::load(app.path()).unwrap();
    let options = BuildOptions {
        target_dir: app.path().join("target"),
    };
    let file = app.path().join("route.wasm");

    let missing = resolve_components(&config, &options).unwrap_err();
    assert!(
        matches!(missing, BuildError::ComponentNotFound { .. }),
        "{missing}"
    );

    std::fs::write(&file, [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]).unwrap();
    let core = resolve_components(&config, &options).unwrap_err();
    assert!(
        matches!(
            core,
            BuildError::NotComponent {
                found: WasmKind::CoreModule,
                ..
            }
        ),
        "{core}"
    );

    std::fs::write(&file, [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]).unwrap();
    let routes = resolve_components(&config, &options).unwrap();
    assert_eq!(routes.len(), 1);
    assert_eq!(routes[0].component, file);
}
