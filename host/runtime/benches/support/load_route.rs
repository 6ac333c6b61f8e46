//! Loading one built route for a benchmark, shared by the runtime and
//! server benchmarks (the server's includes this file with `#[path]`).

use std::path::Path;

use trellis_app::AppConfig;
use trellis_build::BuildOptions;
use trellis_runtime::{RouteSpec, Runtime, RuntimeOptions, cache_dir};

/// Builds the guests of `app_dir` (relative to the repository root) and
/// loads only the route whose pattern is `pattern`, with the app's limits,
/// the default pool size and the app's component cache, as `trellis serve`
/// does. Returns the app's configuration with the runtime.
pub fn load_route(app_dir: &str, pattern: &str) -> (AppConfig, Runtime) {
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
    let runtime = Runtime::load(routes, options)
        .unwrap_or_else(|error| panic!("failed to load the component of {pattern}: {error}"));
    (config, runtime)
}
