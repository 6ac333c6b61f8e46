//! One live guest instance of a route and the calls the host makes on it.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use trellis_core::vdom::Node;
use wasmtime::{Store, UpdateDeadline};

use crate::bindings::{EventPayload, RouteComponent};
use crate::host::{HostState, SandboxViolation};
use crate::limits::{DeadlineExceeded, MemoryLimitExceeded};

/// The error returned when a guest call fails.
///
/// Every variant but [`CallError::Guest`] and [`CallError::InvalidTree`]
/// is a trap: the instance is unusable afterwards and must be replaced.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The call ran past its CPU deadline.
    #[error(transparent)]
    Deadline(#[from] DeadlineExceeded),
    /// The guest tried to grow its memory past its cap.
    #[error(transparent)]
    Memory(#[from] MemoryLimitExceeded),
    /// The guest called a state-changing import during a prerender.
    #[error(transparent)]
    Sandbox(#[from] SandboxViolation),
    /// The guest trapped: a panic, an out-of-bounds access, a stack
    /// overflow, or an import that failed.
    #[error("the route trapped: {0}")]
    Trap(String),
    /// The guest returned an error.
    #[error("the route returned an error: {0}")]
    Guest(String),
    /// The guest returned a tree that is not valid.
    #[error("the route rendered an invalid tree: {0}")]
    InvalidTree(String),
    /// The instance trapped in an earlier call.
    #[error("the route's instance is unusable after an earlier trap")]
    Poisoned,
    /// The instance could not be created.
    #[error("failed to instantiate the route: {0}")]
    Instantiate(String),
}

impl CallError {
    /// Returns true when the error left the instance unusable.
    pub fn is_trap(&self) -> bool {
        !matches!(self, Self::Guest(_) | Self::InvalidTree(_))
    }

    /// Classifies an error from a wasmtime call.
    pub(crate) fn from_wasmtime(error: wasmtime::Error, host: &HostState) -> Self {
        if let Some(deadline) = error.downcast_ref::<DeadlineExceeded>() {
            return Self::Deadline(*deadline);
        }
        if let Some(memory) = error.downcast_ref::<MemoryLimitExceeded>() {
            return Self::Memory(*memory);
        }
        if let Some(violation) = error
            .downcast_ref::<SandboxViolation>()
            .or(host.violation.as_ref())
        {
            return Self::Sandbox(violation.clone());
        }
        // The guest's own panic message is more useful than wasmtime's trap
        // ("wasm `unreachable` instruction executed"); the wasm backtrace
        // goes to the debug log only.
        tracing::debug!(error = format!("{error:#}"), "guest trap with backtrace");
        match host.panic.take() {
            Some(panic) => Self::Trap(panic),
            None => Self::Trap(error.root_cause().to_string()),
        }
    }
}

/// A rendered tree in canonical form.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// The normalized, sanitized tree.
    pub node: Node,
    /// The canonical bincode encoding of `node`.
    pub bytes: Vec<u8>,
}

/// Side effects of guest calls: the global-state keys read and written, and
/// the navigation requested.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Effects {
    /// Keys read during the call.
    pub reads: BTreeSet<String>,
    /// Keys written or removed during the call.
    pub writes: BTreeSet<String>,
    /// The path the guest asked to navigate to.
    pub navigation: Option<String>,
}

/// A guest instance of one route, with its own store.
///
/// The instance keeps the route's local state in its linear memory between
/// calls. After a trap it is poisoned: every later call returns
/// [`CallError::Poisoned`], and the owner should create a fresh instance.
pub struct RouteInstance {
    pub(crate) store: Store<HostState>,
    pub(crate) bindings: RouteComponent,
    pub(crate) route: Arc<str>,
    pub(crate) cpu_ticks: u64,
    pub(crate) poisoned: bool,
    pub(crate) _live: LiveInstance,
}

/// One count in [`crate::Runtime::live_instances`], held by a
/// [`RouteInstance`] from its creation until it is dropped.
pub(crate) struct LiveInstance(Arc<AtomicUsize>);

impl LiveInstance {
    pub(crate) fn new(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Self(Arc::clone(count))
    }
}

impl Drop for LiveInstance {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl RouteInstance {
    /// Returns the route pattern this instance renders.
    pub fn route(&self) -> &str {
        &self.route
    }

    /// Returns the store data.
    pub fn host(&self) -> &HostState {
        self.store.data()
    }

    /// Returns the store data for changes such as [`HostState::set_mode`].
    pub fn host_mut(&mut self) -> &mut HostState {
        self.store.data_mut()
    }

    /// Returns true when an earlier call trapped.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    /// Calls the guest's `render` and returns its tree in canonical form.
    ///
    /// # Errors
    ///
    /// Returns [`CallError`] when the guest traps, returns an error, or
    /// returns bytes that do not decode to a valid tree.
    pub async fn render(&mut self) -> Result<Rendered, CallError> {
        self.begin_call()?;
        let result = self
            .bindings
            .trellis_ui_route()
            .call_render(&mut self.store)
            .await;
        let bytes = self.finish_call(result)?.map_err(CallError::Guest)?;
        crate::canonical::canonicalize(&bytes, &self.route)
    }

    /// Calls the guest's `handle-event` for handler `handler`.
    ///
    /// # Errors
    ///
    /// Returns [`CallError`] when the guest traps or returns an error.
    pub async fn handle_event(
        &mut self,
        handler: u32,
        payload: EventPayload,
    ) -> Result<(), CallError> {
        self.begin_call()?;
        let result = self
            .bindings
            .trellis_ui_route()
            .call_handle_event(&mut self.store, handler, &payload)
            .await;
        self.finish_call(result)?.map_err(CallError::Guest)
    }

    /// Returns and clears what the last calls read, wrote and asked for.
    pub fn take_effects(&mut self) -> Effects {
        let host = self.store.data_mut();
        Effects {
            reads: std::mem::take(&mut host.reads),
            writes: std::mem::take(&mut host.writes),
            navigation: host.navigation.take(),
        }
    }

    fn begin_call(&mut self) -> Result<(), CallError> {
        if self.poisoned {
            return Err(CallError::Poisoned);
        }
        let host = self.store.data_mut();
        host.violation = None;
        host.panic.take();
        host.ticks_used = 0;
        host.ticks_allowed = self.cpu_ticks;
        self.store.set_epoch_deadline(1);
        Ok(())
    }

    fn finish_call<T>(&mut self, result: wasmtime::Result<T>) -> Result<T, CallError> {
        result.map_err(|error| {
            self.poisoned = true;
            let error = CallError::from_wasmtime(error, self.store.data());
            tracing::debug!(route = &*self.route, error = %error, "guest call trapped");
            error
        })
    }
}

/// Installs the epoch callback that enforces a store's CPU deadline.
///
/// Each epoch tick that the guest is running for counts against its budget.
/// Until the budget is spent the guest yields to the async executor at every
/// tick, so other tasks run in between.
pub(crate) fn install_deadline(store: &mut Store<HostState>, cpu_ms: u64) {
    store.epoch_deadline_callback(move |mut context| {
        let host = context.data_mut();
        host.ticks_used += 1;
        if host.ticks_used > host.ticks_allowed {
            return Err(DeadlineExceeded { limit_ms: cpu_ms }.into());
        }
        Ok(UpdateDeadline::Yield(1))
    });
}
