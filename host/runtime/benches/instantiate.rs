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

mod support {
    pub mod load_route;
}

use criterion::{Criterion, criterion_group, criterion_main};
use support::load_route::load_route;
use trellis_runtime::{GlobalStore, Mode, Replay};

fn instantiate(c: &mut Criterion) {
    let (_, runtime) = load_route("examples/counter", "/");
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
