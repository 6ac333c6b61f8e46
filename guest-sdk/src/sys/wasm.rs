//! The host imports and the export glue on wasm32, through `wit-bindgen`.

use crate::log::Level;

/// Bindings for the `route-component` world.
#[doc(hidden)]
#[allow(unsafe_code, reason = "wit-bindgen generates unsafe ABI glue")]
#[allow(
    missing_docs,
    reason = "generated code; the WIT file documents the contract"
)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "route-component",
        // `trellis::route!` expands the export macro in the route's crate.
        pub_export_macro: true,
        export_macro_name: "export",
    });
}

use bindings::trellis::ui as imports;

pub(crate) fn request_path() -> String {
    imports::request::path()
}

pub(crate) fn request_params() -> Vec<(String, String)> {
    imports::request::params()
}

pub(crate) fn request_query() -> Vec<(String, String)> {
    imports::request::query()
}

pub(crate) fn global_get(key: &str) -> Option<Vec<u8>> {
    imports::global_state::get(key)
}

pub(crate) fn global_set(key: &str, value: &[u8]) {
    imports::global_state::set(key, value);
}

pub(crate) fn global_remove(key: &str) {
    imports::global_state::remove(key);
}

pub(crate) fn navigate(path: &str) {
    imports::navigation::navigate(path);
}

pub(crate) fn log(level: Level, message: &str) {
    use imports::log::Level as WitLevel;

    let level = match level {
        Level::Trace => WitLevel::Trace,
        Level::Debug => WitLevel::Debug,
        Level::Info => WitLevel::Info,
        Level::Warn => WitLevel::Warn,
        Level::Error => WitLevel::Error,
    };
    imports::log::log(level, message);
}
