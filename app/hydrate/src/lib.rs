//! The browser's entry point. Everything else lives in `app`.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Only the islands hydrate, each when the page's script reaches it; staff islands are separate wasm chunks.
    leptos::mount::hydrate_islands();
    app::start();
}
