//! Per-store resource limits and the CPU deadline of guest calls.

use wasmtime::ResourceLimiter;

/// Maximum elements of one guest table. Rust guests use one small table for
/// indirect calls. The cap stops a guest from growing host memory through
/// tables instead of its capped linear memory.
const MAX_TABLE_ELEMENTS: usize = 100_000;

/// The error that traps a guest whose memory would grow past its cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the route tried to grow its memory to {requested} bytes, past its limit of {limit} bytes")]
pub struct MemoryLimitExceeded {
    /// The size the guest asked for, in bytes.
    pub requested: usize,
    /// The cap, in bytes.
    pub limit: usize,
}

/// The error that traps a guest call that ran past its CPU deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the route ran past its CPU deadline of {limit_ms} ms")]
pub struct DeadlineExceeded {
    /// The deadline, in milliseconds.
    pub limit_ms: u64,
}

/// Caps the linear memory and tables of one store.
#[derive(Debug)]
pub(crate) struct Limiter {
    pub(crate) memory_limit: usize,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_limit {
            return Err(MemoryLimitExceeded {
                requested: desired,
                limit: self.memory_limit,
            }
            .into());
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}
