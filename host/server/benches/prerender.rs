//! Prerender benchmarks: [`App::prerender`] in process, which resolves the
//! path, instantiates the route in prerender mode, renders it and writes the
//! HTML document, for three routes:
//!
//! - `/` of `examples/counter`, a small page;
//! - `/` of `examples/todo`, a form and an (empty) keyed list read from
//!   global state;
//! - `/table` of `tests/guests`, a table of 1,000 rows of four cells (about
//!   9,000 nodes).
//!
//! No HTTP is involved. Each app is loaded with only the benchmarked route.
//! The guests are built with `trellis_build` first (a no-op when up to date),
//! into `TRELLIS_TARGET_DIR` when set. Run with
//! `TRELLIS_TARGET_DIR=$PWD/target/guests cargo bench -p trellis-server`.

#[path = "../../runtime/benches/support/load_route.rs"]
mod load_route;

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use load_route::load_route;
use trellis_server::{App, ServerOptions, SessionId};

/// The benchmarked routes as (name, app directory, route pattern, request
/// path).
const ROUTES: [(&str, &str, &str, &str); 3] = [
    ("counter", "examples/counter", "/", "/"),
    ("todo", "examples/todo", "/", "/"),
    ("table_1000_rows", "tests/guests", "/table", "/table"),
];

/// Loads the route and wraps it in an app with the default server options.
fn load_app(app_dir: &str, pattern: &str) -> Arc<App> {
    let (config, runtime) = load_route(app_dir, pattern);
    App::new(runtime, config.title, ServerOptions::default())
}

fn prerender(c: &mut Criterion) {
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("failed to start a tokio runtime");
    let session = SessionId::generate();

    let mut group = c.benchmark_group("prerender");
    for (name, app_dir, pattern, path) in ROUTES {
        let app = load_app(app_dir, pattern);
        // A failed or sandboxed prerender still returns a page, so check once
        // that this one is a real prerender before timing it.
        let page = tokio.block_on(app.prerender(path, &session));
        assert_eq!(
            page.status, 200,
            "prerender of {app_dir} {path}:\n{}",
            page.html
        );
        assert!(
            page.html.contains("\"prerendered\":true"),
            "{app_dir} {path} served the shell instead of a prerender:\n{}",
            page.html
        );

        group.bench_function(name, |b| {
            b.to_async(&tokio)
                .iter(|| async { app.prerender(path, &session).await });
        });
    }
    group.finish();
}

criterion_group!(benches, prerender);
criterion_main!(benches);
