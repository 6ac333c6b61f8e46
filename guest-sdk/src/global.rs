//! Typed global state, shared by every route of one browser tab.
//!
//! The host keeps one key-value store per render session (one browser tab).
//! Every route of the tab reads and writes it, and a write re-renders every
//! mounted route that read the key.
//!
//! Values are encoded with bincode 2's serde support (standard
//! configuration), which is compact but not self-describing. So every route
//! that shares a key must use the same Rust type for it, and types that need
//! `deserialize_any` (such as `#[serde(untagged)]` enums) do not work.
//!
//! Writes ([`set`], [`update`], [`remove`]) belong in event handlers. The
//! host traps a prerender that writes, because a prerender must not change
//! state outside itself.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use trellis::global;
//!
//! #[derive(Serialize, Deserialize, Default)]
//! struct Cart {
//!     items: Vec<String>,
//! }
//!
//! global::update("cart", |cart: &mut Cart| cart.items.push("apple".into()))?;
//!
//! let cart: Cart = global::get("cart").unwrap_or_default();
//! assert_eq!(cart.items, ["apple"]);
//! # Ok::<(), global::GlobalError>(())
//! ```

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::log::Level;
use crate::sys;

/// The error returned when a global value cannot be encoded or decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GlobalError {
    /// The stored bytes are not a value of the requested type, usually
    /// because another route stored a different type under the same key.
    Decode {
        /// The key read.
        key: String,
        /// The message bincode returned.
        reason: String,
    },
    /// The value could not be encoded, for example because its `Serialize`
    /// implementation failed.
    Encode {
        /// The key written.
        key: String,
        /// The message bincode returned.
        reason: String,
    },
}

impl fmt::Display for GlobalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Decode { key, reason } => write!(
                f,
                "global key `{key}` does not hold a value of the requested type ({reason}); check that every route stores the same type under it"
            ),
            Self::Encode { key, reason } => write!(
                f,
                "failed to encode the value for global key `{key}`: {reason}"
            ),
        }
    }
}

impl std::error::Error for GlobalError {}

/// Returns the value stored under `key`, or `None` when the key is unset or
/// its bytes do not decode as a `T`.
///
/// A decoding failure is logged at error level with the key. Use [`try_get`]
/// to handle it yourself.
pub fn get<T: DeserializeOwned>(key: &str) -> Option<T> {
    match try_get(key) {
        Ok(value) => value,
        Err(error) => {
            crate::log::write(Level::Error, &error.to_string());
            None
        }
    }
}

/// Returns the value stored under `key`, or `Ok(None)` when the key is unset.
///
/// Reading a key subscribes the route to it: a later write to the key by any
/// route of the tab re-renders this one.
///
/// # Errors
///
/// Returns [`GlobalError::Decode`] when the stored bytes are not exactly one
/// encoded `T`.
pub fn try_get<T: DeserializeOwned>(key: &str) -> Result<Option<T>, GlobalError> {
    let Some(bytes) = sys::global_get(key) else {
        return Ok(None);
    };
    let decode_error = |reason: String| GlobalError::Decode {
        key: key.to_owned(),
        reason,
    };

    let (value, read) = bincode::serde::decode_from_slice(&bytes, bincode::config::standard())
        .map_err(|error| decode_error(error.to_string()))?;
    // Trailing bytes mean the value was written as another type whose prefix
    // happened to decode.
    if read != bytes.len() {
        return Err(decode_error(format!(
            "{} bytes left over after the value",
            bytes.len() - read
        )));
    }
    Ok(Some(value))
}

/// Stores `value` under `key`, re-rendering every mounted route of the tab
/// that read the key.
///
/// # Errors
///
/// Returns [`GlobalError::Encode`] when `value` cannot be encoded, such as a
/// sequence whose `Serialize` implementation gives no length.
///
/// # Panics
///
/// The host traps the guest (which aborts the call) when this runs during a
/// prerender. The native test host panics in the same case.
pub fn set<T: Serialize + ?Sized>(key: &str, value: &T) -> Result<(), GlobalError> {
    let bytes =
        bincode::serde::encode_to_vec(value, bincode::config::standard()).map_err(|error| {
            GlobalError::Encode {
                key: key.to_owned(),
                reason: error.to_string(),
            }
        })?;
    sys::global_set(key, &bytes);
    Ok(())
}

/// Reads the value under `key` (or `T::default()` when unset), passes it to
/// `change`, and stores the result.
///
/// # Errors
///
/// Returns [`GlobalError::Decode`] when the stored bytes are not a `T`, in
/// which case nothing is written, or [`GlobalError::Encode`] as [`set`] does.
///
/// # Panics
///
/// As [`set`], when it runs during a prerender.
pub fn update<T, F>(key: &str, change: F) -> Result<(), GlobalError>
where
    T: Serialize + DeserializeOwned + Default,
    F: FnOnce(&mut T),
{
    let mut value = try_get(key)?.unwrap_or_default();
    change(&mut value);
    set(key, &value)
}

/// Removes `key` from the store.
///
/// # Panics
///
/// As [`set`], when it runs during a prerender.
pub fn remove(key: &str) {
    sys::global_remove(key);
}
