//! The Trellis runtime: runs route guests in sandboxed wasmtime instances.
//!
//! [`Runtime`] owns the wasmtime engine and one pre-linked component per
//! route of an app. [`Runtime::instantiate`] creates a [`RouteInstance`]: a
//! guest instance with its own store, memory cap and CPU deadline, whose
//! [`RouteInstance::render`] returns the route's VDOM and whose
//! [`RouteInstance::handle_event`] runs an event handler. [`HostState`] is
//! what the guest's imports see: the request, the tab's [`GlobalStore`],
//! and in [`Mode::Prerender`] a sandbox in which state-changing imports
//! trap. The runtime does not depend on HTTP or sockets.

mod bindings;
mod canonical;
mod engine;
mod globals;
mod host;
mod instance;
mod limits;
mod loader;
mod stdio;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use trellis_app::{Limits, RoutePattern, Router};
use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Engine, Store};

pub use bindings::EventPayload;
pub use engine::{EPOCH_TICK, EngineOptions, EpochTicker, new_engine};
pub use globals::{GlobalStore, MAX_KEY_LEN, MAX_STORE_BYTES, StoreLimitError};
pub use host::{HostConfig, HostState, Mode, Replay, RequestInfo, SandboxViolation};
pub use instance::{CallError, Effects, Rendered, RouteInstance};
pub use limits::{DeadlineExceeded, MemoryLimitExceeded};
pub use loader::{LoadError, load_component};

use bindings::{RouteComponent, RouteComponentPre};

/// A route of an app: its pattern and the component that renders it.
#[derive(Clone, Debug)]
pub struct RouteSpec {
    /// The path pattern, such as `/items/:id`.
    pub pattern: RoutePattern,
    /// The built component file.
    pub component: PathBuf,
}

/// Settings for [`Runtime::load`].
#[derive(Clone, Debug, Default)]
pub struct RuntimeOptions {
    /// Memory cap and CPU deadline of guest calls.
    pub limits: Limits,
    /// Size of the instance pool: how many guest instances may exist at
    /// once, `EngineOptions::default().max_instances` when `None`.
    pub max_instances: Option<u32>,
    /// Directory of the precompiled-component cache; no cache when `None`.
    pub cache_dir: Option<PathBuf>,
}

/// A request path resolved to a route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// Index of the route in the runtime's route list.
    pub route: usize,
    /// The request info the route's imports report.
    pub request: RequestInfo,
}

struct LoadedRoute {
    pattern: Arc<str>,
    pre: RouteComponentPre<HostState>,
}

/// The engine and the loaded routes of one app.
pub struct Runtime {
    engine: Engine,
    _ticker: EpochTicker,
    routes: Vec<LoadedRoute>,
    router: Router,
    limits: Limits,
    live_instances: Arc<AtomicUsize>,
}

