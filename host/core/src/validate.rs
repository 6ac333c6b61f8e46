//! Checks on trees that a guest returns, before the host writes them as
//! HTML or diffs them.
//!
//! A guest is untrusted: [`sanitize`] rejects any tree that could run script
//! in the page, change how the page loads, or parse differently as HTML than
//! it would build through patches. It also neutralizes script URLs in place.

use std::fmt;

use crate::html::{RAW_TEXT_ELEMENTS, is_text_only_element, is_void_element};
use crate::patch::Path;
use crate::vdom::{Element, Node, RESERVED_ATTR_PREFIX};

/// Tags a guest may not render.
///
/// `script` runs code. `base`, `meta`, `link`, `html`, `head` and `body`
/// change how the page loads or is structured. `object`, `embed`, `applet`,
/// `frame` and `frameset` load active content. `noscript` and `template`
/// parse differently from the DOM that patches build, and `plaintext` has no
/// end tag, so it would swallow the rest of the page.
pub const FORBIDDEN_TAGS: [&str; 15] = [
    "applet",
    "base",
    "body",
    "embed",
    "frame",
    "frameset",
    "head",
    "html",
    "link",
    "meta",
    "noscript",
    "object",
    "plaintext",
    "script",
    "template",
];

/// Attributes whose value is a URL that the browser may load or navigate to.
pub const URL_ATTRS: [&str; 13] = [
    "action",
    "background",
    "cite",
    "codebase",
    "data",
    "formaction",
    "href",
    "longdesc",
    "manifest",
    "ping",
    "poster",
    "src",
    "xlink:href",
];

/// The value that replaces a blocked URL. It names no resource, so the
/// browser loads or navigates to nothing.
pub const BLOCKED_URL: &str = "about:invalid#blocked";

/// SVG animation elements, which can set another attribute, such as `href`,
/// to a value given in their own attributes.
const SVG_ANIMATION_TAGS: [&str; 5] = [
    "animate",
    "animatecolor",
    "animatemotion",
    "animatetransform",
    "set",
];

/// Tags whose `src` may be a `data:image/` URL, because they only display it
/// as an image. An `iframe` would run script in a `data:image/svg+xml` URL.
const DATA_IMAGE_SRC_TAGS: [&str; 3] = ["img", "input", "source"];

/// A change that [`sanitize`] made to a tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// Path of the element, with the root at `[0]`.
    pub path: Path,
    /// Tag of the element.
    pub tag: String,
    /// Name of the attribute whose URL was replaced by [`BLOCKED_URL`].
    pub attr: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "blocked a script or data URL in attribute {} of <{}> at {:?}",
            self.attr, self.tag, self.path
        )
    }
}

/// The error returned for a tree that the host must not render.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidTree {
    /// Path of the offending element, with the root at `[0]`.
    pub path: Path,
    /// The reason for the rejection.
    pub kind: InvalidTreeKind,
}

/// The reason a tree is rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvalidTreeKind {
    /// The tag name is not `[a-z][a-z0-9-]*`. Uppercase is rejected, not
    /// lowercased, because the guest SDK's builder already lowercases.
    InvalidTagName {
        /// The tag name.
        tag: String,
    },
    /// The tag is in [`FORBIDDEN_TAGS`].
    ForbiddenTag {
        /// The tag name.
        tag: String,
    },
    /// The attribute name is not `[a-zA-Z_:][a-zA-Z0-9_:.-]*`.
    InvalidAttrName {
        /// The tag name.
        tag: String,
        /// The attribute name.
        attr: String,
    },
    /// The attribute may run script or load content the host cannot check:
    /// an `on*` event handler attribute, `srcdoc`, or an SVG animation
    /// target that is a URL or event handler attribute.
    ForbiddenAttr {
        /// The tag name.
        tag: String,
        /// The attribute name.
        attr: String,
    },
    /// The attribute name starts with [`RESERVED_ATTR_PREFIX`].
    ReservedAttr {
        /// The tag name.
        tag: String,
        /// The attribute name.
        attr: String,
    },
    /// A void element has children.
    VoidElementWithChildren {
        /// The tag name.
        tag: String,
    },
    /// An element whose content the HTML parser reads as text has a child
    /// element.
    ElementInTextOnlyElement {
        /// The tag name.
        tag: String,
    },
    /// Text inside a raw text element, such as `style`, contains `</`.
    EndTagInRawText {
        /// The tag name.
        tag: String,
    },
}

