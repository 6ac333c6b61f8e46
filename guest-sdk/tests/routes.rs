//! Routes driven through the public API and the native test host.

use serde::{Deserialize, Serialize};
use trellis::log::Level;
use trellis::prelude::*;
use trellis::testing::{TestHost, has_class, listener};
use trellis::vdom::{EventKind, HandlerId, Node};
use trellis::{Payload, global};

#[derive(Default)]
struct Counter {
    count: i64,
}

impl Route for Counter {
    fn render(&self) -> Element<Self> {
        div()
            .child(
                button()
                    .id("dec")
                    .text("-")
                    .on_click(|s: &mut Self| s.count -= 1),
            )
            .child(span().id("count").text(self.count))
            .child(
                button()
                    .id("inc")
                    .text("+")
                    .on_click(|s: &mut Self| s.count += 1),
            )
    }
}

#[test]
fn handler_ids_follow_document_order() {
    let mut host = TestHost::<Counter>::default();

    let dec = listener(host.find("dec").unwrap(), EventKind::Click);
    let inc = listener(host.find("inc").unwrap(), EventKind::Click);

    assert_eq!(dec, Some(HandlerId(0)));
    assert_eq!(inc, Some(HandlerId(1)));
}

#[test]
fn click_runs_handler_and_rerenders() {
    let mut host = TestHost::<Counter>::default();

    host.click("inc").unwrap();
    host.click("inc").unwrap();
    host.click("dec").unwrap();

    assert_eq!(host.route().count, 1);
    assert_eq!(host.text("count").as_deref(), Some("1"));
}

#[test]
fn unknown_handler_is_rejected() {
    let mut host = TestHost::<Counter>::default();
    host.render();

    let error = host.fire(HandlerId(2), Payload::None).unwrap_err();

    assert_eq!(error, "unknown handler 2");
}

#[test]
fn event_before_render_is_rejected() {
    let mut host = TestHost::<Counter>::default();

    let error = host.fire(HandlerId(0), Payload::None).unwrap_err();

    assert_eq!(error, "unknown handler 0");
}

#[test]
fn html_shows_listener_attributes() {
    let mut host = TestHost::<Counter>::default();

    let html = host.html();

    assert_eq!(
        html,
        "<div><button data-trellis-click=\"0\" id=\"dec\">-</button><span id=\"count\">0</span>\
         <button data-trellis-click=\"1\" id=\"inc\">+</button></div>"
    );
}

/// A route that exercises attributes, keys, text merging and every event.
#[derive(Default)]
struct Form1 {
    draft: String,
    committed: String,
    checked: bool,
    submitted: Vec<(String, String)>,
}

impl Route for Form1 {
    fn render(&self) -> Element<Self> {
        form()
            .id("form")
            .class("a")
            .class("  ")
            .class("b c")
            .class_if(self.checked, "checked")
            .on_submit(|s: &mut Self, form: Form| s.submitted = form.into_fields())
            .child(
                input()
                    .id("draft")
                    .value(&self.draft)
                    .on_input(|s: &mut Self, value| s.draft = value)
                    .on_change(|s: &mut Self, value| s.committed = value),
            )
            .child(
                input()
                    .id("box")
                    .attr("TYPE", "checkbox")
                    .checked(self.checked)
                    .on_checked(|s: &mut Self, checked| s.checked = checked),
            )
            .child(
                ul().id("list")
                    .children(["x", "y"].map(|item| li().key(item).text(item)))
                    .children(self.checked.then(|| li().key("extra").text("extra"))),
            )
            .text("one ")
            .text("")
            .text("two")
    }
}

#[test]
fn class_appends_and_skips_blank() {
    let mut host = TestHost::<Form1>::default();

    host.change("box", "on").unwrap();

    let form = host.find("form").unwrap();
    assert_eq!(form.attr("class"), Some("a b c checked"));
    assert!(has_class(form, "checked"));
}

#[test]
fn checkbox_reports_checked_state() {
    let mut host = TestHost::<Form1>::default();

    host.change("box", "on").unwrap();
    let checked_attr = host.find("box").unwrap().attr("checked").map(str::to_owned);
    host.change("box", "").unwrap();

    assert_eq!(checked_attr.as_deref(), Some(""));
    assert_eq!(host.find("box").unwrap().attr("checked"), None);
    assert_eq!(host.find("box").unwrap().attr("type"), Some("checkbox"));
}

#[test]
fn input_and_change_get_value() {
    let mut host = TestHost::<Form1>::default();

    host.input("draft", "ab").unwrap();
    host.change("draft", "abc").unwrap();

    assert_eq!(host.route().draft, "ab");
    assert_eq!(host.route().committed, "abc");
}

