//! A route whose render writes global state. The host must trap that call
//! during a prerender; on mount the write succeeds and the render shows the
//! value it wrote.

use trellis::prelude::*;

/// The value the render stores under the key `mutate`.
pub const WRITTEN: &str = "written during render";

/// No local state.
#[derive(Default)]
pub struct Mutate;

impl Route for Mutate {
    fn render(&self) -> Element<Self> {
        // The render writes without reading the key, so the write does not
        // schedule a re-render of this route.
        let shown = match global::set("mutate", WRITTEN) {
            Ok(()) => WRITTEN.to_owned(),
            Err(error) => error.to_string(),
        };
        div().child(span().id("value").text(shown))
    }
}

trellis::route!(Mutate);
