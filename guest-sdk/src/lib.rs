//! The guest SDK for Trellis routes.
//!
//! A Trellis route is a WebAssembly component that renders a VDOM tree and
//! handles the UI events that the browser sends for it. The host prerenders
//! the route to HTML, then mounts it over Socket.IO and turns each event into
//! a call of the route's handler and a patch of the page. This crate hides
//! the component interface: a route is a Rust struct that implements
//! [`Route`], exported with [`route!`].
//!
//! - [`Route`] is the trait a route implements: its state is the struct, and
//!   [`Route::render`] builds the tree from it.
//! - [`html`] has the element builders ([`div`](html::div),
//!   [`button`](html::button), [`el`](html::el), ...) and the event handler
//!   methods ([`on_click`](html::Element::on_click),
//!   [`on_input`](html::Element::on_input), ...).
//! - [`global`] reads and writes typed state shared by all routes of a
//!   browser tab; [`request`] returns the path, route parameters and query;
//!   [`log`] writes to the host log; [`navigate`] moves the tab to another
//!   route.
//! - [`testing`] runs a route natively in unit tests.
//!
//! # A complete route
//!
//! ```
//! use trellis::prelude::*;
//!
//! #[derive(Default)]
//! struct Counter {
//!     count: i64,
//!     echo: String,
//! }
//!
//! impl Route for Counter {
//!     fn render(&self) -> Element<Self> {
//!         div()
//!             .class("counter")
//!             .child(button().id("decrement").text("-1").on_click(|s: &mut Self| s.count -= 1))
//!             .child(span().id("count").text(self.count))
//!             .child(button().id("increment").text("+1").on_click(|s: &mut Self| s.count += 1))
//!             .child(input().id("echo-input").value(&self.echo).on_input(|s: &mut Self, value| s.echo = value))
//!             .child(p().id("echo").text(&self.echo))
//!     }
//! }
//!
//! trellis::route!(Counter);
//!
//! // The same route, driven by the native test host:
//! let mut host = trellis::testing::TestHost::<Counter>::default();
//! host.click("increment").unwrap();
//! host.input("echo-input", "hi").unwrap();
//! assert_eq!(host.text("count").as_deref(), Some("1"));
//! assert_eq!(host.text("echo").as_deref(), Some("hi"));
//! ```
//!
//! # How state and handlers live
//!
//! The host keeps one guest instance per mounted route, so the route struct
//! lives as long as the route is mounted in a browser tab. A prerender uses a
//! throwaway instance. Each render numbers its event handlers from 0 in
//! document order and keeps their closures until the next render. The
//! browser only ever receives those numbers, as `data-trellis-<event>`
//! attributes. Handlers must be `'static`: copy or clone what they need from
//! `self` into the closure.
//!
//! # Building
//!
//! A route crate is a `cdylib` built for `wasm32-wasip2`; the output `.wasm`
//! is a component of the world `route-component` in `wit/trellis.wit`. On
//! every other target, the imports are served by the in-process test host of
//! [`testing`], so `cargo test` runs routes natively.

pub mod event;
#[cfg(target_arch = "wasm32")]
mod export;
pub mod global;
pub mod html;
mod instance;
pub mod log;
pub mod request;
mod sys;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

pub use event::{Form, HandlerResult, Payload};
pub use html::{Element, View};
/// The VDOM types that a render produces, from `trellis-core`.
pub use trellis_core::vdom;

/// A route: a struct whose fields are the route's state, and how to render
/// it.
///
/// Export the type from the route's crate with [`route!`].
pub trait Route: Sized + 'static {
    /// Builds the route's tree from its current state.
    ///
    /// The host calls this for the prerender, on mount, and after every
    /// event. Keep it free of side effects: the host traps a prerender that
    /// writes global state or navigates.
    fn render(&self) -> Element<Self>;
}

/// Asks the browser tab to navigate to `path`, a same-origin path such as
/// `/stats`, once the current event has been handled.
///
/// # Panics
///
/// The host traps the guest when this runs during a prerender; the native
/// test host panics in the same case.
pub fn navigate(path: &str) {
    sys::navigate(path);
}

/// The most used names: the [`Route`] trait, the element builders and the
/// modules for global state, the request and logging.
pub mod prelude {
    pub use crate::event::Form;
    pub use crate::html::*;
    pub use crate::{Route, global, log, navigate, request};
}

/// Exports a [`Route`] type as the component's `route` interface.
///
/// `route!(Counter)` creates the state with `Counter::default()`;
/// `route!(Item, Item::load)` calls a constructor function (any
/// `fn() -> Item`) instead. The state is created on the first call into the
/// guest, so a constructor may read [`request`] parameters and [`global`]
/// state. Use it once per crate.
///
/// On targets other than wasm32 it exports nothing and only checks the types,
/// so the crate's unit tests build natively.
#[macro_export]
macro_rules! route {
    ($route:ty) => {
        $crate::route!($route, <$route as ::core::default::Default>::default);
    };
    ($route:ty, $make:expr) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            struct TrellisRouteExport;

            impl $crate::__private::Guest for TrellisRouteExport {
                fn render() -> ::core::result::Result<::std::vec::Vec<u8>, ::std::string::String> {
                    $crate::__private::render::<$route>($make)
                }

                fn handle_event(
                    handler: u32,
                    payload: $crate::__private::EventPayload,
                ) -> ::core::result::Result<(), ::std::string::String> {
                    $crate::__private::handle_event::<$route>($make, handler, payload)
                }
            }

            $crate::__private::bindings::export!(TrellisRouteExport with_types_in $crate::__private::bindings);
        };

        #[cfg(not(target_arch = "wasm32"))]
        const _: fn() -> $route = $make;
        #[cfg(not(target_arch = "wasm32"))]
        const _: fn() = $crate::__private::assert_route::<$route>;
    };
}

/// Items that [`route!`] expands to. Not part of the public API.
#[doc(hidden)]
pub mod __private {
    #[cfg(target_arch = "wasm32")]
    pub use crate::export::{handle_event, render};
    #[cfg(target_arch = "wasm32")]
    pub use crate::sys::wasm::bindings;
    #[cfg(target_arch = "wasm32")]
    pub use crate::sys::wasm::bindings::exports::trellis::ui::route::{EventPayload, Guest};

    /// Fails to compile unless `R` implements [`Route`](crate::Route).
    pub fn assert_route<R: crate::Route>() {}
}
