//! Trellis app configuration.
//!
//! An app is a directory with a `trellis.toml` file that maps URL path
//! patterns to route guests. [`AppConfig::load`] reads it; [`Router`] matches
//! request paths against its route patterns.
//!
//! ```toml
//! title = "Todo"
//!
//! [[routes]]
//! path = "/"
//! crate = "list"          # a guest crate, built by `trellis build`
//!
//! [[routes]]
//! path = "/items/:id"
//! component = "prebuilt/item.wasm"   # or a component built elsewhere
//!
//! [limits]
//! memory-mib = 64         # linear memory cap per guest instance
//! cpu-ms = 1000           # CPU deadline per guest call
//!
//! [sessions]
//! reconnect-grace-secs = 30
//! ```

mod config;
mod router;

pub use config::{AppConfig, ConfigError, Limits, RouteConfig, RouteSource, Sessions};
pub use router::{Match, PatternError, RoutePattern, Router, parse_query};
