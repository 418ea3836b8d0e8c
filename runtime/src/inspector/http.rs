//! Just enough HTTP/1.1 for the inspector: one request per connection, read whole
//! (head, then a body of `Content-Length` bytes), answered with a `Content-Length` and
//! `Connection: close`. Anything else is refused with the status that says why.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The longest request head (request line and headers) read.
const MAX_HEAD: usize = 16 * 1024;
/// The largest request body read (an import).
pub(super) const MAX_BODY: u64 = 256 * 1024 * 1024;

/// A request, read whole.
#[derive(Debug)]
pub(super) struct Request {
    pub(super) method: String,
    /// The path, percent-decoded, split at `/` (no empty segments).
    pub(super) segments: Vec<String>,
    /// The query's parameters, percent-decoded, in order.
    pub(super) query: Vec<(String, String)>,
    /// Header names lowercased.
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
}

impl Request {
    /// The query parameter `name`, if given.
    pub(super) fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// The header `name` (lowercase), if given.
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// The value of cookie `name`, if the request carries it.
    pub(super) fn cookie(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .filter(|(key, _)| key == "cookie")
            .flat_map(|(_, value)| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value)
    }
}

/// An answer.
#[derive(Debug)]
pub(super) struct Response {
    pub(super) status: u16,
    pub(super) content_type: &'static str,
    pub(super) headers: Vec<(&'static str, String)>,
    pub(super) body: Vec<u8>,
}

impl Response {
    /// A JSON answer.
    pub(super) fn json(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            content_type: "application/json; charset=utf-8",
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// A JSON error: `{"error": message}`.
    pub(super) fn error(status: u16, message: &str) -> Response {
        Response::json(status, serde_json::json!({ "error": message }).to_string())
    }

    /// Adds a header.
    pub(super) fn with(mut self, name: &'static str, value: String) -> Response {
        self.headers.push((name, value));
        self
    }

    /// Writes the answer to `out`.
    pub(super) fn write(&self, out: &mut impl Write) -> io::Result<()> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\
             Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n",
            self.status,
            reason(self.status),
            self.content_type,
            self.body.len()
        );
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        out.write_all(head.as_bytes())?;
        out.write_all(&self.body)?;
        out.flush()
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Reads one request from `stream`; an `Err` is the answer to send instead.
pub(super) fn read_request(stream: &TcpStream) -> Result<Request, Response> {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(stream);
    let mut head = Vec::new();
    loop {
        let before = head.len();
        let read = (&mut reader)
            .take((MAX_HEAD - head.len()) as u64 + 1)
            .read_until(b'\n', &mut head)
            .map_err(|_| Response::error(408, "the request did not arrive"))?;
        if read == 0 {
            return Err(Response::error(400, "the request ended inside its head"));
        }
        if head.len() > MAX_HEAD {
            return Err(Response::error(431, "the request head is over 16 KiB"));
        }
        if matches!(&head[before..], b"\r\n" | b"\n") {
            break;
        }
    }
    let head = String::from_utf8(head).map_err(|_| Response::error(400, "the request head is not UTF-8"))?;
    let mut lines = head.lines();
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Response::error(400, "a malformed request line"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(Response::error(400, "only HTTP/1.x is served"));
    }
    let mut headers = Vec::new();
    for line in lines.filter(|line| !line.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            return Err(Response::error(400, "a malformed header line"));
        };
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let segments = path
        .split('/')
        .filter(|segment| !segment.is_empty())
        .map(decode)
        .collect::<Option<Vec<String>>>()
        .ok_or_else(|| Response::error(400, "a malformed path"))?;
    let query = parse_query(query).ok_or_else(|| Response::error(400, "a malformed query"))?;
    let mut request = Request { method: method.to_owned(), segments, query, headers, body: Vec::new() };
    if request.header("transfer-encoding").is_some() {
        return Err(Response::error(400, "send a body with a Content-Length, not chunked"));
    }
    let length = match request.header("content-length") {
        Some(length) => {
            length.parse::<u64>().map_err(|_| Response::error(400, "a malformed Content-Length"))?
        }
        None => 0,
    };
    if length > MAX_BODY {
        return Err(Response::error(413, "the body is over 256 MiB; import it with `insula import`"));
    }
    reader
        .take(length)
        .read_to_end(&mut request.body)
        .map_err(|_| Response::error(408, "the body did not arrive"))?;
    if request.body.len() as u64 != length {
        return Err(Response::error(400, "the body is shorter than its Content-Length"));
    }
    Ok(request)
}

/// `a=1&b=x%20y` as pairs.
pub(super) fn parse_query(query: &str) -> Option<Vec<(String, String)>> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            Some((decode(&key.replace('+', " "))?, decode(&value.replace('+', " "))?))
        })
        .collect()
}

/// Percent-decodes `text`; `None` when it is malformed or not UTF-8.
fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let hex = std::str::from_utf8(bytes.get(at + 1..at + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_decode() {
        let pairs = parse_query("filter=likes+%3E+10&sort=-likes&empty").unwrap();
        assert_eq!(
            pairs,
            [
                ("filter".into(), "likes > 10".into()),
                ("sort".into(), "-likes".into()),
                ("empty".into(), "".into())
            ]
        );
        assert_eq!(parse_query("a=%zz"), None);
        assert_eq!(parse_query("a=%C3%A9").unwrap()[0].1, "é");
    }
}
