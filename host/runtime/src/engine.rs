//! The wasmtime engine configuration shared by every route of an app.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch ticker advances the engine's epoch. A guest call
/// notices its deadline at the next tick after it passes, and yields to the
/// async executor at every tick, so this is also the longest time one guest
/// occupies a host thread without a pause.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Bytes of each pooled linear memory kept resident when its slot is reused.
const KEEP_RESIDENT_BYTES: usize = 2 << 20;
/// Bytes of each pooled table kept resident when its slot is reused.
const KEEP_RESIDENT_TABLE_BYTES: usize = 64 << 10;
/// Decommits queued before they are flushed together.
const DECOMMIT_BATCH: usize = 32;

/// Settings for [`new_engine`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineOptions {
    /// Maximum linear memory of one guest memory, in bytes.
    pub memory_limit: u64,
    /// Number of guest instances that can exist at once: the size of the
    /// pooling allocator's pools. Every mounted route and every prerender in
    /// progress uses one.
    pub max_instances: u32,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            memory_limit: 64 << 20,
            max_instances: 1000,
        }
    }
}

/// Creates the wasmtime [`Engine`] that compiles and runs route components,
/// and starts the thread that drives its epoch; keep the returned
/// [`EpochTicker`] alive as long as the engine runs guests.
///
/// Every setting that differs from wasmtime's default is here:
///
/// - The component model is on, because routes are components.
/// - Guest calls are async (wasmtime's default since async support became
///   unconditional), so a running guest yields its host thread at every
///   epoch tick and thousands of routes share a few threads.
/// - Epoch interruption is on. It costs a counter check at function entries
///   and loop headers, far less than fuel metering. The ticker thread
///   advances the epoch every [`EPOCH_TICK`]; each store sets its own
///   deadline (see `RouteInstance`).
/// - The pooling allocator preallocates slots for `max_instances` instances
///   with one memory of up to `memory_limit` bytes each, so instantiation
///   reuses warm slots and takes microseconds. Linear memories keep
///   wasmtime's default reservation and guard, which lets compiled code skip
///   explicit bounds checks; the cost is virtual address space only.
/// - Copy-on-write memory initialization stays on (the default), so a fresh
///   instance maps its data segments instead of copying them.
/// - The guest's wasm stack is capped at 512 KiB (wasmtime's default, set
///   here so it is visible), so unbounded recursion traps with a stack
///   overflow; each async fiber stack is 2 MiB, room for that plus the host
///   functions the guest calls.
///
/// # Errors
///
/// Returns an error when wasmtime rejects the configuration, for example when
/// the machine cannot reserve the pool's virtual memory.
pub fn new_engine(options: &EngineOptions) -> wasmtime::Result<(Engine, EpochTicker)> {
    let mut pool = PoolingAllocationConfig::new();
    let instances = options.max_instances;
    pool.total_component_instances(instances);
    // A wasm32-wasip2 Rust guest has one main core module and a few small
    // shim modules that wasm-component-ld adds. A component may use up to
    // eight core instances, two memories and four tables, and the pool
    // totals assume four core instances, two memories and four tables on
    // average.
    pool.max_core_instances_per_component(8);
    pool.total_core_instances(instances.saturating_mul(4));
    pool.max_memories_per_component(2);
    pool.total_memories(instances.saturating_mul(2));
    pool.max_tables_per_component(4);
    pool.total_tables(instances.saturating_mul(4));
    pool.total_stacks(instances);
    pool.max_memory_size(usize::try_from(options.memory_limit).unwrap_or(usize::MAX));
    // Returning a slot to the pool normally decommits its memory with
    // madvise, whose TLB shootdowns took about 40 % of a prerender's CPU
    // time under load. Keeping the low pages resident and resetting only
    // the pages the guest touched (found with Linux's PAGEMAP_SCAN where
    // the kernel has it) avoids both the syscall and the page faults of the
    // next instance. Batching the remaining decommits amortizes the rest.
    pool.linear_memory_keep_resident(KEEP_RESIDENT_BYTES);
    pool.table_keep_resident(KEEP_RESIDENT_TABLE_BYTES);
    pool.pagemap_scan(wasmtime::Enabled::Auto);
    pool.decommit_batch_size(DECOMMIT_BATCH);

    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.max_wasm_stack(512 << 10);
    config.async_stack_size(2 << 20);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));

    let engine = Engine::new(&config)?;
    let ticker = start_epoch_ticker(&engine);
    Ok((engine, ticker))
}

/// Keeps the epoch ticker thread running; dropping it stops the thread.
#[derive(Debug)]
pub struct EpochTicker {
    stop: Arc<AtomicBool>,
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Starts a thread that advances the engine's epoch every [`EPOCH_TICK`]
/// until the returned [`EpochTicker`] is dropped.
fn start_epoch_ticker(engine: &Engine) -> EpochTicker {
    let stop = Arc::new(AtomicBool::new(false));
    let thread_stop = Arc::clone(&stop);
    let engine = engine.clone();
    std::thread::Builder::new()
        .name("trellis-epoch".into())
        .spawn(move || {
            while !thread_stop.load(Ordering::Relaxed) {
                std::thread::sleep(EPOCH_TICK);
                engine.increment_epoch();
            }
        })
        .expect("failed to spawn the epoch ticker thread");
    EpochTicker { stop }
}
