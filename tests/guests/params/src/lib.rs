//! Route `/params/:id`: shows the `id` parameter in `#param` and the query
//! pairs, as `k=v` joined with `&` in URL order, in `#query`.

use trellis::prelude::*;

/// No state.
#[derive(Default)]
pub struct Params;

impl Route for Params {
    fn render(&self) -> Element<Self> {
        let query: Vec<String> = request::query()
            .into_iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        div()
            .child(
                span()
                    .id("param")
                    .text(request::param("id").unwrap_or_default()),
            )
            .child(span().id("query").text(query.join("&")))
            .child(span().id("path").text(request::path()))
    }
}

trellis::route!(Params);
