//! Host bindings generated from `wit/trellis.wit`.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "route-component",
    // Host imports are synchronous (they only touch in-memory state) and
    // trappable, so a mutation during a prerender can trap the guest.
    imports: { default: trappable },
    // Exports are called asynchronously so that epoch ticks can yield.
    exports: { default: async },
});

pub use exports::trellis::ui::route::EventPayload;
pub use trellis::ui::log::Level;
