//! The guest side of the `route` export on wasm32, called by the code that
//! [`route!`](crate::route) generates.

use std::cell::RefCell;

use crate::Route;
use crate::event::{Form, Payload};
use crate::instance::Instance;
use crate::sys::wasm::bindings::exports::trellis::ui::route::EventPayload;

/// The mounted route with its type erased, so one non-generic slot can hold
/// it.
trait Mounted {
    fn render(&mut self) -> Vec<u8>;
    fn handle_event(&mut self, id: u32, payload: Payload) -> Result<(), String>;
}

impl<R: Route> Mounted for Instance<R> {
    fn render(&mut self) -> Vec<u8> {
        Instance::render(self)
    }

    fn handle_event(&mut self, id: u32, payload: Payload) -> Result<(), String> {
        Instance::handle_event(self, id, payload)
    }
}

thread_local! {
    // One route per component instance, created on the first call.
    static MOUNTED: RefCell<Option<Box<dyn Mounted>>> = const { RefCell::new(None) };
}

fn with_mounted<R: Route, T>(make: fn() -> R, f: impl FnOnce(&mut dyn Mounted) -> T) -> T {
    MOUNTED.with(|slot| {
        let mut slot = slot.borrow_mut();
        let mounted = slot.get_or_insert_with(|| Box::new(Instance::new(make())));
        f(mounted.as_mut())
    })
}

/// Implements the `render` export.
///
/// # Errors
///
/// None: it always returns `Ok`, because [`Route::render`] cannot fail.
pub fn render<R: Route>(make: fn() -> R) -> Result<Vec<u8>, String> {
    Ok(with_mounted(make, |mounted| mounted.render()))
}

/// Implements the `handle-event` export.
///
/// # Errors
///
/// Returns an error for a handler ID the last render did not issue, a
/// payload that does not fit the handler's event, or a failed handler.
pub fn handle_event<R: Route>(
    make: fn() -> R,
    handler: u32,
    payload: EventPayload,
) -> Result<(), String> {
    let payload = match payload {
        EventPayload::None => Payload::None,
        EventPayload::Value(value) => Payload::Value(value),
        EventPayload::Form(fields) => Payload::Form(Form::from(fields)),
    };
    with_mounted(make, |mounted| mounted.handle_event(handler, payload))
}
