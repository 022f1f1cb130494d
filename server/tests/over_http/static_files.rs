//! Static files beside the pages: served as files, with their own headers, and never taking a page's headers.
use crate::common::spawn_app_with;

/// A built site with the files the app serves from its root (the icon, the service worker).
fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("favicon.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>").unwrap();
    std::fs::write(dir.path().join("sw.js"), "self.addEventListener('push', () => {});").unwrap();
    dir
}

fn policy(r: &reqwest::Response) -> String {
    r.headers().get("content-security-policy").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

#[tokio::test]
async fn files_are_served_with_their_own_headers() {
    let site = site();
    let app = spawn_app_with(&["--site-root", site.path().to_str().unwrap()]).await;
    let r = app.client.get(app.url("/sw.js")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().contains("javascript"));
    // The service worker must be checked for updates at every load, never kept for a year.
    assert_eq!(r.headers()["cache-control"], "no-cache");
    assert!(!policy(&r).contains("nonce-"), "a file gets the plain policy, not a page's");
    assert!(r.text().await.unwrap().contains("push"));

    let missing = app.client.get(app.url("/no-such-file.svg")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("This page does not exist"));
}

/// Leptos 0.8 leaves a page's render owner as the thread's current owner while the page streams, and its file
/// handler made a child of that owner and moved the page's response headers onto the file. A page fetched together
/// with its icon lost its Content-Security-Policy that way (its scripts were then refused) — or its redirect.
#[tokio::test]
async fn a_page_keeps_its_headers_while_files_are_fetched_beside_it() {
    let site = site();
    let app = spawn_app_with(&["--site-root", site.path().to_str().unwrap()]).await;
    for _ in 0..40 {
        let (page, icon, tech, missing) = tokio::join!(
            app.client.get(app.url("/")).send(),
            app.client.get(app.url("/favicon.svg")).send(),
            app.client.get(app.url("/tech")).send(),
            app.client.get(app.url("/no-such-file.svg")).send(),
        );
        let (page, icon, tech, missing) = (page.unwrap(), icon.unwrap(), tech.unwrap(), missing.unwrap());
        assert_eq!(page.status(), 200);
        assert!(policy(&page).contains("'nonce-"), "the page's own policy: {:?}", policy(&page));
        assert_eq!(icon.status(), 200);
        assert!(!policy(&icon).contains("nonce-"), "the icon took a page's policy: {:?}", policy(&icon));
        assert!(icon.headers().get("location").is_none());
        // A staff page without a session sends the browser to log in, and keeps that answer.
        assert_eq!(tech.status(), 302);
        assert_eq!(tech.headers()["location"], "/login?next=/tech");
        // What is not there is the app's own "not found" page, with its own policy.
        assert_eq!(missing.status(), 404);
        assert!(policy(&missing).contains("'nonce-"));
    }
}
