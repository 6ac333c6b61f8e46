//! The host side of one guest store: WASI, limits and the Trellis imports.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use rand::SeedableRng;
use rand::rngs::StdRng;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::bindings::{self, Level};
use crate::globals::GlobalStore;
use crate::stdio::{LogStream, PanicCapture};

/// What a guest call is for, which decides what its imports may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Rendering for an HTTP request: imports that change state outside the
    /// render trap.
    Prerender,
    /// A mounted route of a render session: every import works.
    Live,
}

/// The request a route renders for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestInfo {
    /// The URL path without the query, such as `/items/42`.
    pub path: String,
    /// Parameters captured by the route pattern, in pattern order.
    pub params: Vec<(String, String)>,
    /// Decoded query pairs in URL order.
    pub query: Vec<(String, String)>,
}

/// Inputs that make a render repeatable: the seed of the guest's random
/// numbers and the wall-clock time it reads while the clock is frozen.
///
/// A prerender and the mount that follows it get the same values, so a route
/// that shows a random number or the time renders the same tree twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Replay {
    /// Seed of the guest's random number generator.
    pub seed: [u8; 32],
    /// Wall-clock time, since the UNIX epoch, that the guest reads while the
    /// clock is frozen.
    pub clock_start: Duration,
}

impl Replay {
    /// Creates fresh values: a random seed and the current time, truncated to
    /// whole milliseconds so that it survives a round trip through the page.
    pub fn fresh() -> Self {
        let mut seed = [0u8; 32];
        rand::fill(&mut seed);
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let clock_start = Duration::from_millis(u64::try_from(now.as_millis()).unwrap_or(u64::MAX));
        Self { seed, clock_start }
    }
}

/// The import that a guest called where it is not allowed, which trapped it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the route called `{import}` during a prerender, where it cannot change state")]
pub struct SandboxViolation {
    /// The WIT name of the import, such as `global-state.set`.
    pub import: &'static str,
}

/// The store data of one guest instance.
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: crate::limits::Limiter,
    route: Arc<str>,
    request: RequestInfo,
    mode: Mode,
    globals: GlobalStore,
    clock_frozen: Arc<AtomicBool>,
    /// Keys the guest read during the current call.
    pub(crate) reads: BTreeSet<String>,
    /// Keys the guest wrote or removed during the current call.
    pub(crate) writes: BTreeSet<String>,
    /// The last path the guest asked to navigate to during the current call.
    pub(crate) navigation: Option<String>,
    /// The sandbox rule that trapped the current call, if one did.
    pub(crate) violation: Option<SandboxViolation>,
    /// Epoch ticks the current call has run for.
    pub(crate) ticks_used: u64,
    /// Epoch ticks the current call may run for.
    pub(crate) ticks_allowed: u64,
    /// The panic the guest printed during the current call, if any.
    pub(crate) panic: PanicCapture,
}

/// Settings for [`HostState::new`].
pub struct HostConfig {
    /// The route's path pattern, used to tag log lines.
    pub route: Arc<str>,
    /// The request the route renders for.
    pub request: RequestInfo,
    /// Whether state-changing imports are allowed.
    pub mode: Mode,
    /// The tab's global-state store (a fresh one for a prerender).
    pub globals: GlobalStore,
    /// Seed and frozen clock time.
    pub replay: Replay,
    /// Linear memory cap of the instance, in bytes.
    pub memory_limit: usize,
}