impl Runtime {
    /// Creates the engine and loads, compiles (or fetches from the cache)
    /// and links every route's component.
    ///
    /// # Errors
    ///
    /// Returns [`LoadError`] when the engine cannot be configured or a
    /// component cannot be read, compiled or linked against the Trellis and
    /// WASI imports.
    pub fn load(routes: Vec<RouteSpec>, options: RuntimeOptions) -> Result<Self, LoadError> {
        let engine_options = EngineOptions {
            memory_limit: u64::from(options.limits.memory_mib) << 20,
            max_instances: options
                .max_instances
                .unwrap_or(EngineOptions::default().max_instances),
        };
        let (engine, ticker) =
            new_engine(&engine_options).map_err(|error| LoadError::Engine(format!("{error:#}")))?;
        let linker =
            new_linker(&engine).map_err(|error| LoadError::Engine(format!("{error:#}")))?;

        let mut loaded = Vec::with_capacity(routes.len());
        for route in &routes {
            let component =
                load_component(&engine, &route.component, options.cache_dir.as_deref())?;
            let link_error = |error: wasmtime::Error| LoadError::Compile {
                path: route.component.clone(),
                message: format!("{error:#}"),
            };
            let instance_pre = linker.instantiate_pre(&component).map_err(link_error)?;
            let pre =
                RouteComponentPre::new(instance_pre).map_err(|_| LoadError::NoRouteExport {
                    path: route.component.clone(),
                    pattern: route.pattern.as_str().to_string(),
                })?;
            loaded.push(LoadedRoute {
                pattern: Arc::from(route.pattern.as_str()),
                pre,
            });
        }

        let router = Router::new(routes.into_iter().map(|route| route.pattern).collect());
        Ok(Self {
            engine,
            _ticker: ticker,
            routes: loaded,
            router,
            limits: options.limits,
            live_instances: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// Returns the wasmtime engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Returns the limits guest calls run under.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Returns how many [`RouteInstance`]s of this runtime exist: created
    /// and not yet dropped, poisoned ones included.
    pub fn live_instances(&self) -> usize {
        self.live_instances.load(Ordering::Relaxed)
    }

    /// Returns the number of routes.
    pub fn route_count(&self) -> usize {
        self.routes.len()
    }

    /// Returns the pattern of route `route`.
    ///
    /// # Panics
    ///
    /// Panics when `route` is not an index below [`Runtime::route_count`].
    pub fn pattern(&self, route: usize) -> &str {
        &self.routes[route].pattern
    }

    /// Resolves a path with an optional query (`/items/4?tab=2`) to a route
    /// and the request info its imports report, or `None` when no route
    /// matches.
    pub fn resolve(&self, path_and_query: &str) -> Option<Resolved> {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let found = self.router.find(path)?;
        Some(Resolved {
            route: found.route,
            request: RequestInfo {
                path: path.to_string(),
                params: found.params,
                query: trellis_app::parse_query(query),
            },
        })
    }

    /// Creates a fresh guest instance of route `route`.
    ///
    /// # Errors
    ///
    /// Returns [`CallError::Instantiate`] when the pool has no free slot or
    /// instantiation traps.
    ///
    /// # Panics
    ///
    /// Panics when `route` is not an index below [`Runtime::route_count`].
    pub async fn instantiate(
        &self,
        route: usize,
        request: RequestInfo,
        mode: Mode,
        globals: GlobalStore,
        replay: Replay,
    ) -> Result<RouteInstance, CallError> {
        let loaded = &self.routes[route];
        let memory_limit =
            usize::try_from(u64::from(self.limits.memory_mib) << 20).unwrap_or(usize::MAX);
        let host = HostState::new(HostConfig {
            route: Arc::clone(&loaded.pattern),
            request,
            mode,
            globals,
            replay,
            memory_limit,
        });

        let mut store = Store::new(&self.engine, host);
        store.limiter(|host| &mut host.limiter);
        let cpu_ms = u64::from(self.limits.cpu_ms);
        let cpu_ticks = cpu_ms
            .div_ceil(u64::try_from(EPOCH_TICK.as_millis()).unwrap_or(1))
            .max(1);
        instance::install_deadline(&mut store, cpu_ms);
        store.data_mut().ticks_allowed = cpu_ticks;
        store.set_epoch_deadline(1);

        let bindings: RouteComponent = loaded
            .pre
            .instantiate_async(&mut store)
            .await
            .map_err(|error| CallError::Instantiate(format!("{error:#}")))?;
        Ok(RouteInstance {
            store,
            bindings,
            route: Arc::clone(&loaded.pattern),
            cpu_ticks,
            poisoned: false,
            _live: instance::LiveInstance::new(&self.live_instances),
        })
    }
}

fn new_linker(engine: &Engine) -> wasmtime::Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    RouteComponent::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |host| host)?;
    Ok(linker)
}

/// Returns the directory of the precompiled-component cache inside an app's
/// state directory.
pub fn cache_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("cache")
}
