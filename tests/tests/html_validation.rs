//! The prerendered documents validate as HTML5 with the Nu Html Checker.

use trellis_server::{App, ServerOptions, SessionId};
use trellis_tests::{load_runtime, run_node};

fn check_valid(app_dir: &str, path: &str) {
    let (config, runtime) = load_runtime(app_dir);
    let app = App::new(runtime, config.title, ServerOptions::default());
    let async_runtime = tokio::runtime::Runtime::new().unwrap();

    let page = async_runtime.block_on(app.prerender(path, &SessionId::generate()));

    assert_eq!(page.status, 200, "{}", page.html);
    let file = std::env::temp_dir().join(format!(
        "trellis-{}-{}.html",
        app_dir.replace('/', "-"),
        std::process::id()
    ));
    std::fs::write(&file, &page.html).unwrap();
    run_node("validate_html.mjs", &[file.to_str().unwrap()]);
    std::fs::remove_file(&file).ok();
}

#[test]
fn counter_page_is_valid_html5() {
    check_valid("examples/counter", "/");
}

#[test]
fn todo_page_is_valid_html5() {
    check_valid("examples/todo", "/");
}
