# Development recipes. Each one calls scripts/dev, which does the same work
# on a machine without `just`.

set positional-arguments

# Lists the recipes.
default:
    @just --list

# Installs the guest toolchain (rustc-web, lld, wasi-libc, wasm-component-ld).
setup:
    scripts/dev setup

# Builds the trellis binary and the example guests.
build:
    scripts/dev build

# Builds and serves an app, examples/todo by default.
run *args:
    scripts/dev run "$@"

# Installs test dependencies, builds the test guests and runs all tests.
test:
    scripts/dev test

# Runs the format and clippy checks, then the tests, as CI does.
ci:
    scripts/dev ci
