//! A route whose render allocates without end, for the host's memory limit.

use trellis::prelude::*;

const BLOCK: usize = 1 << 20;
const PAGE: usize = 4096;

/// No state: the render never returns.
#[derive(Default)]
pub struct Alloc;

impl Route for Alloc {
    fn render(&self) -> Element<Self> {
        let mut blocks: Vec<Vec<u8>> = Vec::new();
        loop {
            let mut block = vec![0u8; BLOCK];
            // Write to every page, so the memory is used and not only
            // reserved.
            for offset in (0..BLOCK).step_by(PAGE) {
                block[offset] = 1;
            }
            blocks.push(std::hint::black_box(block));
        }
    }
}

trellis::route!(Alloc);
