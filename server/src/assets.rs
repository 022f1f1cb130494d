//! Static files: compressed once at start-up (brotli and gzip beside each file), then served as they are,
//! with a year of caching for the hashed files under /pkg.

use std::path::{Path, PathBuf};

use axum::{
    extract::Request,
    http::{HeaderValue, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

use app::i18n::td_string;

use crate::reply::{Problem, Said};

const COMPRESSIBLE: [&str; 8] = ["wasm", "js", "css", "svg", "html", "json", "webmanifest", "txt"];

/// Writes `file.br` and `file.gz` where they are missing or older than the file. Failures only cost bytes.
pub async fn precompress(site_root: &Path) {
    let root = site_root.to_owned();
    let done = tokio::task::spawn_blocking(move || {
        let mut files = Vec::new();
        collect(&root, &mut files);
        files.iter().filter(|f| stale(f, "br") || stale(f, "gz")).filter_map(|f| compress(f).err()).count()
    })
    .await;
    if let Ok(failures) = done
        && failures > 0
    {
        tracing::warn!(failures, "some static files could not be precompressed");
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for path in entries.flatten().map(|e| e.path()) {
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| COMPRESSIBLE.contains(&e)) {
            out.push(path);
        }
    }
}

fn sibling(file: &Path, ext: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
}

fn stale(file: &Path, ext: &str) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (modified(file), modified(&sibling(file, ext))) {
        (Some(original), Some(compressed)) => compressed < original,
        _ => true,
    }
}

fn compress(file: &Path) -> std::io::Result<()> {
    use std::io::Write;
    let data = std::fs::read(file)?;
    let mut br = Vec::new();
    {
        let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
        brotli::BrotliCompress(&mut data.as_slice(), &mut br, &params)?;
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&data)?;
    // Write under a temporary name first so a half-written file is never served.
    for (ext, bytes) in [("br", br), ("gz", gz.finish()?)] {
        let target = sibling(file, ext);
        let tmp = sibling(file, &format!("{ext}.tmp"));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(tmp, target)?;
    }
    Ok(())
}

/// `/pkg`: wasm, JS and CSS. With hashed names a file never changes, so browsers keep it for a year.
pub fn pkg_service(site_root: &Path, pkg_dir: &str, hashed: bool) -> SetResponseHeaderLayerService {
    let cache = if hashed { "public, max-age=31536000, immutable" } else { "no-cache" };
    tower::Layer::layer(
        &SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        precompressed(&site_root.join(pkg_dir)),
    )
}

fn precompressed(dir: &Path) -> ServeDir {
    ServeDir::new(dir).precompressed_br().precompressed_gzip()
}

/// The files at the site's root (icon, manifest, service worker), served as they are; anything missing goes to
/// `missing` (the app's "not found" page). Not leptos_axum's file handler: that one makes its reactive owner a
/// child of whatever page is rendering on the same thread and moves that page's response headers (its
/// Content-Security-Policy, a redirect) onto the file.
pub fn root_files<S>(site_root: &Path, missing: S) -> ServeDir<S> {
    precompressed(site_root).append_index_html_on_directories(false).fallback(missing)
}

pub type SetResponseHeaderLayerService = tower_http::set_header::SetResponseHeader<ServeDir, HeaderValue>;

/// Middleware before the files: a path no file can have (a part longer than a file name may be, a NUL byte) is
/// not found, without asking the file system. `ServeDir` answers the file system's refusal of such a name with an
/// empty 500.
pub async fn only_file_names(request: Request, next: Next) -> Response {
    if could_name_a_file(request.uri().path()) {
        next.run(request).await
    } else {
        Problem::not_found(Said::by(|l| td_string!(l, refused.no_such_page))).into_response()
    }
}

/// Whether a URL path, decoded, fits the file system: no NUL, no part over 255 bytes, 4096 bytes in all.
fn could_name_a_file(path: &str) -> bool {
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(high), Some(low)) => {
                decoded.push((high * 16 + low) as u8);
                i += 3;
            }
            (b, _, _) => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    decoded.len() <= 4096 && !decoded.contains(&0) && decoded.split(|b| *b == b'/').all(|part| part.len() <= 255)
}

#[cfg(test)]
mod tests {
    use super::could_name_a_file;

    #[test]
    fn names_the_file_system_refuses_are_caught_before_it() {
        assert!(could_name_a_file("/pkg/roadcall-1a2b.wasm"));
        assert!(could_name_a_file(&format!("/{}", "x".repeat(255))));
        assert!(could_name_a_file("/%E2%82%AC%zz"));
        assert!(!could_name_a_file(&format!("/{}", "x".repeat(256))));
        assert!(!could_name_a_file(&format!("/{}", "%78".repeat(256))));
        assert!(!could_name_a_file("/a%00b"));
        assert!(!could_name_a_file(&"/x".repeat(2049)));
    }
}
