//! The web app's files (README, "The web app's files"): `index.html` at
//! `/` and at every deep link, never cached without asking again; hashed
//! assets cached for good; a missing asset or an unknown server path is a
//! 404, not the app; and the security headers the app relies on.

use crate::Start;
use draftroom_tests::http::{HttpResponse, request_raw};
use draftroom_tests::{Server, assert_error};
use std::path::Path;
use tempfile::TempDir;

const INDEX: &str = "<!doctype html><meta name=csp-nonce content=__CSP_NONCE__><title>Draftroom</title><script type=module src=/assets/index-Ab12Cd34.js></script>";
const SCRIPT: &str = "console.log('Zażółć gęślą jaźń')\n";

/// A throwaway build, shaped as Vite makes it.
fn web_dist() -> TempDir {
    let dir = tempfile::Builder::new()
        .prefix("draftroom-web-")
        .tempdir()
        .expect("a temporary web directory");
    let write = |path: &str, contents: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    };
    write("index.html", INDEX);
    write("assets/index-Ab12Cd34.js", SCRIPT);
    write("assets/index-Ef56Gh78.css", "body{margin:0}");
    write("robots.txt", "User-agent: *\n");
    dir
}

fn start(dir: &Path) -> Server {
    Server::start_with(&["--web", dir.to_str().unwrap()])
}

async fn get(server: &Server, path: &str) -> anyhow::Result<HttpResponse> {
    server.request("GET", path, None, None).await
}

fn body(response: &HttpResponse) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

