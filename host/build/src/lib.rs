//! Builds the guest crates of a Trellis app into WebAssembly components.
//!
//! An app's `trellis.toml` maps routes to guest crates or to component files.
//! [`build_app`] compiles each guest crate for `wasm32-wasip2` with cargo and
//! returns every route with its component file, as a [`BuiltRoute`].
//! [`resolve_components`] returns the same without building, for commands
//! that run after `trellis build`.
//!
//! [`Toolchain::detect`] picks the compiler. A rustup toolchain with the
//! `wasm32-wasip2` target is preferred. Otherwise the Debian route is used:
//! `rustc-web` and `cargo-web` rebuild std from `rust-web-src`
//! (`-Zbuild-std`), and `wasm-component-ld` links with `wasm-ld` from `lld-N`
//! and Debian's `wasi-libc`. All flags are passed on cargo's command line, so
//! app directories need no `.cargo/config.toml`. When neither route is
//! installed, [`ToolchainError`] lists what is missing and how to install it;
//! `scripts/setup-guest-toolchain` in the Trellis repository installs the
//! Debian route.
//!
//! [`DetectEnv`] is the environment detection reads and guest builds run in.
//! Variables that an outer `cargo run` or `cargo test` sets for its own build
//! (`RUSTC`, `RUSTUP_TOOLCHAIN`, `RUSTFLAGS`, `CARGO_*` except the user's
//! settings) are removed from it before cargo runs.

mod artifact;
mod builder;
mod env;
mod toolchain;

pub use artifact::{ManifestError, WasmKind, classify_header};
pub use builder::{
    BuildError, BuildOptions, BuiltRoute, TARGET_DIR_VAR, build_app, build_app_with,
    resolve_components,
};
pub use env::DetectEnv;
pub use toolchain::{
    GUEST_TARGET, Toolchain, ToolchainError, ToolchainKind, ToolchainProblem,
    WASM_COMPONENT_LD_VERSION,
};
