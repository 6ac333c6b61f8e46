//! A route whose render never returns, for the host's CPU deadline.

use trellis::prelude::*;

/// No state: the render never gets far enough to need any.
#[derive(Default)]
pub struct Loop;

impl Route for Loop {
    fn render(&self) -> Element<Self> {
        let mut spins = 0u64;
        loop {
            // `black_box` keeps the optimizer from proving anything about
            // the loop, so it stays a busy loop in the output.
            spins = std::hint::black_box(spins.wrapping_add(1));
        }
    }
}

trellis::route!(Loop);
