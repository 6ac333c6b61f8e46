//! The todo list that the `/` and `/stats` routes share through global
//! state.
//!
//! Global values are bincode-encoded, so every route must read and write the
//! key with the same Rust type. Keeping the type in this one crate ensures
//! that.

use serde::{Deserialize, Serialize};
use trellis::global::{self, GlobalError};

/// The global-state key of the list.
pub const KEY: &str = "todos";

/// One todo item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Todo {
    /// Unique among the items of the list; also the item's VDOM key.
    pub id: u64,
    /// The task, as the user typed it.
    pub title: String,
    /// Whether it is done.
    pub done: bool,
}

/// Returns the list, empty when none was stored yet or the stored value is
/// unreadable (the SDK logs that case).
pub fn load() -> Vec<Todo> {
    global::get(KEY).unwrap_or_default()
}

/// Appends an item titled `title` with a fresh ID.
///
/// # Errors
///
/// Returns [`GlobalError`] when the stored list cannot be decoded or the new
/// one encoded.
pub fn add(title: &str) -> Result<(), GlobalError> {
    global::update(KEY, |todos: &mut Vec<Todo>| {
        // One more than the largest ID. The ID of a removed last item may
        // come back, which is fine because keys only need to be unique among
        // the current items.
        let id = todos.iter().map(|todo| todo.id + 1).max().unwrap_or(1);
        todos.push(Todo {
            id,
            title: title.to_owned(),
            done: false,
        });
    })
}

/// Sets whether item `id` is done. An unknown ID changes nothing.
///
/// # Errors
///
/// As [`add`].
pub fn set_done(id: u64, done: bool) -> Result<(), GlobalError> {
    global::update(KEY, |todos: &mut Vec<Todo>| {
        if let Some(todo) = todos.iter_mut().find(|todo| todo.id == id) {
            todo.done = done;
        }
    })
}

/// Removes item `id`. An unknown ID changes nothing.
///
/// # Errors
///
/// As [`add`].
pub fn remove(id: u64) -> Result<(), GlobalError> {
    global::update(KEY, |todos: &mut Vec<Todo>| {
        todos.retain(|todo| todo.id != id)
    })
}
