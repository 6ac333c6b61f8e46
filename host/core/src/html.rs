//! HTML5 serialization of VDOM trees, for prerendered pages.
//!
//! Output is a single pass with no added whitespace, so the browser parses
//! it into exactly the nodes of a normalized tree. Listeners are written as
//! `data-trellis-<event>` attributes ([`Element::dom_attrs`]).

use std::fmt;

use crate::patch::Path;
use crate::validate::{is_valid_attr_name, is_valid_tag_name};
use crate::vdom::{Element, Node};

/// Elements that have no end tag and no children.
pub const VOID_ELEMENTS: [&str; 13] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// Elements whose content the HTML parser reads as raw text up to the
/// matching end tag, without decoding character references.
pub const RAW_TEXT_ELEMENTS: [&str; 7] = [
    "iframe", "noembed", "noframes", "noscript", "script", "style", "xmp",
];

/// Elements whose content the HTML parser reads as text with character
/// references decoded, so they cannot hold child elements.
pub const ESCAPABLE_RAW_TEXT_ELEMENTS: [&str; 2] = ["textarea", "title"];

/// Elements whose first newline the HTML parser drops.
const NEWLINE_DROPPING_ELEMENTS: [&str; 3] = ["listing", "pre", "textarea"];

/// Tells whether `tag` is a void element.
pub fn is_void_element(tag: &str) -> bool {
    VOID_ELEMENTS.contains(&tag)
}

/// Tells whether the content of `tag` is raw text or escapable raw text,
/// which may only be text.
pub fn is_text_only_element(tag: &str) -> bool {
    RAW_TEXT_ELEMENTS.contains(&tag) || ESCAPABLE_RAW_TEXT_ELEMENTS.contains(&tag)
}

/// The error returned when a tree cannot be written as HTML that parses back
/// into the same tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HtmlError {
    /// Path of the offending element, with the first serialized node at `[0]`.
    pub path: Path,
    /// The reason for the error.
    pub kind: HtmlErrorKind,
}

/// The reason a tree cannot be serialized.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HtmlErrorKind {
    /// The tag name is not `[a-z][a-z0-9-]*`.
    InvalidTagName(String),
    /// The attribute name would not parse back as one attribute.
    InvalidAttrName(String),
    /// A void element has children.
    VoidElementWithChildren(String),
    /// A raw text or escapable raw text element has a child element.
    ElementInTextOnlyElement(String),
    /// Text inside a raw text element contains `</`, which could end the
    /// element early.
    EndTagInRawText(String),
    /// The element is `plaintext`, which has no end tag and so would swallow
    /// the rest of the page.
    Plaintext,
}

impl fmt::Display for HtmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = &self.path;
        match &self.kind {
            HtmlErrorKind::InvalidTagName(tag) => write!(f, "invalid tag name {tag:?} at {path:?}"),
            HtmlErrorKind::InvalidAttrName(name) => {
                write!(f, "invalid attribute name {name:?} at {path:?}")
            }
            HtmlErrorKind::VoidElementWithChildren(tag) => {
                write!(f, "void element <{tag}> at {path:?} has children")
            }
            HtmlErrorKind::ElementInTextOnlyElement(tag) => {
                write!(
                    f,
                    "<{tag}> at {path:?} may contain only text, but has a child element"
                )
            }
            HtmlErrorKind::EndTagInRawText(tag) => {
                write!(f, "text of <{tag}> at {path:?} contains \"</\"")
            }
            HtmlErrorKind::Plaintext => write!(f, "<plaintext> at {path:?} cannot be serialized"),
        }
    }
}

impl std::error::Error for HtmlError {}

/// Serializes one node as HTML. Error paths start at `[0]`, as for a
/// route's root node.
///
/// # Errors
///
/// Returns [`HtmlError`] when the tree cannot be written as markup that
/// parses back into it; see [`HtmlErrorKind`].
pub fn to_html(node: &Node) -> Result<String, HtmlError> {
    nodes_to_html(std::slice::from_ref(node))
}

/// Serializes a list of sibling nodes as HTML, such as the children of the
/// route's container element.
///
/// # Errors
///
/// As [`to_html`].
pub fn nodes_to_html(nodes: &[Node]) -> Result<String, HtmlError> {
    let mut out = String::new();
    write_nodes(nodes, &mut out)?;
    Ok(out)
}

/// Appends the HTML of a list of sibling nodes to `out`. On error, `out`
/// contains a partial document and must be discarded.
///
/// # Errors
///
/// As [`to_html`].
pub fn write_nodes(nodes: &[Node], out: &mut String) -> Result<(), HtmlError> {
    let mut path = Vec::new();
    write_children(nodes, &mut path, out)
}

fn write_children(nodes: &[Node], path: &mut Path, out: &mut String) -> Result<(), HtmlError> {
    for (index, node) in nodes.iter().enumerate() {
        match node {
            Node::Text(text) => escape_text(text, out),
            Node::Element(element) => {
                path.push(u32::try_from(index).unwrap_or(u32::MAX));
                write_element(element, path, out)?;
                path.pop();
            }
        }
    }
    Ok(())
}

