//! Prerendering a route for an HTTP GET.

use trellis_runtime::{CallError, GlobalStore, Mode};

use crate::App;
use crate::page::{RenderData, message_document, route_document};
use crate::session::{SessionId, render_id};

/// A document to send in answer to a GET.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    /// The HTTP status code.
    pub status: u16,
    /// The HTML document.
    pub html: String,
}

impl App {
    /// Prerenders the route that matches `path_and_query` for a user session.
    ///
    /// The guest runs in a fresh store with its own empty global-state store,
    /// in [`Mode::Prerender`], so imports that would change state trap. Then
    /// the page is still served, as an empty shell marked as not
    /// prerendered that the client fills at mount, and a warning names the
    /// route and the import. Any other failure gives a 500 page and an error
    /// log line; no matching route gives a 404 page. Nothing of the
    /// prerender outlives the call.
    pub async fn prerender(&self, path_and_query: &str, session: &SessionId) -> Page {
        let Some(resolved) = self.runtime.resolve(path_and_query) else {
            return Page {
                status: 404,
                html: message_document(
                    &self.title,
                    "Page not found",
                    "No route of this app matches the requested path.",
                ),
            };
        };
        let pattern = self.runtime.pattern(resolved.route).to_string();
        let path = resolved.request.path.clone();

        let (replay, replay_token) = crate::replay::issue(&self.options.server_key, session, &path);
        let result = async {
            let mut instance = self
                .runtime
                .instantiate(
                    resolved.route,
                    resolved.request,
                    Mode::Prerender,
                    GlobalStore::new(),
                    replay,
                )
                .await?;
            instance.render().await
        }
        .await;

        match result {
            Ok(rendered) => {
                let data = RenderData {
                    path,
                    render_id: render_id(session, &rendered.bytes),
                    prerendered: true,
                    replay: replay_token,
                };
                match route_document(&self.title, &data, std::slice::from_ref(&rendered.node)) {
                    Ok(html) => Page { status: 200, html },
                    Err(error) => self.failure_page(&pattern, &error.to_string()),
                }
            }
            Err(CallError::Sandbox(violation)) => {
                tracing::warn!(
                    route = %pattern,
                    import = violation.import,
                    "prerender trapped on a state-changing import; serving the shell for the client to mount"
                );
                let data = RenderData {
                    path,
                    render_id: String::new(),
                    prerendered: false,
                    replay: String::new(),
                };
                let html = route_document(&self.title, &data, &[])
                    .expect("an empty shell always serializes");
                Page { status: 200, html }
            }
            Err(error) => self.failure_page(&pattern, &error.to_string()),
        }
    }

    fn failure_page(&self, pattern: &str, error: &str) -> Page {
        tracing::error!(route = %pattern, error, "prerender failed");
        Page {
            status: 500,
            html: message_document(
                &self.title,
                "This page failed to render",
                "The route that renders this page failed. The server log has the details.",
            ),
        }
    }
}
