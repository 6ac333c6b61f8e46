//! The `/stats` route of the todo example: how many items the shared list
//! has and how many are done.

use trellis::prelude::*;

/// The route has no local state: everything comes from the global list.
#[derive(Default)]
pub struct Stats;

impl Route for Stats {
    fn render(&self) -> Element<Self> {
        let todos = todo_model::load();
        let done = todos.iter().filter(|todo| todo.done).count();
        let noun = if todos.len() == 1 { "item" } else { "items" };

        div()
            .class("todo-stats")
            .child(h1().text("Stats"))
            .child(
                p().id("stats")
                    .text(format!("{} {noun}, {done} done", todos.len())),
            )
            .child(p().child(a().href("/").text("Back to the list")))
    }
}

trellis::route!(Stats);

#[cfg(test)]
mod tests {
    use trellis::testing::TestHost;

    use super::*;

    #[test]
    fn counts_items_and_done() {
        todo_model::add("a").unwrap();
        todo_model::add("b").unwrap();
        todo_model::set_done(2, true).unwrap();
        let mut host = TestHost::<Stats>::default();

        assert_eq!(host.text("stats").as_deref(), Some("2 items, 1 done"));
    }

    #[test]
    fn empty_list() {
        let mut host = TestHost::<Stats>::default();

        assert_eq!(host.text("stats").as_deref(), Some("0 items, 0 done"));
    }

    #[test]
    fn one_item_is_singular() {
        todo_model::add("a").unwrap();
        let mut host = TestHost::<Stats>::default();

        assert_eq!(host.text("stats").as_deref(), Some("1 item, 0 done"));
    }
}
