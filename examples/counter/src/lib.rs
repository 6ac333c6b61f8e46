//! The `/` route of the counter example: a count with increment and
//! decrement buttons, and a text input echoed live below it.
//!
//! The browser tests of the host address elements by their `id`s, so keep
//! `increment`, `decrement`, `count`, `echo-input` and `echo` as they are.

use trellis::prelude::*;

/// The route's state, which lives as long as the route is mounted.
#[derive(Default)]
pub struct Counter {
    count: i64,
    echo: String,
}

impl Route for Counter {
    fn render(&self) -> Element<Self> {
        div()
            .class("counter")
            .child(h1().text("Counter"))
            .child(
                div()
                    .class("controls")
                    .child(
                        button()
                            .id("decrement")
                            .text("-1")
                            .on_click(|s: &mut Self| s.count -= 1),
                    )
                    // The number must stay the only child of `#count`.
                    .child(span().id("count").text(self.count))
                    .child(
                        button()
                            .id("increment")
                            .text("+1")
                            .on_click(|s: &mut Self| s.count += 1),
                    ),
            )
            .child(
                label().text("Echo: ").child(
                    input()
                        .id("echo-input")
                        .attr("type", "text")
                        .value(&self.echo)
                        .on_input(|s: &mut Self, value| s.echo = value),
                ),
            )
            .child(p().id("echo").text(&self.echo))
            .child(p().child(a().href("/lucky").text("Try your luck")))
    }
}

trellis::route!(Counter);

#[cfg(test)]
mod tests {
    use trellis::testing::TestHost;

    use super::*;

    #[test]
    fn buttons_change_count() {
        let mut host = TestHost::<Counter>::default();

        host.click("increment").unwrap();
        host.click("increment").unwrap();
        host.click("decrement").unwrap();

        assert_eq!(host.text("count").as_deref(), Some("1"));
    }

    #[test]
    fn count_is_only_child_of_count() {
        let mut host = TestHost::<Counter>::default();

        let count = host.find("count").unwrap();

        assert_eq!(count.children, [trellis::vdom::Node::text("0")]);
    }

    #[test]
    fn input_is_echoed() {
        let mut host = TestHost::<Counter>::default();

        host.input("echo-input", "hello <b>").unwrap();

        assert_eq!(host.text("echo").as_deref(), Some("hello <b>"));
        assert_eq!(
            host.find("echo-input").unwrap().attr("value"),
            Some("hello <b>")
        );
    }
}