#[test]
fn submit_gets_fields_in_order() {
    let mut host = TestHost::<Form1>::default();

    host.submit("form", &[("title", "milk"), ("tag", "a"), ("tag", "b")])
        .unwrap();

    let expected =
        [("title", "milk"), ("tag", "a"), ("tag", "b")].map(|(n, v)| (n.to_owned(), v.to_owned()));
    assert_eq!(host.route().submitted, expected);
}

#[test]
fn wrong_payload_is_rejected() {
    let mut host = TestHost::<Form1>::default();
    let submit = listener(host.find("form").unwrap(), EventKind::Submit).unwrap();
    let input = listener(host.find("draft").unwrap(), EventKind::Input).unwrap();

    let submit_error = host.fire(submit, Payload::Value("x".into())).unwrap_err();
    let input_error = host.fire(input, Payload::None).unwrap_err();

    assert!(
        submit_error.contains("`submit`") && submit_error.contains("`value`"),
        "{submit_error}"
    );
    assert!(
        input_error.contains("`input`") && input_error.contains("`none`"),
        "{input_error}"
    );
}

#[test]
fn keyed_children_and_optional_child() {
    let mut host = TestHost::<Form1>::default();

    host.change("box", "on").unwrap();

    let list = host.find("list").unwrap();
    let keys: Vec<_> = list.children.iter().map(|child| child.key()).collect();
    assert_eq!(keys, [Some("x"), Some("y"), Some("extra")]);
}

#[test]
fn render_is_normalized() {
    let mut host = TestHost::<Form1>::default();

    let form = host.find("form").unwrap();

    // Attributes in name order, adjacent text merged, empty text dropped.
    let names: Vec<_> = form.attrs.iter().map(|attr| attr.name.as_str()).collect();
    assert_eq!(names, ["class", "id"]);
    assert_eq!(form.children.last(), Some(&Node::text("one two")));
}

#[derive(Default)]
struct Reserved;

impl Route for Reserved {
    fn render(&self) -> Element<Self> {
        div()
            .id("r")
            .attr("data-trellis-click", "9")
            .attr("data-x", "1")
    }
}

#[test]
fn reserved_attribute_is_dropped_and_logged() {
    let mut host = TestHost::<Reserved>::default();

    let html = host.html();

    assert_eq!(html, "<div data-x=\"1\" id=\"r\"></div>");
    assert_eq!(host.logs().len(), 1);
    assert_eq!(host.logs()[0].0, Level::Warn);
    assert!(
        host.logs()[0].1.contains("data-trellis-click"),
        "{:?}",
        host.logs()
    );
}

#[derive(Serialize, Deserialize, Default, Debug, PartialEq)]
struct Shared {
    clicks: u32,
}

/// Writes global state on click and reads it on render.
#[derive(Default)]
struct Writer;

impl Route for Writer {
    fn render(&self) -> Element<Self> {
        let shared: Shared = global::get("shared").unwrap_or_default();
        div()
            .child(span().id("value").text(shared.clicks))
            .child(
                button().id("bump").on_click(|_: &mut Self| {
                    global::update("shared", |s: &mut Shared| s.clicks += 1)
                }),
            )
            .child(
                button()
                    .id("go")
                    .on_click(|_: &mut Self| navigate("/elsewhere")),
            )
    }
}

/// Reads the same key as [`Writer`].
#[derive(Default)]
struct Reader;

impl Route for Reader {
    fn render(&self) -> Element<Self> {
        let shared: Shared = global::get("shared").unwrap_or_default();
        span().id("value").text(shared.clicks)
    }
}

#[test]
fn global_state_is_shared_between_routes() {
    let mut writer = TestHost::<Writer>::default();
    let mut reader = TestHost::<Reader>::default();

    writer.click("bump").unwrap();
    writer.click("bump").unwrap();
    reader.render();

    assert_eq!(writer.text("value").as_deref(), Some("2"));
    assert_eq!(reader.text("value").as_deref(), Some("2"));
    assert_eq!(global::get::<Shared>("shared"), Some(Shared { clicks: 2 }));
}

#[test]
fn global_decode_failure() {
    global::set("shared", "not a struct").unwrap();

    let error = global::try_get::<Shared>("shared").unwrap_err();
    let lenient = global::get::<Shared>("shared");

    assert!(
        matches!(&error, global::GlobalError::Decode { key, .. } if key == "shared"),
        "{error}"
    );
    assert!(error.to_string().contains("`shared`"), "{error}");
    assert_eq!(lenient, None);
}

#[test]
fn global_remove_unsets_key() {
    global::set("k", &5u8).unwrap();

    global::remove("k");

    assert_eq!(global::try_get::<u8>("k"), Ok(None));
}

