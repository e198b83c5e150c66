//! The web app's static files, as Vite builds them into `web/dist`: every
//! path the API, the WebSocket endpoint and `/healthz` do not claim is the
//! app's. `index.html` is never cached without asking again (a new build
//! must reach everyone at their next load), the content-hashed files under
//! `/assets/` are cached for good, and a deep link such as `/m/{id}/join`
//! answers `index.html`, for the app to route itself after a reload.
//!
//! Every response of the app carries a Content-Security-Policy that allows
//! only the app's own origin and its WebSocket, and the headers that keep
//! other sites from framing it or the browser from sniffing types. The
//! editor (CodeMirror) puts its styles into a `<style>` element, so each
//! page gets a fresh nonce: in the policy's `style-src` and in the page's
//! `<meta name="csp-nonce">`, where the app reads it. Pages are therefore
//! never answered from a validator (no ETag, no 304): a page kept from
//! before would carry an old nonce.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use crate::http::error::AppError;

/// `Cache-Control` of `index.html` and every other file not under `/assets/`:
/// kept, but checked again (ETag, Last-Modified) before each use.
pub(crate) const NO_CACHE: &str = "no-cache";
/// `Cache-Control` of the content-hashed files under `/assets/`: a new
/// build has new names, so a name's content never changes.
pub(crate) const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Shown at every app path when the web app is not there.
const PLACEHOLDER: &str = "<!doctype html><meta charset=utf-8><title>Draftroom</title>\
<h1>Draftroom</h1><p>This server syncs meeting drafts; its web app is not installed here \
(build it with <code>npm run build</code> in <code>web/</code>, or see <code>--web</code>). \
See <code>README.md</code> for the API.</p>";

/// The web app: the directory of its built files, if there is one.
#[derive(Clone)]
pub(crate) struct WebApp {
    dir: Option<Arc<Path>>,
}

impl WebApp {
    /// Serves the app in `dir`, or a placeholder page when it is `None` or
    /// not a directory.
    pub(crate) fn new(dir: Option<PathBuf>) -> WebApp {
        let dir = match dir {
            Some(d) if d.is_dir() => Some(Arc::from(d)),
            Some(d) => {
                tracing::warn!(web = %d.display(), "no web app there; serving a placeholder page");
                None
            }
            None => None,
        };
        WebApp { dir }
    }

    /// Answers a request no route of the server took.
    pub(crate) async fn serve(self, req: Request) -> Response {
        let path = req.uri().path();
        if is_server_path(path) {
            return AppError::not_found("no such path").into_response();
        }
        if req.method() != Method::GET && req.method() != Method::HEAD {
            let mut response = crate::http::api::method_not_allowed().await.into_response();
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return response;
        }
        let asset = path.starts_with("/assets/");
        let nonce = style_nonce();
        let csp = content_security_policy(req.headers(), &nonce);
        let mut response = match &self.dir {
            None => Html(PLACEHOLDER).into_response(),
            // A missing asset is a 404, never the app: a script tag must
            // not get HTML.
            Some(dir) if asset => into_response(ServeDir::new(dir).oneshot(req).await),
            Some(dir) => {
                let mut req = req;
                for h in [header::IF_NONE_MATCH, header::IF_MODIFIED_SINCE] {
                    req.headers_mut().remove(h);
                }
                // A HEAD is answered as the GET would be, without its body:
                // the page's length depends on the nonce put into it.
                let head = req.method() == Method::HEAD;
                *req.method_mut() = Method::GET;
                let index = ServeFile::new(dir.join("index.html"));
                let served = into_response(ServeDir::new(dir).fallback(index).oneshot(req).await);
                with_nonce(served, &nonce, head).await
            }
        };
        let status = response.status();
        let cache = if asset && (status.is_success() || status == StatusCode::NOT_MODIFIED) {
            IMMUTABLE
        } else {
            NO_CACHE
        };
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        if let Ok(csp) = HeaderValue::from_str(&csp) {
            headers.insert(header::CONTENT_SECURITY_POLICY, csp);
        }
        response
    }
}

/// A fresh nonce for one page's styles: 128 random bits, hex.
fn style_nonce() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The placeholder in the built `index.html` that each page's nonce replaces.
pub(crate) const NONCE_PLACEHOLDER: &str = "__CSP_NONCE__";