impl fmt::Display for InvalidTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = &self.path;
        match &self.kind {
            InvalidTreeKind::InvalidTagName { tag } => {
                write!(
                    f,
                    "invalid tag name {tag:?} at {path:?}: expected [a-z][a-z0-9-]*"
                )
            }
            InvalidTreeKind::ForbiddenTag { tag } => {
                write!(f, "tag <{tag}> at {path:?} is not allowed in a route")
            }
            InvalidTreeKind::InvalidAttrName { tag, attr } => write!(
                f,
                "invalid attribute name {attr:?} on <{tag}> at {path:?}: expected [a-zA-Z_:][a-zA-Z0-9_:.-]*"
            ),
            InvalidTreeKind::ForbiddenAttr { tag, attr } => {
                write!(
                    f,
                    "attribute {attr} on <{tag}> at {path:?} is not allowed: it could run script"
                )
            }
            InvalidTreeKind::ReservedAttr { tag, attr } => write!(
                f,
                "attribute {attr} on <{tag}> at {path:?} uses the reserved prefix {RESERVED_ATTR_PREFIX}: use a listener instead"
            ),
            InvalidTreeKind::VoidElementWithChildren { tag } => {
                write!(f, "void element <{tag}> at {path:?} has children")
            }
            InvalidTreeKind::ElementInTextOnlyElement { tag } => {
                write!(
                    f,
                    "<{tag}> at {path:?} may contain only text, but has a child element"
                )
            }
            InvalidTreeKind::EndTagInRawText { tag } => {
                write!(f, "text of <{tag}> at {path:?} contains \"</\"")
            }
        }
    }
}

impl std::error::Error for InvalidTree {}

/// Tells whether `tag` is a valid lowercase tag name: `[a-z][a-z0-9-]*`.
pub fn is_valid_tag_name(tag: &str) -> bool {
    let mut bytes = tag.bytes();
    bytes.next().is_some_and(|first| first.is_ascii_lowercase())
        && bytes.all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
}

/// Tells whether `name` is a valid attribute name: `[a-zA-Z_:][a-zA-Z0-9_:.-]*`.
pub fn is_valid_attr_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == b'_' || first == b':')
        && bytes
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b':' | b'.' | b'-'))
}

/// Checks a tree a guest rendered, and replaces script and data URLs in URL
/// attributes with [`BLOCKED_URL`]. The root is at path `[0]`.
///
/// Returns one [`Warning`] per replaced URL. Duplicate keys among siblings
/// are allowed, because they only make the diff match those children by
/// index.
///
/// # Errors
///
/// Returns [`InvalidTree`] for the first element that breaks a rule, as
/// listed in [`InvalidTreeKind`]. The tree may then have been partly
/// rewritten.
// TODO: nesting that the HTML parser restructures (a block element inside a
// `p`, an `a` inside an `a`, table rows outside a `tbody`) is not rejected.
// Such a tree prerenders to a DOM whose shape differs from the tree, so
// later patch paths miss and the client mounts the route again.
pub fn sanitize(node: &mut Node) -> Result<Vec<Warning>, InvalidTree> {
    let mut warnings = Vec::new();
    let mut path = vec![0];
    if let Node::Element(element) = node {
        sanitize_element(element, &mut path, &mut warnings)?;
    }
    Ok(warnings)
}

