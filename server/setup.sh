#!/usr/bin/env bash
# Installs what building (and, with --browser, testing) roadcall needs, and skips what is already here.
# Everything comes from the registries: rustup, crates.io, npm and Debian's packages.
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=false
[ "${1:-}" = "--browser" ] && want_browser=true
say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32 target"
  rustup target add wasm32-unknown-unknown
fi

# 0.3.10 with its own lock file is the newest that builds on rustc 1.95; no_downloads makes it use the tools
# on PATH (wasm-bindgen from crates.io, wasm-opt from npm) instead of fetching binaries.
if ! cargo leptos --version 2>/dev/null | grep -q '0\.3\.10'; then
  say "installing cargo-leptos 0.3.10 (about 15 minutes, once)"
  cargo install cargo-leptos --locked --version 0.3.10 --features no_downloads
fi

# The CLI must match the wasm-bindgen crate in Cargo.lock exactly. Its own lock file does not resolve here,
# so it installs without --locked.
wbg=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wbg" ]; then
  say "installing wasm-bindgen-cli $wbg"
  cargo install wasm-bindgen-cli --version "$wbg" --force
fi

# wasm-opt from npm's binaryen (Debian's is too old and breaks hydration), Playwright's driver and axe-core;
# again whenever package-lock.json is newer than what npm last installed.
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -f node_modules/.package-lock.json ] \
  || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

if $want_browser && [ ! -x /usr/bin/chromium ]; then
  say "installing Chromium from Debian"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
