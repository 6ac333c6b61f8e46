//! The HTML documents the host serves: prerendered routes, the not-found
//! page and the failure page.

use serde::Serialize;
use trellis_core::html::{escape_attr, escape_json_for_script, escape_text, write_nodes};
use trellis_core::vdom::Node;

/// The URL path at which the host serves the client runtime.
pub const CLIENT_PATH: &str = "/_trellis/client.js";

/// The render data embedded in a page, which the client sends back at mount.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RenderData {
    /// The route path the page was rendered for, without query.
    pub path: String,
    /// Hex render ID of the prerendered tree; empty when not prerendered.
    pub render_id: String,
    /// Whether the root element contains prerendered markup.
    pub prerendered: bool,
    /// The replay token of the prerender's random seed and clock start;
    /// empty when not prerendered.
    #[serde(default)]
    pub replay: String,
}

/// Writes a complete HTML5 document for a route page.
///
/// `nodes` are the prerendered root nodes; an empty slice gives the shell
/// that the client fills at mount. Fails only when the tree cannot be
/// serialized, which sanitized trees never are.
///
/// # Errors
///
/// Returns [`trellis_core::html::HtmlError`] for a tree with an invalid name
/// or a void element with children.
pub fn route_document(
    title: &str,
    data: &RenderData,
    nodes: &[Node],
) -> Result<String, trellis_core::html::HtmlError> {
    let json = serde_json::to_string(data).expect("render data serializes to JSON");
    let mut out = String::with_capacity(1024);
    document_head(title, &mut out);
    out.push_str("<script type=\"application/json\" id=\"trellis-data\">");
    out.push_str(&escape_json_for_script(&json));
    out.push_str("</script>\n<script src=\"");
    out.push_str(CLIENT_PATH);
    out.push_str(
        "\" defer></script>\n</head>\n<body>\n<div id=\"trellis-root\" data-trellis-route=\"",
    );
    escape_attr(&data.path, &mut out);
    out.push_str("\">");
    write_nodes(nodes, &mut out)?;
    out.push_str("</div>\n</body>\n</html>\n");
    Ok(out)
}

/// Writes a static document with a heading and a paragraph, used for the
/// not-found and failure pages. It loads no script.
pub fn message_document(title: &str, heading: &str, message: &str) -> String {
    let mut out = String::with_capacity(512);
    document_head(title, &mut out);
    out.push_str("</head>\n<body>\n<main>\n<h1>");
    escape_text(heading, &mut out);
    out.push_str("</h1>\n<p>");
    escape_text(message, &mut out);
    out.push_str("</p>\n</main>\n</body>\n</html>\n");
    out
}

fn document_head(title: &str, out: &mut String) {
    out.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
    );
    escape_text(title, out);
    out.push_str("</title>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_data_cannot_close_script() {
        let data = RenderData {
            path: "/</script><script>alert(1)</script>".into(),
            render_id: String::new(),
            prerendered: false,
            replay: String::new(),
        };

        let html = route_document("t", &data, &[]).unwrap();

        assert_eq!(html.matches("</script>").count(), 2, "{html}");
        assert!(html.contains("\\u003c/script>"), "{html}");
    }

    #[test]
    fn title_and_route_are_escaped() {
        let data = RenderData {
            path: "/\"><b>".into(),
            render_id: String::new(),
            prerendered: true,
            replay: String::new(),
        };

        let html = route_document(
            "<i>x</i>",
            &data,
            &[Node::text("<img src=x onerror=alert(1)>")],
        )
        .unwrap();

        assert!(
            html.contains("<title>&lt;i&gt;x&lt;/i&gt;</title>"),
            "{html}"
        );
        assert!(
            html.contains("data-trellis-route=\"/&quot;&gt;&lt;b&gt;\""),
            "{html}"
        );
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{html}"
        );
    }
}
