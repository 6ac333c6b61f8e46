//! HTTP prerender of the counter example through the real server.

use trellis_tests::TestServer;

#[test]
fn get_root_prerenders_counter() {
    let server = TestServer::start("examples/counter");

    let response = server.get("/");

    assert_eq!(response.status, 200, "{}", response.body);
    assert!(
        response
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        response.body.starts_with("<!DOCTYPE html>"),
        "{}",
        response.body
    );
    assert!(
        response.body.contains("<span id=\"count\">0</span>"),
        "{}",
        response.body
    );
    assert!(
        response.body.contains("id=\"trellis-data\""),
        "{}",
        response.body
    );
    assert!(
        response
            .body
            .contains("<script src=\"/_trellis/client.js\" defer>"),
        "{}",
        response.body
    );
}

#[test]
fn get_unknown_path_is_404() {
    let server = TestServer::start("examples/counter");

    let response = server.get("/nope");

    assert_eq!(response.status, 404);
    assert!(
        response.body.contains("Page not found"),
        "{}",
        response.body
    );
}

#[test]
fn get_sets_session_cookie() {
    let server = TestServer::start("examples/counter");

    let response = server.get("/");

    let cookie = response
        .header("set-cookie")
        .expect("a new visitor gets a cookie");
    assert!(cookie.starts_with("trellis_session="), "{cookie}");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(flag), "{cookie} lacks {flag}");
    }
    let again = server.request("GET", "/", &[("Cookie", cookie.split(';').next().unwrap())]);
    assert_eq!(
        again.header("set-cookie"),
        None,
        "a known visitor keeps its cookie"
    );
}

#[test]
fn client_script_is_served() {
    let server = TestServer::start("examples/counter");

    let response = server.get("/_trellis/client.js");

    assert_eq!(response.status, 200);
    assert!(
        response
            .header("content-type")
            .unwrap()
            .starts_with("text/javascript")
    );
    assert_eq!(response.body, trellis_server::CLIENT_SCRIPT);
}

#[test]
fn post_is_rejected() {
    let server = TestServer::start("examples/counter");

    let response = server.request("POST", "/", &[("Content-Length", "0")]);

    assert_eq!(response.status, 405);
}

#[test]
fn route_params_and_query_reach_guest() {
    let server = TestServer::start("tests/guests");

    let response = server.get("/params/a%20b?x=1&y=two+words");

    assert_eq!(response.status, 200, "{}", response.body);
    assert!(response.body.contains("a b"), "{}", response.body);
    assert!(response.body.contains("two words"), "{}", response.body);
}
