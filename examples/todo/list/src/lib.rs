//! The `/` route of the todo example: a form that adds items and a keyed
//! list of them, each with a done checkbox and a delete button.
//!
//! The browser tests of the host rely on the ids `add-form`, `new-title` and
//! `todo-list` and on the classes `toggle`, `title`, `delete` and `done`.

use todo_model::Todo;
use trellis::prelude::*;

/// The route's local state: the text typed into the new-item input.
///
/// The list itself is global state, so `/stats` reads the same list.
#[derive(Default)]
pub struct TodoList {
    draft: String,
}

impl Route for TodoList {
    fn render(&self) -> Element<Self> {
        let todos = todo_model::load();

        div()
            .class("todo-app")
            .child(h1().text("Todo"))
            .child(
                form()
                    .id("add-form")
                    .on_submit(|s: &mut Self, form: Form| {
                        let title = form.get("title").unwrap_or_default().trim();
                        if title.is_empty() {
                            return Ok(());
                        }
                        todo_model::add(title)?;
                        // The bound `value` clears the input on the next patch.
                        s.draft.clear();
                        Ok::<(), trellis::global::GlobalError>(())
                    })
                    .child(
                        input()
                            .id("new-title")
                            .name("title")
                            .attr("type", "text")
                            .placeholder("What needs doing?")
                            .value(&self.draft)
                            // Tracking the draft keeps `value` equal to what
                            // the user typed. Clearing it after a submit is
                            // then a change that the diff turns into a patch.
                            .on_input(|s: &mut Self, value| s.draft = value),
                    )
                    .child(button().attr("type", "submit").text("Add")),
            )
            .child(ul().id("todo-list").children(todos.iter().map(item)))
            .child(p().child(a().href("/stats").text("Stats")))
    }
}

fn item(todo: &Todo) -> Element<TodoList> {
    let id = todo.id;

    li().key(id.to_string())
        .class("todo")
        .class_if(todo.done, "done")
        .child(
            input()
                .attr("type", "checkbox")
                .class("toggle")
                .checked(todo.done)
                .on_checked(move |_: &mut TodoList, done| todo_model::set_done(id, done)),
        )
        .child(span().class("title").text(&todo.title))
        .child(
            button()
                .class("delete")
                .text("Delete")
                .on_click(move |_: &mut TodoList| todo_model::remove(id)),
        )
}

trellis::route!(TodoList);

#[cfg(test)]
mod tests {
    use trellis::testing::{TestHost, has_class, listener, text_content};
    use trellis::vdom::EventKind;

    use super::*;

    fn titles(host: &mut TestHost<TodoList>) -> Vec<String> {
        host.find_all(|element| has_class(element, "title"))
            .into_iter()
            .map(text_content)
            .collect()
    }

    fn fire_on_class(
        host: &mut TestHost<TodoList>,
        class: &str,
        index: usize,
        kind: EventKind,
        payload: trellis::Payload,
    ) {
        let elements = host.find_all(|element| has_class(element, class));
        let handler = listener(elements[index], kind).unwrap();
        host.fire(handler, payload).unwrap();
    }

    #[test]
    fn submit_adds_item_and_clears_input() {
        let mut host = TestHost::<TodoList>::default();
        host.input("new-title", "milk").unwrap();

        host.submit("add-form", &[("title", " milk ")]).unwrap();

        assert_eq!(titles(&mut host), ["milk"]);
        assert_eq!(host.find("new-title").unwrap().attr("value"), Some(""));
    }

    #[test]
    fn blank_title_is_ignored() {
        let mut host = TestHost::<TodoList>::default();

        host.submit("add-form", &[("title", "   ")]).unwrap();

        assert!(titles(&mut host).is_empty());
    }

    #[test]
    fn items_are_keyed_by_id() {
        let mut host = TestHost::<TodoList>::default();

        host.submit("add-form", &[("title", "a")]).unwrap();
        host.submit("add-form", &[("title", "b")]).unwrap();

        let list = host.find("todo-list").unwrap();
        let keys: Vec<_> = list.children.iter().map(|child| child.key()).collect();
        assert_eq!(keys, [Some("1"), Some("2")]);
    }

    #[test]
    fn toggle_marks_item_done() {
        let mut host = TestHost::<TodoList>::default();
        host.submit("add-form", &[("title", "a")]).unwrap();
        host.submit("add-form", &[("title", "b")]).unwrap();

        fire_on_class(
            &mut host,
            "toggle",
            1,
            EventKind::Change,
            trellis::Payload::Value("on".into()),
        );

        let items = host.find_all(|element| element.tag == "li");
        assert!(!has_class(items[0], "done"));
        assert!(has_class(items[1], "done"));
        let toggles = host.find_all(|element| has_class(element, "toggle"));
        assert_eq!(toggles[1].attr("checked"), Some(""));
    }

    #[test]
    fn delete_removes_item() {
        let mut host = TestHost::<TodoList>::default();
        host.submit("add-form", &[("title", "a")]).unwrap();
        host.submit("add-form", &[("title", "b")]).unwrap();

        fire_on_class(
            &mut host,
            "delete",
            0,
            EventKind::Click,
            trellis::Payload::None,
        );

        assert_eq!(titles(&mut host), ["b"]);
    }

    #[test]
    fn links_to_stats() {
        let mut host = TestHost::<TodoList>::default();

        let links = host.find_all(|element| element.tag == "a");

        assert_eq!(links[0].attr("href"), Some("/stats"));
    }
}
