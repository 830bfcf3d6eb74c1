//! The cap on message size. pgwire accepts messages up to 1 GiB and buffers each whole before
//! decoding it, so the cap has to act on the bytes as they arrive: this reader follows the
//! message framing and fails the read as soon as a header announces too large a message.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A message announced larger than the cap.
#[derive(Debug, thiserror::Error)]
#[error("a message of {length} bytes is larger than max_message_size ({limit} bytes)")]
pub struct MessageTooLarge {
    /// The length the client announced.
    pub length: usize,
    /// The cap.
    pub limit: usize,
}

/// Where the scanner is in the byte stream.
#[derive(Debug, Clone, Copy)]
enum Position {
    /// Inside a header: `typed` ones start with a type byte; `got` bytes of it seen so far.
    Header {
        typed: bool,
        got: usize,
        bytes: [u8; 5],
    },
    /// Inside a body, with this many bytes left; then a header of this kind follows.
    Body { left: usize, typed_next: bool },
}

/// Follows the framing of the frontend stream: untyped messages (the startup packet, and
/// the 8-byte SSL and GSS requests before it) and then typed ones.
#[derive(Debug, Clone)]
pub struct Scanner {
    limit: usize,
    at: Position,
}

impl Scanner {
    /// A scanner at the start of a connection (the next message is untyped).
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            at: Position::Header {
                typed: false,
                got: 0,
                bytes: [0; 5],
            },
        }
    }

    /// Takes in the next bytes of the stream.
    pub fn feed(&mut self, mut data: &[u8]) -> Result<(), MessageTooLarge> {
        while !data.is_empty() {
            match &mut self.at {
                Position::Body { left, typed_next } => {
                    let n = (*left).min(data.len());
                    *left -= n;
                    data = &data[n..];
                    if *left == 0 {
                        self.at = Position::Header {
                            typed: *typed_next,
                            got: 0,
                            bytes: [0; 5],
                        };
                    }
                }
                Position::Header { typed, got, bytes } => {
                    let size = if *typed { 5 } else { 4 };
                    let n = (size - *got).min(data.len());
                    bytes[*got..*got + n].copy_from_slice(&data[..n]);
                    *got += n;
                    data = &data[n..];
                    if *got < size {
                        continue;
                    }
                    let start = usize::from(*typed);
                    let raw =
                        i32::from_be_bytes(bytes[start..start + 4].try_into().expect("four bytes"));
                    // A negative or tiny length is the decoder's to refuse; count it as empty.
                    let length = usize::try_from(raw).unwrap_or(0).max(4);
                    if length > self.limit {
                        return Err(MessageTooLarge {
                            length,
                            limit: self.limit,
                        });
                    }
                    // SSLRequest and GSSENCRequest are 8 bytes and precede the startup packet.
                    let typed_next = *typed || length != 8;
                    self.at = if length == 4 {
                        Position::Header {
                            typed: typed_next,
                            got: 0,
                            bytes: [0; 5],
                        }
                    } else {
                        Position::Body {
                            left: length - 4,
                            typed_next,
                        }
                    };
                }
            }
        }
        Ok(())
    }
}

/// A stream whose reads fail with [`MessageTooLarge`] once the client announces a message
/// over the cap.
#[derive(Debug)]
pub struct Limited<S> {
    inner: S,
    scanner: Scanner,
}

impl<S> Limited<S> {
    /// Wraps `inner`, whose earlier bytes `scanner` has already seen.
    pub fn new(inner: S, scanner: Scanner) -> Self {
        Self { inner, scanner }
    }
}

/// Whether an I/O error is the cap's refusal, and which.
pub fn too_large(e: &io::Error) -> Option<&MessageTooLarge> {
    e.get_ref()?.downcast_ref::<MessageTooLarge>()
}

impl<S: AsyncRead + Unpin> AsyncRead for Limited<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let fresh = &buf.filled()[before..];
                match this.scanner.feed(fresh) {
                    Ok(()) => Poll::Ready(Ok(())),
                    Err(e) => Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, e))),
                }
            }
            other => other,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Limited<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn startup() -> Vec<u8> {
        let body = b"\x00\x03\x00\x00user\x00aloe\x00\x00";
        let mut v = ((body.len() + 4) as i32).to_be_bytes().to_vec();
        v.extend_from_slice(body);
        v
    }

    fn typed(kind: u8, body_len: usize) -> Vec<u8> {
        let mut v = vec![kind];
        v.extend(((body_len + 4) as i32).to_be_bytes());
        v.extend(std::iter::repeat_n(b'x', body_len));
        v
    }

    #[test]
    fn messages_within_the_cap_pass_and_a_larger_one_is_named() {
        let mut s = Scanner::new(100);
        let ssl_request = [0, 0, 0, 8, 4, 210, 22, 47];
        s.feed(&ssl_request).unwrap();
        s.feed(&startup()).unwrap();
        s.feed(&typed(b'Q', 95)).unwrap();
        let e = s.feed(&typed(b'Q', 97)).unwrap_err();
        assert_eq!((e.length, e.limit), (101, 100));
    }

    #[test]
    fn an_announced_length_is_refused_before_its_body_arrives() {
        let mut s = Scanner::new(1 << 20);
        s.feed(&startup()).unwrap();
        let header = [b'Q', 0x40, 0, 0, 0];
        assert!(s.feed(&header).is_err());
    }

    proptest! {
        /// However the stream is cut into reads, the scanner sees the same messages.
        #[test]
        fn any_split_of_the_stream_reads_alike(
            sizes in proptest::collection::vec(0usize..300, 1..20),
            cuts in proptest::collection::vec(1usize..64, 1..50),
            limit in 4usize..400,
        ) {
            let mut stream = startup();
            for (i, n) in sizes.iter().enumerate() {
                stream.extend(typed(b'A' + (i % 26) as u8, *n));
            }
            let whole = Scanner::new(limit).feed(&stream).map_err(|e| e.length);
            let mut pieces = Scanner::new(limit);
            let mut rest = &stream[..];
            let mut cut = cuts.iter().cycle();
            let mut split = Ok(());
            while !rest.is_empty() && split.is_ok() {
                let n = (*cut.next().unwrap()).min(rest.len());
                split = pieces.feed(&rest[..n]).map_err(|e| e.length);
                rest = &rest[n..];
            }
            prop_assert_eq!(whole, split);
            let expected = std::iter::once(startup().len())
                .chain(sizes.iter().map(|n| n + 4))
                .find(|l| *l > limit);
            prop_assert_eq!(whole.err(), expected);
        }
    }
}
