#!/usr/bin/env bash
# Every test roadcall has: formatting, lints, unit and integration tests (real SQLite, real HTTP), the crash
# test (kill -9), the integration suite again on a real PostgreSQL, then the browser tests (real Chromium,
# phone-sized, JavaScript on and off) against the release build. Installs whatever is missing first.
set -euo pipefail
# One build per run: incremental artifacts would only fill the disk.
export CARGO_INCREMENTAL=0
cd "$(dirname "$0")/.."
bash server/setup.sh --browser
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "format"
cargo fmt --all --check

step "lints (server, app, wasm)"
cargo clippy -p server -p app --features app/ssr --all-targets -- -D warnings
cargo clippy -p hydrate --target wasm32-unknown-unknown -- -D warnings

step "unit, integration and crash tests (SQLite)"
cargo test -p server -p app --features app/ssr

step "integration and crash tests again, on PostgreSQL"
# A throwaway cluster from Debian's package (installed if missing), a database of its own per test. The
# migration tests read SQLite files of earlier versions: they ran above.
ROADCALL_TEST_POSTGRES=$(bash tests/postgres.sh)
export ROADCALL_TEST_POSTGRES
trap 'bash tests/postgres.sh stop "$ROADCALL_TEST_POSTGRES"' EXIT
cargo test -p server -p app --features app/ssr --test over_http -- --skip migrations::

step "release build"
# --split: the staff pages are lazy routes in their own wasm chunks, so a customer downloads only their page.
cargo leptos build --release --split

step "browser tests"
node --test --test-concurrency=1 tests/e2e/
