//! A route whose render differs between a prerender and the mount that
//! follows it, because it shows the monotonic clock, which the host does not
//! replay. It also shows what the host does replay: a random number from the
//! WASI random source and the wall-clock time.
//!
//! `#monotonic` is the WASI monotonic clock in nanoseconds, `#random` a
//! random `u64` and `#wall` the wall-clock time in milliseconds since the
//! UNIX epoch, each as decimal text.

use trellis::prelude::*;

/// No state.
#[derive(Default)]
pub struct Changing;

impl Route for Changing {
    fn render(&self) -> Element<Self> {
        div()
            .child(span().id("monotonic").text(monotonic_nanos()))
            .child(span().id("random").text(random_u64()))
            .child(span().id("wall").text(wall_millis()))
    }
}

/// Returns the wall-clock time in milliseconds since the UNIX epoch.
fn wall_millis() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis())
}

#[cfg(target_arch = "wasm32")]
fn monotonic_nanos() -> u64 {
    wasip2::clocks::monotonic_clock::now()
}

#[cfg(target_arch = "wasm32")]
fn random_u64() -> u64 {
    wasip2::random::random::get_random_u64()
}

/// Measures from the first call in native builds (unit tests), where there
/// is no WASI clock to read.
#[cfg(not(target_arch = "wasm32"))]
fn monotonic_nanos() -> u64 {
    use std::sync::OnceLock;
    use std::time::Instant;

    static START: OnceLock<Instant> = OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Uses std's randomly keyed hasher in native builds (unit tests).
#[cfg(not(target_arch = "wasm32"))]
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};

    RandomState::new().hash_one(0u8)
}

trellis::route!(Changing);
