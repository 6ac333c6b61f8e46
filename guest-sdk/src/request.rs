//! The request that the route renders for: path, route parameters and query.
//!
//! The values come from the host on every call, so they describe the URL the
//! route is mounted at.

use crate::sys;

/// Returns the path being rendered, without the query, such as `/items/42`.
pub fn path() -> String {
    sys::request_path()
}

/// Returns the parameters that the route pattern captured, in pattern order:
/// `/items/:id` matched against `/items/42` gives `[("id", "42")]`.
pub fn params() -> Vec<(String, String)> {
    sys::request_params()
}

/// Returns the route parameter `name`, or `None` when the pattern has none of
/// that name.
pub fn param(name: &str) -> Option<String> {
    first(sys::request_params(), name)
}

/// Returns the percent-decoded query pairs in URL order, repeated keys kept.
pub fn query() -> Vec<(String, String)> {
    sys::request_query()
}

/// Returns the first value of query key `name`.
pub fn query_param(name: &str) -> Option<String> {
    first(sys::request_query(), name)
}

fn first(pairs: Vec<(String, String)>, name: &str) -> Option<String> {
    pairs
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}
