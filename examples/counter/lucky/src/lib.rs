//! The `/lucky` route of the counter example: a random number and the
//! current time, both taken from the host through WASI.
//!
//! Both values change on every render, so each render of this route differs
//! from the prerender; the host must handle that on mount.

use std::time::{SystemTime, UNIX_EPOCH};

use rand::Rng;
use trellis::prelude::*;

/// The route's state: the number drawn for this mount.
pub struct Lucky {
    number: u32,
}

impl Lucky {
    fn draw() -> Self {
        Self {
            number: rand::rng().random_range(1..=100),
        }
    }
}

impl Route for Lucky {
    fn render(&self) -> Element<Self> {
        // Before 1970 only on a broken clock; 0 shows it plainly.
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());

        div()
            .class("lucky")
            .child(h1().text("Lucky number"))
            .child(
                p().text("Your number: ")
                    .child(span().id("lucky-number").text(self.number)),
            )
            .child(
                p().text("Seconds since 1970: ")
                    .child(span().id("now").text(now)),
            )
            .child(
                button()
                    .id("redraw")
                    .text("Draw again")
                    .on_click(|s: &mut Self| *s = Self::draw()),
            )
            .child(p().child(a().href("/").text("Back to the counter")))
    }
}

trellis::route!(Lucky, Lucky::draw);

#[cfg(test)]
mod tests {
    use trellis::testing::TestHost;

    use super::*;

    #[test]
    fn number_is_in_range() {
        let mut host = TestHost::new(Lucky::draw);

        let number: u32 = host.text("lucky-number").unwrap().parse().unwrap();

        assert!((1..=100).contains(&number), "{number}");
    }

    #[test]
    fn now_is_after_2024() {
        let mut host = TestHost::new(Lucky::draw);

        let now: u64 = host.text("now").unwrap().parse().unwrap();

        assert!(now > 1_704_067_200, "{now}");
    }
}
