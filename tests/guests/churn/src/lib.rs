//! A route whose every render allocates 1 MiB, writes every page of it and
//! frees it again, for the host's memory over many short-lived tabs.

use trellis::prelude::*;

const BLOCK: usize = 1 << 20;
const PAGE: usize = 4096;

/// No state.
#[derive(Default)]
pub struct Churn;

impl Route for Churn {
    fn render(&self) -> Element<Self> {
        let mut block = vec![0u8; BLOCK];
        for offset in (0..BLOCK).step_by(PAGE) {
            block[offset] = 1;
        }
        let touched: usize = std::hint::black_box(&block).iter().map(|&byte| usize::from(byte)).sum();
        drop(block);
        div().child(span().id("pages").text(touched))
    }
}

trellis::route!(Churn);
