#!/usr/bin/env bash
# Benchmarks: builds the release app (so the served assets match the binary), then measures.
# Usage: bash tests/bench/run.sh [creates] [alerted requests]   — results go into tests/bench/RESULTS.md by hand.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash server/setup.sh
# --split: the staff pages are lazy routes in their own wasm chunks, so a customer downloads only their page.
cargo leptos build --release --split
node tests/bench/bench.mjs "${1:-1000}"
node tests/bench/alerts.mjs "${2:-100}"
# The same with 1,000 other customers' status feeds open.
node tests/bench/alerts.mjs "${2:-100}" 1000
# The same path to the board feed's frame on a raw socket (no browser), with none and with 1,000 other feeds.
node tests/bench/board_feed.mjs "${2:-100}" 0
node tests/bench/board_feed.mjs "${2:-100}" 1000
# PostgreSQL for the runs on it: a throwaway cluster, as the tests use (fsync on: commits are durable).
BENCH_POSTGRES=$(bash tests/postgres.sh)
export BENCH_POSTGRES
trap 'bash tests/postgres.sh stop "$BENCH_POSTGRES"' EXIT
# Durable creates/s with 1 and 32 clients against the disk's raw fsync rate, in one run: on SQLite, and on
# PostgreSQL with one instance and with two sharing it.
node tests/bench/creates.mjs 4000
node tests/bench/creates.mjs 4000 postgres
node tests/bench/creates.mjs 4000 postgres2
# One change to 10,000 live feeds: time to each, and memory per feed; then spread over two instances.
node tests/bench/feeds.mjs 10000
node tests/bench/feeds.mjs 10000 2
# The customer's first text: request committed → at the provider, over 100 requests.
node tests/bench/texts.mjs "${2:-100}"
# The board, the ladder and idle CPU with 200,000 closed and 2,000 open requests.
cargo run --release -p server --example store_bench 200000 2000
BENCH_POSTGRES=$BENCH_POSTGRES cargo run --release -p server --example store_bench 200000 2000
# Lighthouse, mobile, on the customer's form and status page in English and Russian.
node tests/bench/lighthouse.mjs
