//! A minimal hand-rolled protocol client, for messages real clients never send and for
//! reading huge results without a client library buffering them.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// A backend message: its type byte and body.
#[derive(Debug)]
pub struct Message {
    /// The type byte ('R', 'D', 'E', 'Z', ...).
    pub kind: u8,
    /// The body after the length.
    pub body: Vec<u8>,
}

impl Message {
    /// The SQLSTATE of an ErrorResponse.
    pub fn sqlstate(&self) -> Option<String> {
        self.field(b'C')
    }

    /// A field of an ErrorResponse or NoticeResponse.
    pub fn field(&self, code: u8) -> Option<String> {
        let mut rest = &self.body[..];
        while let Some((&c, tail)) = rest.split_first() {
            if c == 0 {
                break;
            }
            let end = tail.iter().position(|b| *b == 0)?;
            if c == code {
                return Some(String::from_utf8_lossy(&tail[..end]).into_owned());
            }
            rest = &tail[end + 1..];
        }
        None
    }
}

/// A raw connection.
pub struct Raw {
    /// The socket.
    pub stream: TcpStream,
}

/// A frontend message with a type byte.
pub fn frame(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![kind];
    out.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// A protocol 3.0 StartupMessage with these parameters.
pub fn startup_packet(parameters: &[(&str, &str)]) -> Vec<u8> {
    let mut body = 196608i32.to_be_bytes().to_vec();
    for (k, v) in parameters {
        body.extend(cstr(k));
        body.extend(cstr(v));
    }
    body.push(0);
    let mut packet = ((body.len() + 4) as i32).to_be_bytes().to_vec();
    packet.extend(body);
    packet
}

/// A NUL-terminated string.
pub fn cstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

impl Raw {
    /// Connects without starting up.
    pub fn connect(addr: SocketAddr) -> Raw {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        Raw { stream }
    }

    /// Connects and completes the startup as user aloe, reading up to ReadyForQuery.
    pub fn startup(addr: SocketAddr) -> Raw {
        let (raw, _) = Raw::startup_with(addr, &[]);
        raw
    }

    /// Connects with extra startup parameters; returns the startup's answer too.
    pub fn startup_with(addr: SocketAddr, extra: &[(&str, &str)]) -> (Raw, Vec<Message>) {
        let mut raw = Raw::connect(addr);
        let parameters: Vec<(&str, &str)> = [("user", "aloe"), ("database", "aloe")]
            .into_iter()
            .chain(extra.iter().copied())
            .collect();
        raw.send(&startup_packet(&parameters));
        let answer = raw.until_ready();
        (raw, answer)
    }

    /// Writes bytes as they are.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    /// Reads one message; `None` when the server closed the connection.
    pub fn read(&mut self) -> Option<Message> {
        let mut head = [0u8; 5];
        self.stream.read_exact(&mut head).ok()?;
        let len = i32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let mut body = vec![0u8; len - 4];
        self.stream.read_exact(&mut body).ok()?;
        Some(Message {
            kind: head[0],
            body,
        })
    }

    /// Reads messages up to and including ReadyForQuery.
    pub fn until_ready(&mut self) -> Vec<Message> {
        let mut out = Vec::new();
        while let Some(m) = self.read() {
            let done = m.kind == b'Z';
            out.push(m);
            if done {
                return out;
            }
        }
        panic!("connection closed before ReadyForQuery; got {out:?}");
    }

    /// Sends a simple query and reads its whole answer.
    pub fn query(&mut self, sql: &str) -> Vec<Message> {
        self.send(&frame(b'Q', &cstr(sql)));
        self.until_ready()
    }
}

/// The text of column `i` of a DataRow.
pub fn column(row: &Message, i: usize) -> Option<String> {
    let b = &row.body;
    let mut pos = 2;
    for c in 0.. {
        let len = i32::from_be_bytes([b[pos], b[pos + 1], b[pos + 2], b[pos + 3]]);
        pos += 4;
        if c == i {
            return (len >= 0)
                .then(|| String::from_utf8_lossy(&b[pos..pos + len as usize]).into_owned());
        }
        pos += len.max(0) as usize;
    }
    None
}

/// The CommandComplete tags among the messages.
pub fn tags(messages: &[Message]) -> Vec<String> {
    messages
        .iter()
        .filter(|m| m.kind == b'C')
        .map(|m| String::from_utf8_lossy(&m.body[..m.body.len() - 1]).into_owned())
        .collect()
}
