//! Logging into the host's log, where records are tagged with the route.
//!
//! The macros take `format!` arguments:
//!
//! ```
//! let id = 4;
//! trellis::log::info!("loaded item {id}");
//! ```
//!
//! Prefer these to printing to stdout or stderr: a record carries a level.

use crate::sys;

/// Severity of a log record, as in the `tracing` crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Very detailed tracing.
    Trace,
    /// Information useful when debugging.
    Debug,
    /// Normal operation.
    Info,
    /// Something unexpected that the route recovered from.
    Warn,
    /// A failure.
    Error,
}

/// Writes `message` to the host log at `level`.
pub fn write(level: Level, message: &str) {
    sys::log(level, message);
}

#[doc(hidden)]
#[macro_export]
macro_rules! __log_trace {
    ($($arg:tt)+) => { $crate::log::write($crate::log::Level::Trace, &::std::format!($($arg)+)) };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __log_debug {
    ($($arg:tt)+) => { $crate::log::write($crate::log::Level::Debug, &::std::format!($($arg)+)) };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __log_info {
    ($($arg:tt)+) => { $crate::log::write($crate::log::Level::Info, &::std::format!($($arg)+)) };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __log_warn {
    ($($arg:tt)+) => { $crate::log::write($crate::log::Level::Warn, &::std::format!($($arg)+)) };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __log_error {
    ($($arg:tt)+) => { $crate::log::write($crate::log::Level::Error, &::std::format!($($arg)+)) };
}

/// Logs a `format!` message at trace level.
#[doc(inline)]
pub use crate::__log_trace as trace;

/// Logs a `format!` message at debug level.
#[doc(inline)]
pub use crate::__log_debug as debug;

/// Logs a `format!` message at info level.
#[doc(inline)]
pub use crate::__log_info as info;

/// Logs a `format!` message at warn level.
#[doc(inline)]
pub use crate::__log_warn as warn;

/// Logs a `format!` message at error level.
#[doc(inline)]
pub use crate::__log_error as error;
