// `sqlx::migrate!` embeds the migrations at compile time; cargo cannot see a new file in the folder by itself.
// The translations (app/locales/{en,ru}.json) become the `i18n` module (leptos_i18n's code generation).
use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos, options::CodegenOptions};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo::rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("no OUT_DIR")?).join("i18n");
    // `td_string!` with {{ values }} (SMS, push, CSV) is for the server only; the wasm does without that code.
    let server = std::env::var_os("CARGO_FEATURE_SSR").is_some();
    let cfg = Config::new("en")?.add_locale("ru")?.parse_options(ParseOptions::default().interpolate_display(server));
    let infos = TranslationsInfos::parse(cfg)?;
    infos.emit_diagnostics();
    infos.rerun_if_locales_changed();
    // The workspace's lints (clippy::unwrap_used, panic …) are not for generated code.
    let attrs = "#![allow(clippy::all, clippy::unwrap_used, clippy::expect_used, clippy::panic)]".parse()?;
    let options = CodegenOptions::default().top_level_attributes(Some(attrs)).gen_docs(false);
    infos.generate_i18n_module_with_options(out, options)?;
    Ok(())
}