/// The style nonce a response's policy names.
fn nonce(response: &HttpResponse) -> String {
    let csp = response
        .header("content-security-policy")
        .unwrap_or_default();
    let start = csp.find("'nonce-").map(|i| i + 7).expect("a style nonce");
    csp[start..]
        .split('\'')
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[track_caller]
fn assert_app(what: &str, response: &HttpResponse) {
    assert_eq!(response.status, 200, "{what}: {}", body(response));
    let nonce = nonce(response);
    assert!(
        nonce.len() == 32 && nonce.bytes().all(|b| b.is_ascii_hexdigit()),
        "{what}: nonce {nonce}"
    );
    assert_eq!(
        body(response),
        INDEX.replace("__CSP_NONCE__", &nonce),
        "{what}: the app's index.html with this page's nonce"
    );
    assert_eq!(
        response.header("etag"),
        None,
        "{what}: a page has no validator"
    );
    assert!(
        response
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/html")),
        "{what}: {:?}",
        response.headers
    );
    assert_eq!(response.header("cache-control"), Some("no-cache"), "{what}");
}

#[tokio::test]
async fn the_app_is_served_at_the_root_and_at_every_deep_link() -> anyhow::Result<()> {
    let dist = web_dist();
    let server = start(dist.path());
    for path in [
        "/",
        "/index.html",
        "/m/6f1c2a9e-3b7d-4d5e-9a41-0c2b7e8f9a10",
        "/m/6f1c2a9e-3b7d-4d5e-9a41-0c2b7e8f9a10/join",
        "/m/6f1c2a9e-3b7d-4d5e-9a41-0c2b7e8f9a10/join?lang=pl",
        "/apis",
        "/wsx",
    ] {
        assert_app(path, &get(&server, path).await?);
    }
    // A file of the build outside /assets/ is itself, checked before use.
    let robots = get(&server, "/robots.txt").await?;
    assert_eq!(robots.status, 200);
    assert_eq!(body(&robots), "User-agent: *\n");
    assert_eq!(robots.header("cache-control"), Some("no-cache"));
    Ok(())
}

#[tokio::test]
async fn hashed_assets_are_cached_for_good_and_a_missing_one_is_a_404() -> anyhow::Result<()> {
    let dist = web_dist();
    let server = start(dist.path());
    let script = get(&server, "/assets/index-Ab12Cd34.js").await?;
    assert_eq!(script.status, 200);
    assert_eq!(body(&script), SCRIPT);
    assert!(
        script
            .header("content-type")
            .is_some_and(|t| t.contains("javascript")),
        "{:?}",
        script.headers
    );
    assert_eq!(
        script.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let style = get(&server, "/assets/index-Ef56Gh78.css").await?;
    assert_eq!(style.status, 200);
    assert!(
        style
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/css"))
    );

    // A script tag must never get HTML: an old page asking for the assets of
    // a previous build is told they are gone.
    for path in [
        "/assets/index-Old00000.js",
        "/assets/",
        "/assets/../index.html",
    ] {
        let missing = get(&server, path).await?;
        assert_eq!(missing.status, 404, "{path}: {}", body(&missing));
        assert_eq!(body(&missing), "", "{path}: a 404 without a body");
        // Asked again next time: the asset may yet be deployed.
        assert_eq!(missing.header("cache-control"), Some("no-cache"), "{path}");
    }
    Ok(())
}

#[tokio::test]
async fn server_paths_stay_the_servers() -> anyhow::Result<()> {
    let dist = web_dist();
    let server = start(dist.path());
    assert_eq!(body(&get(&server, "/healthz").await?), "ok");
    for path in [
        "/api",
        "/api/nope",
        "/api/meetings/x/nope/deeper",
        "/ws",
        "/ws/only-a-meeting",
        "/healthz/x",
    ] {
        let response = get(&server, path).await?;
        assert_eq!(response.status, 404, "{path}: {}", body(&response));
        assert_eq!(
            response.json()["error"]["code"],
            "not_found",
            "{path}: {}",
            body(&response)
        );
    }
    // The app takes no other method.
    let post = server.request("POST", "/m/x", None, Some(b"{}")).await?;
    assert_error(
        "POST to the app",
        &(post.status, post.json()),
        405,
        "method_not_allowed",
    );
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
    Ok(())
}

#[tokio::test]
async fn the_app_carries_its_security_headers() -> anyhow::Result<()> {
    let dist = web_dist();
    let server = start(dist.path());
    let addr = server.addr();
    let mut nonces = std::collections::HashSet::new();
    for path in ["/", "/m/x/join", "/assets/index-Ab12Cd34.js"] {
        let response = get(&server, path).await?;
        let nonce = nonce(&response);
        assert!(
            nonces.insert(nonce.clone()),
            "a fresh nonce for every response"
        );
        let expected = format!(
            "default-src 'self'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; \
             connect-src 'self' ws://{addr} wss://{addr}; font-src 'self'; object-src 'none'; \
             base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        );
        assert_eq!(
            response.header("content-security-policy"),
            Some(expected.as_str()),
            "{path}"
        );
        assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(response.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(response.header("x-frame-options"), Some("DENY"));
    }
    // The API answers carry the headers that cost it nothing.
    let api = get(&server, "/api/nope").await?;
    assert_eq!(api.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(api.header("referrer-policy"), Some("no-referrer"));

    // The name the browser used is the WebSocket's host...
    let named = request_raw(
        addr,
        "GET /m/x HTTP/1.1\r\nHost: draftroom.example.org\r\nConnection: close\r\n\r\n",
    )
    .await?;
    let csp = named.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("connect-src 'self' ws://draftroom.example.org wss://draftroom.example.org;"),
        "{csp}"
    );
    // ...unless it is not a plain host[:port]: nothing of it enters the policy.
    let forged = request_raw(
        addr,
        "GET / HTTP/1.1\r\nHost: x; script-src https://evil.example\r\nConnection: close\r\n\r\n",
    )
    .await?;
    assert_eq!(forged.status, 200);
    let csp = forged.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("connect-src 'self'; "), "{csp}");
    assert!(!csp.contains("evil"), "{csp}");
    Ok(())
}

#[tokio::test]
async fn without_a_built_app_app_paths_answer_a_placeholder() -> anyhow::Result<()> {
    let nowhere = tempfile::tempdir()?;
    let server = start(&nowhere.path().join("dist"));
    let page = get(&server, "/m/x/join").await?;
    assert_eq!(page.status, 200);
    assert!(
        body(&page).contains("web app is not installed"),
        "{}",
        body(&page)
    );
    let unknown = get(&server, "/api/nope").await?;
    assert_error(
        "an unknown server path",
        &(unknown.status, unknown.json()),
        404,
        "not_found",
    );
    Ok(())
}

#[tokio::test]
async fn a_page_is_never_answered_from_a_validator_so_its_nonce_is_fresh() -> anyhow::Result<()> {
    let dist = web_dist();
    let server = start(dist.path());
    let addr = server.addr();
    let first = get(&server, "/").await?;
    assert_app("/", &first);
    // A browser revalidating a kept page gets it anew, with a new nonce:
    // a 304 would keep the old page's nonce under the new policy.
    let again = request_raw(
        addr,
        "GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"anything\"\r\nIf-Modified-Since: Sun, 01 Jan 2034 00:00:00 GMT\r\nConnection: close\r\n\r\n",
    )
    .await?;
    assert_app("/ revalidated", &again);
    assert_ne!(nonce(&first), nonce(&again));
    // HEAD tells the length the page has, nonce in, and sends no body.
    let mut socket = tokio::net::TcpStream::connect(addr).await?;
    tokio::io::AsyncWriteExt::write_all(
        &mut socket,
        b"HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await?;
    let mut raw = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut socket, &mut raw).await?;
    let raw = String::from_utf8(raw)?;
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let length = format!("content-length: {}", first.body.len());
    assert!(head.to_ascii_lowercase().contains(&length), "{head}");
    assert!(body.is_empty(), "HEAD sent a body: {body}");
    Ok(())
}