fn write_element(element: &Element, path: &mut Path, out: &mut String) -> Result<(), HtmlError> {
    let tag = element.tag.as_str();
    let error = |kind| HtmlError {
        path: path.clone(),
        kind,
    };
    if !is_valid_tag_name(tag) {
        return Err(error(HtmlErrorKind::InvalidTagName(tag.to_owned())));
    }
    if tag == "plaintext" {
        return Err(error(HtmlErrorKind::Plaintext));
    }

    out.push('<');
    out.push_str(tag);
    for (name, value) in element.dom_attrs() {
        if !is_valid_attr_name(name) {
            return Err(error(HtmlErrorKind::InvalidAttrName(name.to_owned())));
        }
        out.push(' ');
        out.push_str(name);
        out.push_str("=\"");
        escape_attr(&value, out);
        out.push('"');
    }
    out.push('>');

    if is_void_element(tag) {
        if !element.children.is_empty() {
            return Err(error(HtmlErrorKind::VoidElementWithChildren(
                tag.to_owned(),
            )));
        }
        return Ok(());
    }

    if NEWLINE_DROPPING_ELEMENTS.contains(&tag)
        && let Some(Node::Text(text)) = element.children.first()
        && text.starts_with('\n')
    {
        out.push('\n');
    }

    if RAW_TEXT_ELEMENTS.contains(&tag) {
        // NOTE: inside <svg> or <math> the parser does not treat these tags
        // as raw text and does decode `&`. Text there that contains `&` would
        // then parse differently from how it is written here.
        for child in &element.children {
            match child {
                Node::Text(text) if text.contains("</") => {
                    return Err(error(HtmlErrorKind::EndTagInRawText(tag.to_owned())));
                }
                Node::Text(text) => out.push_str(text),
                Node::Element(_) => {
                    return Err(error(HtmlErrorKind::ElementInTextOnlyElement(
                        tag.to_owned(),
                    )));
                }
            }
        }
    } else if ESCAPABLE_RAW_TEXT_ELEMENTS.contains(&tag)
        && element
            .children
            .iter()
            .any(|child| child.as_element().is_some())
    {
        return Err(error(HtmlErrorKind::ElementInTextOnlyElement(
            tag.to_owned(),
        )));
    } else {
        write_children(&element.children, path, out)?;
    }

    out.push_str("</");
    out.push_str(tag);
    out.push('>');
    Ok(())
}

/// Appends `text` escaped for HTML text content.
///
/// A carriage return is written as `&#13;` because the parser turns a literal
/// one into a line feed but keeps one written as a character reference.
pub fn escape_text(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            _ => out.push(c),
        }
    }
}

/// Appends `value` escaped for a double-quoted attribute value.
pub fn escape_attr(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            _ => out.push(c),
        }
    }
}