fn sanitize_element(
    element: &mut Element,
    path: &mut Path,
    warnings: &mut Vec<Warning>,
) -> Result<(), InvalidTree> {
    let tag = element.tag.as_str();
    let error = |kind| InvalidTree {
        path: path.clone(),
        kind,
    };
    if !is_valid_tag_name(tag) {
        return Err(error(InvalidTreeKind::InvalidTagName {
            tag: tag.to_owned(),
        }));
    }
    if FORBIDDEN_TAGS.contains(&tag) {
        return Err(error(InvalidTreeKind::ForbiddenTag {
            tag: tag.to_owned(),
        }));
    }

    for attr in &mut element.attrs {
        if !is_valid_attr_name(&attr.name) {
            return Err(error(InvalidTreeKind::InvalidAttrName {
                tag: tag.to_owned(),
                attr: attr.name.clone(),
            }));
        }
        // The HTML parser lowercases attribute names, so every check below
        // compares the lowercase name.
        let name = attr.name.to_ascii_lowercase();
        if name.starts_with("on") || name == "srcdoc" {
            return Err(error(InvalidTreeKind::ForbiddenAttr {
                tag: tag.to_owned(),
                attr: attr.name.clone(),
            }));
        }
        if name.starts_with(RESERVED_ATTR_PREFIX) {
            return Err(error(InvalidTreeKind::ReservedAttr {
                tag: tag.to_owned(),
                attr: attr.name.clone(),
            }));
        }
        if SVG_ANIMATION_TAGS.contains(&tag)
            && name == "attributename"
            && is_dangerous_animation_target(&attr.value)
        {
            return Err(error(InvalidTreeKind::ForbiddenAttr {
                tag: tag.to_owned(),
                attr: attr.name.clone(),
            }));
        }
        if URL_ATTRS.contains(&name.as_str()) && is_blocked_url(tag, &name, &attr.value) {
            BLOCKED_URL.clone_into(&mut attr.value);
            warnings.push(Warning {
                path: path.clone(),
                tag: tag.to_owned(),
                attr: attr.name.clone(),
            });
        }
    }

    if is_void_element(tag) && !element.children.is_empty() {
        return Err(error(InvalidTreeKind::VoidElementWithChildren {
            tag: tag.to_owned(),
        }));
    }
    if is_text_only_element(tag) {
        for child in &element.children {
            match child {
                Node::Element(_) => {
                    return Err(error(InvalidTreeKind::ElementInTextOnlyElement {
                        tag: tag.to_owned(),
                    }));
                }
                Node::Text(text) if RAW_TEXT_ELEMENTS.contains(&tag) && text.contains("</") => {
                    return Err(error(InvalidTreeKind::EndTagInRawText {
                        tag: tag.to_owned(),
                    }));
                }
                Node::Text(_) => {}
            }
        }
    }

    for (index, child) in element.children.iter_mut().enumerate() {
        if let Node::Element(child) = child {
            path.push(u32::try_from(index).unwrap_or(u32::MAX));
            sanitize_element(child, path, warnings)?;
            path.pop();
        }
    }
    Ok(())
}

/// Tells whether a URL attribute value must be blocked: a `javascript:`,
/// `vbscript:` or `data:` URL, except `data:image/` in the `src` of an
/// image.
fn is_blocked_url(tag: &str, name: &str, value: &str) -> bool {
    // Browsers strip leading whitespace and control characters and remove
    // tabs and newlines anywhere before parsing a scheme, so `java\tscript:`
    // is a script URL. Dropping all of them from the whole value is stricter
    // than that.
    let scheme: String = value
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_ascii_control())
        .take(16)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if scheme.starts_with("javascript:") || scheme.starts_with("vbscript:") {
        return true;
    }
    if scheme.starts_with("data:") {
        let allowed = name == "src"
            && DATA_IMAGE_SRC_TAGS.contains(&tag)
            && scheme.starts_with("data:image/");
        return !allowed;
    }
    false
}

