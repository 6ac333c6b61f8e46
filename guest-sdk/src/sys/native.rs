//! An in-process stand-in for the host imports, for native builds.
//!
//! All state is thread-local. Each test of the default test harness runs on
//! a thread of its own, so tests do not see each other's global state, while
//! the routes of one test share it as the routes of one browser tab do.

use std::cell::RefCell;
use std::collections::BTreeMap;

use crate::log::Level;

/// The request the next guest call renders for.
#[derive(Clone, Debug, Default)]
pub(crate) struct Request {
    pub(crate) path: String,
    pub(crate) params: Vec<(String, String)>,
    pub(crate) query: Vec<(String, String)>,
}

#[derive(Default)]
pub(crate) struct Env {
    pub(crate) request: Request,
    pub(crate) globals: BTreeMap<String, Vec<u8>>,
    pub(crate) logs: Vec<(Level, String)>,
    pub(crate) navigations: Vec<String>,
    /// True while a test prerenders: the host traps on writes then.
    pub(crate) prerender: bool,
}

thread_local! {
    static ENV: RefCell<Env> = RefCell::new(Env {
        request: Request { path: "/".into(), ..Request::default() },
        ..Env::default()
    });
}

/// Runs `f` on this thread's environment.
pub(crate) fn with_env<T>(f: impl FnOnce(&mut Env) -> T) -> T {
    ENV.with(|env| f(&mut env.borrow_mut()))
}

/// Panics as the host traps when a prerender calls an import that writes.
fn check_writable(import: &str) {
    if with_env(|env| env.prerender) {
        panic!(
            "{import} called during a prerender: the host traps, because a prerender must not change state"
        );
    }
}

pub(crate) fn request_path() -> String {
    with_env(|env| env.request.path.clone())
}

pub(crate) fn request_params() -> Vec<(String, String)> {
    with_env(|env| env.request.params.clone())
}

pub(crate) fn request_query() -> Vec<(String, String)> {
    with_env(|env| env.request.query.clone())
}

pub(crate) fn global_get(key: &str) -> Option<Vec<u8>> {
    with_env(|env| env.globals.get(key).cloned())
}

pub(crate) fn global_set(key: &str, value: &[u8]) {
    check_writable("global-state.set");
    with_env(|env| env.globals.insert(key.to_owned(), value.to_owned()));
}

pub(crate) fn global_remove(key: &str) {
    check_writable("global-state.remove");
    with_env(|env| env.globals.remove(key));
}

pub(crate) fn navigate(path: &str) {
    check_writable("navigation.navigate");
    with_env(|env| env.navigations.push(path.to_owned()));
}

pub(crate) fn log(level: Level, message: &str) {
    with_env(|env| env.logs.push((level, message.to_owned())));
}