/// Escapes JSON text for a `<script type="application/json">` element.
///
/// Writes `<` as `\u003c`, so the text can contain neither `</script` nor
/// `<!--`, and U+2028 and U+2029 as `\u2028` and `\u2029`, which some
/// JavaScript parsers reject in string literals. Each replacement is a valid
/// escape only inside a JSON string, which is the only place these
/// characters can occur in valid JSON.
pub fn escape_json_for_script(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vdom::{Attr, EventKind, HandlerId, Listener};

    fn element(tag: &str, children: Vec<Node>) -> Node {
        let mut element = Element::new(tag);
        element.children = children;
        Node::Element(element)
    }

    fn with_attr(tag: &str, name: &str, value: &str) -> Node {
        let mut element = Element::new(tag);
        element.attrs.push(Attr {
            name: name.into(),
            value: value.into(),
        });
        Node::Element(element)
    }

    #[test]
    fn writes_nested_elements_without_whitespace() {
        let tree = element(
            "div",
            vec![element("p", vec![Node::text("a")]), Node::text("b")],
        );

        assert_eq!(to_html(&tree).unwrap(), "<div><p>a</p>b</div>");
    }

    #[test]
    fn escapes_markup_in_text() {
        let tree = element("p", vec![Node::text("<img src=x onerror=alert(1)> & more")]);

        assert_eq!(
            to_html(&tree).unwrap(),
            "<p>&lt;img src=x onerror=alert(1)&gt; &amp; more</p>"
        );
    }

    #[test]
    fn escapes_quotes_in_attrs() {
        let tree = with_attr("a", "title", "say \"hi\" & 'bye' <b>");

        assert_eq!(
            to_html(&tree).unwrap(),
            "<a title=\"say &quot;hi&quot; &amp; 'bye' &lt;b&gt;\"></a>"
        );
    }

    #[test]
    fn escapes_carriage_return() {
        let mut tree = with_attr("p", "title", "a\r\nb");
        if let Node::Element(p) = &mut tree {
            p.children.push(Node::text("c\rd"));
        }

        assert_eq!(
            to_html(&tree).unwrap(),
            "<p title=\"a&#13;\nb\">c&#13;d</p>"
        );
    }

    #[test]
    fn writes_empty_attr_value_quoted() {
        assert_eq!(
            to_html(&with_attr("input", "disabled", "")).unwrap(),
            "<input disabled=\"\">"
        );
    }

    #[test]
    fn writes_listeners_in_name_order() {
        let mut button = Element::new("button");
        button.attrs.push(Attr {
            name: "type".into(),
            value: "button".into(),
        });
        button.listeners.push(Listener {
            kind: EventKind::Click,
            handler: HandlerId(3),
        });
        button.listeners.push(Listener {
            kind: EventKind::Change,
            handler: HandlerId(12),
        });

        let html = to_html(&Node::Element(button)).unwrap();

        assert_eq!(
            html,
            "<button data-trellis-change=\"12\" data-trellis-click=\"3\" type=\"button\"></button>"
        );
    }

    #[test]
    fn void_elements_have_no_end_tag() {
        let tree = element("p", vec![element("br", vec![]), element("img", vec![])]);

        assert_eq!(to_html(&tree).unwrap(), "<p><br><img></p>");
    }

    #[test]
    fn void_element_with_children_is_error() {
        let tree = element(
            "div",
            vec![Node::text("x"), element("br", vec![Node::text("y")])],
        );

        let error = to_html(&tree).unwrap_err();

        assert_eq!(error.path, vec![0, 1]);
        assert_eq!(
            error.kind,
            HtmlErrorKind::VoidElementWithChildren("br".into())
        );
    }

    #[test]
    fn pre_keeps_leading_newline() {
        for tag in ["pre", "textarea", "listing"] {
            let tree = element(tag, vec![Node::text("\nx")]);

            assert_eq!(to_html(&tree).unwrap(), format!("<{tag}>\n\nx</{tag}>"));
        }
    }

    #[test]
    fn pre_without_leading_newline_unchanged() {
        let tree = element("pre", vec![Node::text("x\n")]);

        assert_eq!(to_html(&tree).unwrap(), "<pre>x\n</pre>");
    }

    #[test]
    fn style_text_is_raw() {
        let tree = element("style", vec![Node::text("a > b { content: \"&\" }")]);

        assert_eq!(
            to_html(&tree).unwrap(),
            "<style>a > b { content: \"&\" }</style>"
        );
    }

    #[test]
    fn style_end_tag_in_text_is_error() {
        let tree = element(
            "style",
            vec![Node::text("x</style><script>alert(1)</script>")],
        );

        let error = to_html(&tree).unwrap_err();

        assert_eq!(error.kind, HtmlErrorKind::EndTagInRawText("style".into()));
    }

    #[test]
    fn textarea_with_element_is_error() {
        let tree = element("textarea", vec![element("b", vec![])]);

        let error = to_html(&tree).unwrap_err();

        assert_eq!(
            error.kind,
            HtmlErrorKind::ElementInTextOnlyElement("textarea".into())
        );
    }

    #[test]
    fn textarea_text_is_escaped() {
        let tree = element("textarea", vec![Node::text("</textarea>&")]);

        assert_eq!(
            to_html(&tree).unwrap(),
            "<textarea>&lt;/textarea&gt;&amp;</textarea>"
        );
    }

    #[test]
    fn invalid_tag_name_is_error() {
        let tree = element("div", vec![element("p onclick=x", vec![])]);

        let error = to_html(&tree).unwrap_err();

        assert_eq!(
            error.kind,
            HtmlErrorKind::InvalidTagName("p onclick=x".into())
        );
        assert_eq!(error.path, vec![0, 0]);
    }

    #[test]
    fn invalid_attr_name_is_error() {
        let error = to_html(&with_attr("p", "a\"b", "")).unwrap_err();

        assert_eq!(error.kind, HtmlErrorKind::InvalidAttrName("a\"b".into()));
    }

    #[test]
    fn plaintext_is_error() {
        let error = to_html(&element("plaintext", vec![])).unwrap_err();

        assert_eq!(error.kind, HtmlErrorKind::Plaintext);
    }

    #[test]
    fn writes_sibling_roots() {
        let html = nodes_to_html(&[Node::text("a"), element("b", vec![])]).unwrap();

        assert_eq!(html, "a<b></b>");
    }

    #[test]
    fn json_for_script_cannot_close_script() {
        let json = r#"{"title":"</script><script>alert(1)</script><!--"}"#;

        let escaped = escape_json_for_script(json);

        assert!(!escaped.contains('<'), "{escaped}");
        assert_eq!(
            escaped,
            r#"{"title":"\u003c/script>\u003cscript>alert(1)\u003c/script>\u003c!--"}"#
        );
    }

    #[test]
    fn json_for_script_escapes_line_separators() {
        let escaped = escape_json_for_script("\"a\u{2028}b\u{2029}c\"");

        assert_eq!(escaped, r#""a\u2028b\u2029c""#);
    }

    #[test]
    fn json_for_script_parses_back_equal() {
        let value = serde_json::json!({"text": "</script> \u{2028} <!-- é"});
        let escaped = escape_json_for_script(&value.to_string());

        let parsed: serde_json::Value = serde_json::from_str(&escaped).unwrap();

        assert_eq!(parsed, value);
    }
}