/// Tells whether an SVG animation's `attributeName` targets a URL attribute or
/// an event handler attribute, either of which it could set to script.
fn is_dangerous_animation_target(target: &str) -> bool {
    let target = target.trim().to_ascii_lowercase();
    let local_name = target.rsplit(':').next().unwrap_or(&target);
    target.starts_with("on")
        || URL_ATTRS.contains(&target.as_str())
        || URL_ATTRS.contains(&local_name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vdom::Attr;

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

    fn attr_value(node: &Node) -> &str {
        &node.as_element().unwrap().attrs[0].value
    }

    fn rejection(mut node: Node) -> InvalidTree {
        sanitize(&mut node).expect_err("tree was accepted")
    }

    #[test]
    fn accepts_ordinary_tree() {
        let mut link = with_attr("a", "href", "/items/4?x=1");
        if let Node::Element(a) = &mut link {
            a.children.push(Node::text("<script>alert(1)</script>"));
        }
        let mut tree = element(
            "div",
            vec![link, with_attr("img", "src", "data:image/png;base64,AAAA")],
        );
        let before = tree.clone();

        let warnings = sanitize(&mut tree).unwrap();

        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(tree, before);
    }

    #[test]
    fn rejects_invalid_tag_names() {
        for tag in ["", "Div", "1a", "a b", "a>", "-x", "DIV", "é"] {
            let error = rejection(element(tag, vec![]));

            assert_eq!(
                error.kind,
                InvalidTreeKind::InvalidTagName { tag: tag.into() }
            );
        }
    }

    #[test]
    fn accepts_custom_element_tag() {
        assert!(sanitize(&mut element("my-widget2", vec![])).is_ok());
    }

    #[test]
    fn rejects_forbidden_tags() {
        for tag in FORBIDDEN_TAGS {
            let error = rejection(element(
                "div",
                vec![element("p", vec![element(tag, vec![])])],
            ));

            assert_eq!(
                error.kind,
                InvalidTreeKind::ForbiddenTag { tag: tag.into() }
            );
            assert_eq!(error.path, vec![0, 0, 0]);
        }
    }

    #[test]
    fn rejects_end_tag_in_style() {
        let error = rejection(element(
            "style",
            vec![Node::text("p{}</style><img src=x onerror=alert(1)>")],
        ));

        assert_eq!(
            error.kind,
            InvalidTreeKind::EndTagInRawText {
                tag: "style".into()
            }
        );
    }

    #[test]
    fn accepts_plain_style() {
        assert!(
            sanitize(&mut element(
                "style",
                vec![Node::text("a > b { color: red }")]
            ))
            .is_ok()
        );
    }

    #[test]
    fn rejects_element_in_textarea() {
        let error = rejection(element("textarea", vec![element("b", vec![])]));

        assert_eq!(
            error.kind,
            InvalidTreeKind::ElementInTextOnlyElement {
                tag: "textarea".into()
            }
        );
    }

    #[test]
    fn rejects_invalid_attr_names() {
        for name in [
            "", "1a", "a b", "a\"", "a=b", "a/b", "a>b", "-a", ".a", "a\0",
        ] {
            let error = rejection(with_attr("p", name, "x"));

            assert_eq!(
                error.kind,
                InvalidTreeKind::InvalidAttrName {
                    tag: "p".into(),
                    attr: name.into()
                },
                "{name:?}"
            );
        }
    }

    #[test]
    fn accepts_attr_name_characters() {
        for name in [
            "_a",
            ":a",
            "xlink:href",
            "data-x.y_z",
            "viewBox",
            "aria-label",
        ] {
            assert!(sanitize(&mut with_attr("p", name, "x")).is_ok(), "{name:?}");
        }
    }

    #[test]
    fn rejects_event_handler_attrs() {
        for name in ["onclick", "onerror", "ONLOAD", "oN", "on"] {
            let error = rejection(with_attr("img", name, "alert(1)"));

            assert_eq!(
                error.kind,
                InvalidTreeKind::ForbiddenAttr {
                    tag: "img".into(),
                    attr: name.into()
                }
            );
        }
    }

    #[test]
    fn rejects_srcdoc() {
        let error = rejection(with_attr("iframe", "SrcDoc", "<script>alert(1)</script>"));

        assert_eq!(
            error.kind,
            InvalidTreeKind::ForbiddenAttr {
                tag: "iframe".into(),
                attr: "SrcDoc".into()
            }
        );
    }

    #[test]
    fn rejects_reserved_prefix() {
        for name in ["data-trellis-click", "DATA-TRELLIS-route", "data-trellis-"] {
            let error = rejection(with_attr("button", name, "1"));

            assert_eq!(
                error.kind,
                InvalidTreeKind::ReservedAttr {
                    tag: "button".into(),
                    attr: name.into()
                }
            );
        }
    }

    #[test]
    fn blocks_javascript_urls() {
        let values = [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "  javascript:alert(1)",
            "\tjava\tscript:alert(1)",
            "java\nscript:alert(1)",
            "java\r\nscript:alert(1)",
            "\u{1}javascript:alert(1)",
            "vbscript:msgbox(1)",
            "VBScript:msgbox(1)",
            "data:text/html,<script>alert(1)</script>",
            " DATA:text/html;base64,AAAA",
        ];
        for value in values {
            let mut tree = with_attr("a", "href", value);

            let warnings = sanitize(&mut tree).unwrap();

            assert_eq!(attr_value(&tree), BLOCKED_URL, "{value:?}");
            assert_eq!(
                warnings,
                vec![Warning {
                    path: vec![0],
                    tag: "a".into(),
                    attr: "href".into()
                }],
                "{value:?}"
            );
        }
    }

    #[test]
    fn blocks_every_url_attr() {
        for name in URL_ATTRS {
            let mut tree = with_attr("form", name, "javascript:alert(1)");

            let warnings = sanitize(&mut tree).unwrap();

            assert_eq!(attr_value(&tree), BLOCKED_URL, "{name}");
            assert_eq!(warnings.len(), 1, "{name}");
        }
    }

    #[test]
    fn blocks_url_attr_in_uppercase() {
        let mut tree = with_attr("a", "HREF", "javascript:alert(1)");

        let warnings = sanitize(&mut tree).unwrap();

        assert_eq!(attr_value(&tree), BLOCKED_URL);
        assert_eq!(warnings[0].attr, "HREF");
    }

    #[test]
    fn keeps_ordinary_urls() {
        for value in [
            "/x",
            "https://example.com/a:b",
            "mailto:a@b",
            "#javascript:",
            "./javascript:x",
            "?data:x",
        ] {
            let mut tree = with_attr("a", "href", value);

            assert!(sanitize(&mut tree).unwrap().is_empty(), "{value:?}");
            assert_eq!(attr_value(&tree), value);
        }
    }

    #[test]
    fn keeps_javascript_text_outside_url_attrs() {
        let mut tree = with_attr("a", "title", "javascript:alert(1)");

        assert!(sanitize(&mut tree).unwrap().is_empty());
    }

    #[test]
    fn data_image_only_in_image_src() {
        let mut image = with_attr("img", "src", "data:image/svg+xml,<svg/>");
        assert!(sanitize(&mut image).unwrap().is_empty());

        let mut frame = with_attr("iframe", "src", "data:image/svg+xml,<svg onload=alert(1)/>");
        assert_eq!(sanitize(&mut frame).unwrap().len(), 1);
        assert_eq!(attr_value(&frame), BLOCKED_URL);

        let mut link = with_attr("a", "href", "data:image/png,AAAA");
        assert_eq!(sanitize(&mut link).unwrap().len(), 1);
    }

    #[test]
    fn warning_names_nested_path() {
        let mut tree = element(
            "div",
            vec![Node::text("t"), with_attr("a", "href", "javascript:x")],
        );

        let warnings = sanitize(&mut tree).unwrap();

        assert_eq!(warnings[0].path, vec![0, 1]);
        assert_eq!(
            warnings[0].to_string(),
            "blocked a script or data URL in attribute href of <a> at [0, 1]"
        );
    }

    #[test]
    fn rejects_svg_animation_of_href() {
        for target in ["href", "xlink:href", " HREF ", "onbegin"] {
            let error = rejection(with_attr("set", "attributeName", target));

            assert!(
                matches!(error.kind, InvalidTreeKind::ForbiddenAttr { .. }),
                "{target:?}"
            );
        }
        assert!(sanitize(&mut with_attr("animate", "attributeName", "opacity")).is_ok());
    }

    #[test]
    fn rejects_void_element_with_children() {
        let error = rejection(element(
            "div",
            vec![element("input", vec![Node::text("x")])],
        ));

        assert_eq!(
            error.kind,
            InvalidTreeKind::VoidElementWithChildren {
                tag: "input".into()
            }
        );
        assert_eq!(error.path, vec![0, 0]);
    }

    #[test]
    fn allows_duplicate_keys() {
        let mut first = Element::new("li");
        first.key = Some("a".into());
        let second = first.clone();

        assert!(
            sanitize(&mut element(
                "ul",
                vec![Node::Element(first), Node::Element(second)]
            ))
            .is_ok()
        );
    }

    #[test]
    fn error_message_names_attr_and_path() {
        let error = rejection(element(
            "div",
            vec![with_attr("img", "onerror", "alert(1)")],
        ));

        assert_eq!(
            error.to_string(),
            "attribute onerror on <img> at [0, 0] is not allowed: it could run script"
        );
    }

    #[test]
    fn text_root_is_valid() {
        assert!(sanitize(&mut Node::text("<b>")).unwrap().is_empty());
    }
}
