//! A route that renders normally but whose `#boom` click handler panics,
//! which traps the guest during the event.

use trellis::prelude::*;

/// No state.
#[derive(Default)]
pub struct EventPanic;

impl Route for EventPanic {
    fn render(&self) -> Element<Self> {
        div().child(
            button()
                .id("boom")
                .text("Boom")
                .on_click(|_: &mut Self| -> () {
                    panic!("click handler of /event-panic fails on purpose")
                }),
        )
    }
}

trellis::route!(EventPanic);