/// Puts the nonce into an HTML page; anything else passes unchanged.
async fn with_nonce(response: Response, nonce: &str, head: bool) -> Response {
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !html || !response.status().is_success() {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // index.html is small; a page larger than this is not ours to rewrite.
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return AppError::new(
            draftroom_shared::ErrorCode::Internal,
            "the app's page could not be read",
        )
        .into_response();
    };
    let page = String::from_utf8_lossy(&bytes).replace(NONCE_PLACEHOLDER, nonce);
    for h in [header::ETAG, header::LAST_MODIFIED] {
        parts.headers.remove(h);
    }
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(page.len()));
    Response::from_parts(
        parts,
        if head {
            Body::empty()
        } else {
            Body::from(page)
        },
    )
}

fn into_response<B>(served: Result<Response<B>, std::convert::Infallible>) -> Response
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    match served {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    }
}

/// Paths of the server's own: an unknown one is a 404, not the app.
fn is_server_path(path: &str) -> bool {
    ["/api", "/ws", "/healthz"].iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// The Content-Security-Policy of the app: its own origin only, and its
/// WebSocket on the host the browser asked for (CSP level 2 browsers do
/// not count `ws:` as `'self'`). A Host header that is not a plausible
/// `host[:port]` is left out rather than copied into the policy.
pub(crate) fn content_security_policy(headers: &HeaderMap, style_nonce: &str) -> String {
    let connect = match headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| plausible_host(h))
    {
        Some(host) => format!("'self' ws://{host} wss://{host}"),
        None => "'self'".to_owned(),
    };
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'nonce-{style_nonce}'; img-src 'self' data:; \
         connect-src {connect}; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// Whether `s` is a host name, an IPv4 address or a bracketed IPv6
/// address, with an optional port: nothing that could end a CSP directive
/// or add a source.
pub(crate) fn plausible_host(s: &str) -> bool {
    if s.is_empty() || s.len() > 262 {
        return false;
    }
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let Some((inside, after)) = rest.split_once(']') else {
            return false;
        };
        let v6 = !inside.is_empty()
            && inside.contains(':')
            && inside
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.');
        if !v6 {
            return false;
        }
        match after {
            "" => return true,
            _ => match after.strip_prefix(':') {
                Some(port) => ("", Some(port)),
                None => return false,
            },
        }
    } else {
        match s.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (s, None),
        }
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    let host_ok = s.starts_with('[')
        || (host.len() <= 253
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            }));
    port_ok && host_ok
}

/// Headers every response carries: no type sniffing, no Referer leaving
/// the app (invite secrets must never travel in one), no framing by other
/// sites.
pub(crate) fn add_security_headers(headers: &mut HeaderMap) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_that_may_go_into_the_policy() {
        for ok in [
            "localhost",
            "127.0.0.1:8080",
            "draftroom.example.org",
            "draftroom.example.org:443",
            "[::1]",
            "[::1]:8080",
            "[2001:db8::7]:1",
            "xn--krakw-3ta.pl",
        ] {
            assert!(plausible_host(ok), "{ok}");
        }
        for bad in [
            "",
            "evil.example; script-src *",
            "a b",
            "host:",
            "host:80:80",
            "host:123456",
            "ho'st",
            "[::1",
            "[::1]x",
            "[zz]",
            "-a.example",
            "a..example",
            "a.example,b.example",
            "*",
        ] {
            assert!(!plausible_host(bad), "{bad}");
        }
    }

    #[test]
    fn the_policy_names_the_requested_host_or_only_self() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        let csp = content_security_policy(&headers, "abc");
        assert!(csp.contains("style-src 'self' 'nonce-abc';"), "{csp}");
        assert!(
            csp.contains("connect-src 'self' ws://127.0.0.1:8080 wss://127.0.0.1:8080;"),
            "{csp}"
        );
        headers.insert(
            header::HOST,
            HeaderValue::from_static("x; script-src https://evil.example"),
        );
        let csp = content_security_policy(&headers, "abc");
        assert!(csp.contains("connect-src 'self';"), "{csp}");
        assert!(!csp.contains("evil"), "{csp}");
    }

    #[test]
    fn server_paths_are_not_the_app() {
        for path in ["/api", "/api/x", "/ws", "/ws/a/b", "/healthz", "/healthz/x"] {
            assert!(is_server_path(path), "{path}");
        }
        for path in ["/", "/apix", "/wsx", "/m/1/join", "/assets/a.js"] {
            assert!(!is_server_path(path), "{path}");
        }
    }
}
