#!/usr/bin/env bash
# Sets up what is missing, builds the release, and runs roadcall with its SQLite file under data/.
# Extra arguments go to the server (see: bash server/run.sh --help).
set -euo pipefail
cd "$(dirname "$0")/.."
bash server/setup.sh
# --split: each staff page's island is a wasm chunk of its own, so a customer downloads only the customer's code.
cargo leptos build --release --split
# --demo: a technician and a dispatcher to try every role with (printed, with fresh passwords).
exec env LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg ./target/release/server --demo "$@"
