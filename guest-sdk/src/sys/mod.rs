//! The host imports, behind one set of functions for both targets.
//!
//! On wasm32 they call the component's imports through the bindings that
//! `wit-bindgen` generates from `wit/trellis.wit`. On other targets they use
//! the in-process test host of [`native`], so routes run in plain unit tests.

#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod native;
#[cfg(target_arch = "wasm32")]
pub(crate) mod wasm;

#[cfg(not(target_arch = "wasm32"))]
pub(crate) use native::*;
#[cfg(target_arch = "wasm32")]
pub(crate) use wasm::*;
