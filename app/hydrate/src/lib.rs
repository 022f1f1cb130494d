//! The browser's entry point. Everything else lives in `app`.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Staff pages are separate wasm chunks (lazy routes): a customer's phone downloads only its own.
    leptos::mount::hydrate_lazy(app::App);
}
