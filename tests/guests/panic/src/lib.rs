//! A route whose render panics, which traps the guest.

use trellis::prelude::*;

/// No state.
#[derive(Default)]
pub struct Panic;

impl Route for Panic {
    fn render(&self) -> Element<Self> {
        panic!("render of /panic fails on purpose")
    }
}

trellis::route!(Panic);