impl HostState {
    /// Creates the store data for one instance.
    ///
    /// The guest gets WASI 0.2 with nothing to reach outside: no preopened
    /// directories, no environment variables, no arguments, no network
    /// (wasmtime-wasi denies sockets unless `inherit_network` is called), an
    /// empty stdin, and stdout and stderr that go to the host log. Its random
    /// numbers come from a generator seeded with `replay.seed`, and its wall
    /// clock stays at `replay.clock_start` until [`HostState::unfreeze_clock`].
    pub fn new(config: HostConfig) -> Self {
        let clock_frozen = Arc::new(AtomicBool::new(true));
        let panic = PanicCapture::default();
        let clock = ReplayClock {
            start: config.replay.clock_start,
            frozen: Arc::clone(&clock_frozen),
        };
        let mut insecure_seed = [0u8; 16];
        insecure_seed.copy_from_slice(
            &blake3::derive_key("trellis insecure random seed", &config.replay.seed)[..16],
        );
        let insecure_key = blake3::derive_key("trellis insecure random", &config.replay.seed);

        let wasi = WasiCtxBuilder::new()
            .stdout(LogStream::stdout(Arc::clone(&config.route)))
            .stderr(LogStream::stderr(Arc::clone(&config.route), panic.clone()))
            .wall_clock(clock)
            .secure_random(StdRng::from_seed(config.replay.seed))
            .insecure_random(StdRng::from_seed(insecure_key))
            .insecure_random_seed(u128::from_le_bytes(insecure_seed))
            .allow_blocking_current_thread(false)
            .build();
        let limiter = crate::limits::Limiter {
            memory_limit: config.memory_limit,
        };

        Self {
            wasi,
            table: ResourceTable::new(),
            limiter,
            route: config.route,
            request: config.request,
            mode: config.mode,
            globals: config.globals,
            clock_frozen,
            reads: BTreeSet::new(),
            writes: BTreeSet::new(),
            navigation: None,
            violation: None,
            ticks_used: 0,
            ticks_allowed: 0,
            panic,
        }
    }

    /// Lets the guest's wall clock run live from now on.
    pub fn unfreeze_clock(&self) {
        self.clock_frozen.store(false, Ordering::Relaxed);
    }

    /// Switches the instance between prerender and live mode.
    pub fn set_mode(&mut self, mode: Mode) {
        self.mode = mode;
    }

    /// Returns the tab's global-state store.
    pub fn globals(&self) -> &GlobalStore {
        &self.globals
    }

    fn check_mutation(&mut self, import: &'static str) -> wasmtime::Result<()> {
        if self.mode == Mode::Prerender {
            let violation = SandboxViolation { import };
            self.violation = Some(violation.clone());
            return Err(violation.into());
        }
        Ok(())
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// A wall clock that reports a fixed time until it is unfrozen, then the
/// system time.
struct ReplayClock {
    start: Duration,
    frozen: Arc<AtomicBool>,
}

impl HostWallClock for ReplayClock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }

    fn now(&self) -> Duration {
        if self.frozen.load(Ordering::Relaxed) {
            return self.start;
        }
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
    }
}

impl bindings::trellis::ui::request::Host for HostState {
    fn path(&mut self) -> wasmtime::Result<String> {
        Ok(self.request.path.clone())
    }

    fn params(&mut self) -> wasmtime::Result<Vec<(String, String)>> {
        Ok(self.request.params.clone())
    }

    fn query(&mut self) -> wasmtime::Result<Vec<(String, String)>> {
        Ok(self.request.query.clone())
    }
}

impl bindings::trellis::ui::global_state::Host for HostState {
    fn get(&mut self, key: String) -> wasmtime::Result<Option<Vec<u8>>> {
        let value = self.globals.get(&key);
        self.reads.insert(key);
        Ok(value)
    }

    fn set(&mut self, key: String, value: Vec<u8>) -> wasmtime::Result<()> {
        self.check_mutation("global-state.set")?;
        self.globals.set(key.clone(), value)?;
        self.writes.insert(key);
        Ok(())
    }

    fn remove(&mut self, key: String) -> wasmtime::Result<()> {
        self.check_mutation("global-state.remove")?;
        self.globals.remove(&key);
        self.writes.insert(key);
        Ok(())
    }
}

impl bindings::trellis::ui::navigation::Host for HostState {
    fn navigate(&mut self, path: String) -> wasmtime::Result<()> {
        self.check_mutation("navigation.navigate")?;
        self.navigation = Some(path);
        Ok(())
    }
}

/// Maximum length of a guest log message, in bytes; longer ones are cut.
const MAX_LOG_MESSAGE: usize = 4096;

impl bindings::trellis::ui::log::Host for HostState {
    fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        let message = crate::stdio::truncate(&message, MAX_LOG_MESSAGE);
        let route = &*self.route;
        match level {
            Level::Trace => tracing::trace!(target: "trellis::guest", route, "{message}"),
            Level::Debug => tracing::debug!(target: "trellis::guest", route, "{message}"),
            Level::Info => tracing::info!(target: "trellis::guest", route, "{message}"),
            Level::Warn => tracing::warn!(target: "trellis::guest", route, "{message}"),
            Level::Error => tracing::error!(target: "trellis::guest", route, "{message}"),
        }
        Ok(())
    }
}