#[test]
#[should_panic(expected = "during a prerender")]
fn prerender_write_panics() {
    #[derive(Default)]
    struct Mutating;

    impl Route for Mutating {
        fn render(&self) -> Element<Self> {
            global::set("x", &1u8).unwrap();
            div()
        }
    }

    let mut host = TestHost::<Mutating>::default();

    host.prerender();
}

#[test]
fn prerender_then_render_allows_writes() {
    let mut host = TestHost::<Writer>::default();

    host.prerender();
    host.click("bump").unwrap();

    assert_eq!(host.text("value").as_deref(), Some("1"));
}

#[test]
fn navigate_is_recorded() {
    let mut host = TestHost::<Writer>::default();

    host.click("go").unwrap();

    assert_eq!(host.navigations(), ["/elsewhere"]);
}

/// Reads the request in its constructor and in render.
struct Item {
    id_at_start: Option<String>,
}

impl Route for Item {
    fn render(&self) -> Element<Self> {
        let query: Vec<String> = request::query()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        div()
            .child(
                span()
                    .id("start")
                    .text(self.id_at_start.clone().unwrap_or_default()),
            )
            .child(span().id("path").text(request::path()))
            .child(span().id("query").text(query.join("&")))
            .child(
                span()
                    .id("tab")
                    .text(request::query_param("tab").unwrap_or_default()),
            )
            .child(
                span()
                    .id("missing")
                    .text(format!("{:?}", request::param("nope"))),
            )
    }
}

#[test]
fn request_reaches_constructor_and_render() {
    let mut host = TestHost::new(|| Item {
        id_at_start: request::param("id"),
    })
    .path("/items/4")
    .param("id", "4")
    .query("tab", "1")
    .query("tab", "2");

    host.render();

    assert_eq!(host.text("start").as_deref(), Some("4"));
    assert_eq!(host.text("path").as_deref(), Some("/items/4"));
    assert_eq!(host.text("query").as_deref(), Some("tab=1&tab=2"));
    assert_eq!(host.text("tab").as_deref(), Some("1"));
    assert_eq!(host.text("missing").as_deref(), Some("None"));
}

/// A handler that fails after changing state.
#[derive(Default)]
struct Failing {
    tries: u32,
}

impl Route for Failing {
    fn render(&self) -> Element<Self> {
        button()
            .id("try")
            .text(self.tries)
            .on_click(|s: &mut Self| -> Result<(), String> {
                s.tries += 1;
                Err(format!("attempt {} failed", s.tries))
            })
    }
}

#[test]
fn handler_error_is_returned_and_state_kept() {
    let mut host = TestHost::<Failing>::default();

    let error = host.click("try").unwrap_err();

    assert_eq!(error, "attempt 1 failed");
    assert_eq!(host.text("try").as_deref(), Some("1"));
}

#[test]
fn log_macros_reach_host() {
    #[derive(Default)]
    struct Logging;

    impl Route for Logging {
        fn render(&self) -> Element<Self> {
            trellis::log::info!("rendering {}", 1);
            trellis::log::error!("bad");
            div()
        }
    }
    let mut host = TestHost::<Logging>::default();

    host.render();

    assert_eq!(
        host.logs(),
        [
            (Level::Info, "rendering 1".to_owned()),
            (Level::Error, "bad".to_owned())
        ]
    );
}

#[test]
fn tags_and_attribute_names_are_lowercased() {
    #[derive(Default)]
    struct Upper;

    impl Route for Upper {
        fn render(&self) -> Element<Self> {
            el("DIV")
                .attr("Title", "x")
                .child(el::<Self>("Br"))
                .child(text("t"))
        }
    }
    let mut host = TestHost::<Upper>::default();

    assert_eq!(host.html(), "<div title=\"x\"><br>t</div>");
}

#[test]
fn later_handler_for_same_event_wins() {
    #[derive(Default)]
    struct Twice {
        hits: Vec<&'static str>,
    }

    impl Route for Twice {
        fn render(&self) -> Element<Self> {
            div().child(
                button()
                    .id("b")
                    .on_click(|s: &mut Self| s.hits.push("first"))
                    .on_click(|s: &mut Self| s.hits.push("second")),
            )
        }
    }
    let mut host = TestHost::<Twice>::default();

    let id = listener(host.find("b").unwrap(), EventKind::Click);
    host.click("b").unwrap();

    assert_eq!(id, Some(HandlerId(0)));
    assert_eq!(host.route().hits, ["second"]);
}

#[test]
#[should_panic(expected = "the host rejects this render")]
fn forbidden_tag_panics() {
    #[derive(Default)]
    struct Scripted;

    impl Route for Scripted {
        fn render(&self) -> Element<Self> {
            div().child(el::<Self>("script").text("alert(1)"))
        }
    }
    let mut host = TestHost::<Scripted>::default();

    host.render();
}
