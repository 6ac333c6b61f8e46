//! A route that prints one line to stdout and one to stderr on each render,
//! for the host's capture of guest output.

use trellis::prelude::*;

/// No state.
#[derive(Default)]
pub struct Stderr;

impl Route for Stderr {
    fn render(&self) -> Element<Self> {
        println!("hello from stdout");
        eprintln!("hello from stderr");
        div().child(span().id("printed").text("printed"))
    }
}

trellis::route!(Stderr);
