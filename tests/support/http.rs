//! A tiny HTTP/1.1 client: one request per connection (`Connection: close`),
//! enough to check statuses and JSON bodies without pulling in a full client.

use anyhow::Context as _;
use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One answer from the server.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Header names (lower-cased) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of a header, by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON: `Null` when empty, a JSON string holding the text
    /// when it is not JSON (so an assertion shows what came instead).
    pub fn json(&self) -> Value {
        if self.body.is_empty() {
            return Value::Null;
        }
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&self.body).into_owned()))
    }
}

/// Sends one request and reads the whole answer.
///
/// The body is written while the answer is read: a server may answer an
/// oversized body (413) and close before reading all of it, and the answer
/// must still be caught.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&[u8]>,
) -> anyhow::Result<HttpResponse> {
    request_with_headers(addr, method, path, token, body, &[]).await
}

/// [`request`] with extra header lines.
pub async fn request_with_headers(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&[u8]>,
    headers: &[(&str, &str)],
) -> anyhow::Result<HttpResponse> {
    let exchange = async {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connect to {addr}"))?;
        let (mut rd, mut wr) = stream.into_split();

        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
        if let Some(token) = token {
            head.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(body) = body {
            head.push_str("Content-Type: application/json\r\n");
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");

        let write = async move {
            wr.write_all(head.as_bytes()).await?;
            if let Some(body) = body {
                wr.write_all(body).await?;
            }
            wr.flush().await?;
            // Keep the write half open: shutting it down early is legal but
            // some servers treat a half-close as an aborted request.
            Ok::<_, std::io::Error>(wr)
        };
        let read = async {
            let mut buf = Vec::new();
            let result = rd.read_to_end(&mut buf).await;
            (buf, result)
        };
        let (written, (buf, read_result)) = tokio::join!(write, read);

        // A reset after a complete answer (the server refused the rest of
        // the body) is fine; an answer that never came is not.
        match parse(&buf) {
            Ok(response) => Ok(response),
            Err(parse_error) => {
                let mut error = parse_error.context(format!(
                    "{method} {path}: incomplete answer ({} bytes)",
                    buf.len()
                ));
                if let Err(e) = read_result {
                    error = error.context(format!("read failed: {e}"));
                }
                if let Err(e) = written {
                    error = error.context(format!("write failed: {e}"));
                }
                Err(error)
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .with_context(|| format!("{method} {path}: no answer within 10 s"))?
}

/// Sends `head` (a request line and headers, written as given, so a test
/// can send any `Host`) and reads the whole answer; the request should say
/// `Connection: close`.
pub async fn request_raw(addr: SocketAddr, head: &str) -> anyhow::Result<HttpResponse> {
    let exchange = async {
        let mut stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connect to {addr}"))?;
        stream.write_all(head.as_bytes()).await?;
        let mut buf = Vec::new();
        stream.read_to_end(&mut buf).await?;
        parse(&buf)
    };
    tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .context("no answer within 10 s")?
}

/// Parses a complete HTTP/1.1 answer.
fn parse(buf: &[u8]) -> anyhow::Result<HttpResponse> {
    let end = find(buf, b"\r\n\r\n").context("no end of headers")?;
    let head = std::str::from_utf8(&buf[..end]).context("headers are not UTF-8")?;
    let rest = &buf[end + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().context("no status line")?;
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .context("no status code")?
        .parse()
        .context("bad status code")?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((name.trim().to_ascii_lowercase(), value.trim().to_string()))
        })
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };

    let body = if header("transfer-encoding").is_some_and(|te| te.contains("chunked")) {
        dechunk(rest)?
    } else if let Some(len) = header("content-length") {
        let len: usize = len.parse().context("bad content-length")?;
        anyhow::ensure!(
            rest.len() >= len,
            "body cut short: {} of {len} bytes",
            rest.len()
        );
        rest[..len].to_vec()
    } else {
        rest.to_vec()
    };
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

/// Decodes a chunked body.
fn dechunk(mut rest: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = find(rest, b"\r\n").context("chunk size line cut short")?;
        let size_text = std::str::from_utf8(&rest[..line_end])?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).context("bad chunk size")?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        anyhow::ensure!(rest.len() >= size + 2, "chunk cut short");
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_content_length_and_chunked() {
        let plain = parse(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}").unwrap();
        assert_eq!(plain.status, 201);
        assert_eq!(plain.json(), serde_json::json!({}));

        let chunked = parse(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(chunked.json(), serde_json::json!({"a": 1}));
        assert_eq!(chunked.header("transfer-encoding"), Some("chunked"));
    }
}
