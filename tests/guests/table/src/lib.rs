//! Route `/table`: a `table#rows` of [`ROWS`] rows with four cells each
//! (index, name, quantity, status), the large route that
//! `host/server/benches/prerender.rs` prerenders. The content depends only
//! on the row index, so every render returns the same tree.

use trellis::prelude::*;

/// Number of body rows.
pub const ROWS: u32 = 1000;

/// No state.
#[derive(Default)]
pub struct Table;

impl Route for Table {
    fn render(&self) -> Element<Self> {
        let header = tr()
            .child(th().text("#"))
            .child(th().text("Name"))
            .child(th().text("Quantity"))
            .child(th().text("Status"));
        table()
            .id("rows")
            .child(thead().child(header))
            .child(tbody().children((0..ROWS).map(row)))
    }
}

fn row(index: u32) -> Element<Table> {
    let status = if index % 3 == 0 { "shipped" } else { "pending" };
    tr().key(index.to_string())
        .class(if index % 2 == 0 { "even" } else { "odd" })
        .child(td().text(index))
        .child(td().text(format!("Item {index}")))
        .child(td().class("quantity").text(index * 7 % 100))
        .child(td().class(status).text(status))
}

trellis::route!(Table);
