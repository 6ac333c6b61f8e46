//! A route that renders normally but whose `#boom` click handler never
//! returns, for the CPU deadline of event calls.

use trellis::prelude::*;

/// No state.
#[derive(Default)]
pub struct EventLoop;

impl Route for EventLoop {
    fn render(&self) -> Element<Self> {
        div().child(
            button()
                .id("boom")
                .text("Loop")
                .on_click(|_: &mut Self| -> () {
                    let mut spins = 0u64;
                    loop {
                        // `black_box` keeps the loop a busy loop.
                        spins = std::hint::black_box(spins.wrapping_add(1));
                    }
                }),
        )
    }
}

trellis::route!(EventLoop);
