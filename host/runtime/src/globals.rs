//! The global-state store of one render session (one browser tab).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Maximum length of a global-state key, in bytes.
pub const MAX_KEY_LEN: usize = 1024;

/// Maximum total size of one store's keys and values, in bytes. A write that
/// would pass it traps the guest, so a route cannot grow a tab's memory
/// without bound outside its own capped linear memory.
pub const MAX_STORE_BYTES: usize = 8 << 20;

/// A key-value store of serialized values shared by the routes of one tab.
///
/// Cloning gives another handle to the same store. The routes of one tab run
/// one at a time, so the lock is never contended in practice.
#[derive(Clone, Debug, Default)]
pub struct GlobalStore {
    inner: Arc<Mutex<StoreInner>>,
}

#[derive(Debug, Default)]
struct StoreInner {
    values: HashMap<String, Vec<u8>>,
    bytes: usize,
}

/// The error returned when a write would break a store limit.
#[derive(Debug, thiserror::Error)]
pub enum StoreLimitError {
    /// The key is longer than [`MAX_KEY_LEN`].
    #[error("global-state key of {len} bytes is longer than the limit of {MAX_KEY_LEN}")]
    KeyTooLong {
        /// The key's length in bytes.
        len: usize,
    },
    /// The store would grow past [`MAX_STORE_BYTES`].
    #[error(
        "global-state store would hold {bytes} bytes, more than the limit of {MAX_STORE_BYTES}"
    )]
    StoreFull {
        /// The size the store would have had.
        bytes: usize,
    },
}

impl GlobalStore {
    /// Creates an empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns a copy of the value under `key`.
    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.lock().values.get(key).cloned()
    }

    /// Stores `value` under `key`.
    ///
    /// # Errors
    ///
    /// Returns [`StoreLimitError`] when the key is too long or the store
    /// would grow past [`MAX_STORE_BYTES`]; the store is then unchanged.
    pub fn set(&self, key: String, value: Vec<u8>) -> Result<(), StoreLimitError> {
        if key.len() > MAX_KEY_LEN {
            return Err(StoreLimitError::KeyTooLong { len: key.len() });
        }
        let mut inner = self.lock();
        let old = inner
            .values
            .get(&key)
            .map_or(0, |old| key.len() + old.len());
        let bytes = inner.bytes - old + key.len() + value.len();
        if bytes > MAX_STORE_BYTES {
            return Err(StoreLimitError::StoreFull { bytes });
        }
        inner.bytes = bytes;
        inner.values.insert(key, value);
        Ok(())
    }

    /// Removes `key`; returns whether it was set.
    pub fn remove(&self, key: &str) -> bool {
        let mut inner = self.lock();
        match inner.values.remove(key) {
            Some(old) => {
                inner.bytes -= key.len() + old.len();
                true
            }
            None => false,
        }
    }

    /// Returns the total size of keys and values, in bytes.
    pub fn size_bytes(&self) -> usize {
        self.lock().bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, StoreInner> {
        // A panic while the lock is held cannot leave the map half-updated
        // (every update is one insert or remove), so a poisoned lock is safe
        // to use.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_remove_track_size() {
        let store = GlobalStore::new();

        store.set("a".into(), vec![1, 2, 3]).unwrap();
        store.set("a".into(), vec![1]).unwrap();

        assert_eq!(store.get("a"), Some(vec![1]));
        assert_eq!(store.size_bytes(), 2);
        assert!(store.remove("a"));
        assert_eq!(store.size_bytes(), 0);
        assert_eq!(store.get("a"), None);
    }

    #[test]
    fn rejects_writes_past_limit() {
        let store = GlobalStore::new();

        let error = store
            .set("big".into(), vec![0; MAX_STORE_BYTES])
            .unwrap_err();

        assert!(
            matches!(error, StoreLimitError::StoreFull { .. }),
            "{error}"
        );
        assert_eq!(store.size_bytes(), 0);
    }

    #[test]
    fn clones_share_values() {
        let store = GlobalStore::new();
        let other = store.clone();

        store.set("k".into(), vec![7]).unwrap();

        assert_eq!(other.get("k"), Some(vec![7]));
    }
}
