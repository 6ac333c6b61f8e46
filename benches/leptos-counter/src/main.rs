//! The counter page of `examples/counter`, rendered by Leptos SSR through
//! `leptos_axum`: the baseline that `benches/http.sh` runs next to
//! `trellis serve examples/counter`.
//!
//! Every `GET /` builds a fresh reactive owner, runs the `Counter` component
//! and renders the whole document to one HTML body
//! (`leptos_axum::render_app_async`). The page has the same markup as the
//! Trellis route, but no hydration script, no render data and no cookie: the
//! Trellis page carries all three.
//!
//! Usage: `leptos-counter [ADDRESS]` (default `127.0.0.1:3100`).

use std::net::SocketAddr;

use axum::Router;
use leptos::prelude::*;

/// Renders the counter route of `examples/counter/src/lib.rs`, element for
/// element.
#[component]
fn Counter() -> impl IntoView {
    let (count, set_count) = signal(0_i64);
    let (echo, set_echo) = signal(String::new());
    view! {
        <div class="counter">
            <h1>"Counter"</h1>
            <div class="controls">
                <button id="decrement" on:click=move |_| set_count.update(|c| *c -= 1)>"-1"</button>
                <span id="count">{count}</span>
                <button id="increment" on:click=move |_| set_count.update(|c| *c += 1)>"+1"</button>
            </div>
            <label>
                "Echo: "
                <input
                    id="echo-input"
                    type="text"
                    prop:value=echo
                    on:input=move |ev| set_echo.set(event_target_value(&ev))
                />
            </label>
            <p id="echo">{echo}</p>
            <p>
                <a href="/lucky">"Try your luck"</a>
            </p>
        </div>
    }
}

/// Renders the document around the route, with the head that Trellis writes minus
/// its two script elements.
fn shell() -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <title>"Counter"</title>
            </head>
            <body>
                <div id="root">
                    <Counter />
                </div>
            </body>
        </html>
    }
}

#[tokio::main]
async fn main() {
    // Leptos spawns its reactive tasks through `any_spawner`, which needs a
    // runtime chosen before the first render.
    any_spawner::Executor::init_tokio().expect("the Leptos executor was already set");

    let address: SocketAddr = std::env::args()
        .nth(1)
        .as_deref()
        .unwrap_or("127.0.0.1:3100")
        .parse()
        .expect("the argument must be an address such as 127.0.0.1:3100");

    let app = Router::new().route("/", axum::routing::get(leptos_axum::render_app_async(shell)));

    let listener = tokio::net::TcpListener::bind(address)
        .await
        .unwrap_or_else(|error| panic!("failed to listen on {address}: {error}"));
    eprintln!("leptos-counter listening on http://{address}");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .expect("the server failed");
}
