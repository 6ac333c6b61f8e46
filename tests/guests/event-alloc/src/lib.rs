//! A route that renders normally but whose `#boom` click handler allocates
//! without end, for the memory cap during an event.

use trellis::prelude::*;

const BLOCK: usize = 1 << 20;
const PAGE: usize = 4096;

/// No state.
#[derive(Default)]
pub struct EventAlloc;

impl Route for EventAlloc {
    fn render(&self) -> Element<Self> {
        div().child(
            button()
                .id("boom")
                .text("Allocate")
                .on_click(|_: &mut Self| -> () {
                    let mut blocks: Vec<Vec<u8>> = Vec::new();
                    loop {
                        let mut block = vec![0u8; BLOCK];
                        // Write to every page, so the memory is used and not
                        // only reserved.
                        for offset in (0..BLOCK).step_by(PAGE) {
                            block[offset] = 1;
                        }
                        blocks.push(std::hint::black_box(block));
                    }
                }),
        )
    }
}

trellis::route!(EventAlloc);
