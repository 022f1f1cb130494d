// `sqlx::migrate!` embeds the migrations at compile time; cargo cannot see a new file in the folder by itself.
// The translations (app/locales/{en,ru}.json) become the `i18n` module: leptos_i18n's own parser and code
// generator, the same two crates its `load_locales!` macro runs, called here to set the parser's options.
use leptos_i18n_parser::parse_locales::{
    options::{Config, ParseOptions},
    parse_locales,
};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo::rerun-if-changed=build.rs");
    // `td_string!` with {{ values }}: sentences as strings, drawn alike by the server and the wasm.
    let cfg = Config::new("en")?.add_locale("ru")?.parse_options(ParseOptions::default().interpolate_display(true));
    let parsed = parse_locales(None, cfg)?;
    for warning in parsed.diag.warnings().iter() {
        println!("cargo::warning={warning}");
    }
    if let Some(error) = parsed.diag.errors().first() {
        return Err(error.to_string().into());
    }
    for path in parsed.tracked_files.iter().flatten() {
        println!("cargo::rerun-if-changed={path}");
    }
    // The workspace's lints (clippy::unwrap_used, panic …) are not for generated code.
    let attrs: proc_macro2::TokenStream =
        "#![allow(clippy::all, clippy::unwrap_used, clippy::expect_used, clippy::panic)]".parse()?;
    let code = leptos_i18n_codegen::gen_code(&parsed, None, false, Some(&attrs), false)?;
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("no OUT_DIR")?).join("i18n");
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("mod.rs"), code.to_string())?;
    Ok(())
}
