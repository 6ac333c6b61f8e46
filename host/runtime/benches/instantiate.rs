//! Instantiation benchmarks: creating a route instance from its
//! `InstancePre`, alone and followed by the first render.
//!
//! The route is `/` of `examples/counter`. Each iteration does what a render
//! session does when a tab mounts: [`Runtime::instantiate`] in
//! [`Mode::Live`] with a fresh [`GlobalStore`] and [`Replay::fresh`], which
//! creates the store, its WASI context and the instance in a pooling
//! allocator slot. The instance is dropped at the end of the iteration, so
//! its slot returns to the pool.
//!
//! The guests are built with `trellis_build` first (a no-op when up to date),
//! into `TRELLIS_TARGET_DIR` when set. Run with
//! `TRELLIS_TARGET_DIR=$PWD/target/guests cargo bench -p trellis-runtime`.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use trellis_app::AppConfig;
use trellis_build::BuildOptions;
use trellis_runtime::{GlobalStore, Mode, Replay, RouteSpec, Runtime, RuntimeOptions, cache_dir};

/// Builds the guests of `app_dir` (relative to the repository root) and
/// loads only the route whose pattern is `pattern`, with the app's limits,
/// the default pool size and the app's component cache, as `trellis serve`
/// does.
fn load_route(app_dir: &str, pattern: &str) -> Runtime {
    let repo_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let config = AppConfig::load(&repo_root.join(app_dir))
        .unwrap_or_else(|error| panic!("failed to load {app_dir}/trellis.toml: {error}"));
    let built = trellis_build::build_app(&config, &BuildOptions::for_app(&config))
        .unwrap_or_else(|error| panic!("failed to build the guests of {app_dir}: {error}"));
    let routes: Vec<RouteSpec> = built
        .into_iter()
        .filter(|route| route.pattern.as_str() == pattern)
        .map(|route| RouteSpec {
            pattern: route.pattern,
            component: route.component,
        })
        .collect();
    assert_eq!(routes.len(), 1, "{app_dir} has no route {pattern}");

    let options = RuntimeOptions {
        limits: config.limits,
        max_instances: None,
        cache_dir: Some(cache_dir(&config.dir.join(".trellis"))),
    };
    Runtime::load(routes, options)
        .unwrap_or_else(|error| panic!("failed to load the component of {pattern}: {error}"))
}

fn instantiate(c: &mut Criterion) {
    let runtime = load_route("examples/counter", "/");
    let resolved = runtime
        .resolve("/")
        .expect("the counter app has a `/` route");
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("failed to start a tokio runtime");

    let mut group = c.benchmark_group("instantiate");
    group.bench_function("counter", |b| {
        b.to_async(&tokio).iter(|| async {
            let instance = runtime
                .instantiate(
                    resolved.route,
                    resolved.request.clone(),
                    Mode::Live,
                    GlobalStore::new(),
                    Replay::fresh(),
                )
                .await
                .expect("instantiating the counter route succeeds");
            drop(instance);
        });
    });
    group.bench_function("counter_first_render", |b| {
        b.to_async(&tokio).iter(|| async {
            let mut instance = runtime
                .instantiate(
                    resolved.route,
                    resolved.request.clone(),
                    Mode::Live,
                    GlobalStore::new(),
                    Replay::fresh(),
                )
                .await
                .expect("instantiating the counter route succeeds");
            let rendered = instance
                .render()
                .await
                .expect("rendering the counter route succeeds");
            std::hint::black_box(rendered);
        });
    });
    group.finish();
}

criterion_group!(benches, instantiate);
criterion_main!(benches);
