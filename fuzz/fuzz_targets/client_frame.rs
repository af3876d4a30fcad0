//! Fuzzes `ClientFrameDecoder`, the sans-IO decoder of the client port (2181).
//!
//! Input layout: `[ctrl][stream...]`. `stream` is what a client sends on one connection; `ctrl`
//! picks how it is cut into reads (chunk sizes from a tiny PRNG seeded by `ctrl`, the two low bits
//! choosing the size class 1 / 1..=8 / 1..=64 / 1..=512 bytes).
//!
//! For `max_buffer` in {4096, 0xfffff (the default `jute.maxbuffer`)} this checks:
//! - no panic;
//! - termination: every frame consumes at least 4 bytes;
//! - allocation bound: the read buffer's capacity never exceeds
//!   `2 * max(input length, 4 + max_buffer) + 64` (the factor 2 is `BytesMut`'s amortised
//!   doubling; a hostile length prefix must not reserve more than `max_buffer + 4`);
//! - chunking does not matter: feeding the stream in pieces yields exactly the frames (and the
//!   error) that feeding it at once does;
//! - round-trip stability of every decoded frame: Connect via `ConnectRequest::to_bytes` /
//!   `from_bytes`; Request via `RequestHeader` + `Request::write_body`, decoded again with
//!   `Request::decode`, which must consume the re-encoding exactly.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use zkrs_jute::limits::DEFAULT_MAX_BUFFER;
use zkrs_jute::{
    ClientFrame, ClientFrameDecoder, ConnectRequest, FourLetterWord, FrameError, Jute, JuteReader,
    Request, RequestDecodeError, RequestHeader,
};

const SMALL_MAX: usize = 4096;

type Outcome = Result<ClientFrame, FrameError>;

/// Chunk sizes for one stream: deterministic in `ctrl`.
struct Chunks {
    state: u32,
    max: usize,
}

impl Chunks {
    fn new(ctrl: u8) -> Self {
        let max = [1, 8, 64, 512][usize::from(ctrl & 3)];
        Chunks {
            state: 0x9E37_79B9 ^ u32::from(ctrl).wrapping_mul(0x0101_0101),
            max,
        }
    }
}

impl Iterator for Chunks {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        // xorshift32
        self.state ^= self.state << 13;
        self.state ^= self.state >> 17;
        self.state ^= self.state << 5;
        Some(1 + (self.state as usize) % self.max)
    }
}

fn check_capacity(buf: &BytesMut, input_len: usize, max_buffer: usize) {
    let bound = 2 * input_len.max(4 + max_buffer) + 64;
    assert!(
        buf.capacity() <= bound,
        "read buffer capacity {} exceeds bound {} (input {}, max_buffer {})",
        buf.capacity(),
        bound,
        input_len,
        max_buffer
    );
}

/// Drains every frame now available; returns false once the decoder failed (connection closed).
fn drain(
    dec: &mut ClientFrameDecoder,
    buf: &mut BytesMut,
    out: &mut Vec<Outcome>,
    input_len: usize,
    max_buffer: usize,
) -> bool {
    loop {
        let before = buf.len();
        let res = dec.decode(buf);
        check_capacity(buf, input_len, max_buffer);
        match res {
            Ok(None) => {
                assert_eq!(buf.len(), before, "Ok(None) must not consume input");
                return true;
            }
            Ok(Some(frame)) => {
                assert!(
                    buf.len() + 4 <= before,
                    "a frame must consume at least 4 bytes ({before} -> {})",
                    buf.len()
                );
                out.push(Ok(frame));
            }
            Err(e) => {
                out.push(Err(e));
                return false;
            }
        }
    }
}

/// Feeds `stream` to a fresh decoder in the given chunk sizes (`None`: all at once).
fn run(stream: &[u8], max_buffer: usize, chunks: Option<Chunks>) -> Vec<Outcome> {
    let mut dec = ClientFrameDecoder::new(max_buffer);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let input_len = stream.len();
    match chunks {
        None => {
            buf.extend_from_slice(stream);
            check_capacity(&buf, input_len, max_buffer);
            drain(&mut dec, &mut buf, &mut out, input_len, max_buffer);
        }
        Some(chunks) => {
            let mut rest = stream;
            let mut sizes = chunks;
            while !rest.is_empty() {
                let n = sizes.next().unwrap().min(rest.len());
                let (chunk, tail) = rest.split_at(n);
                rest = tail;
                buf.extend_from_slice(chunk);
                check_capacity(&buf, input_len, max_buffer);
                if !drain(&mut dec, &mut buf, &mut out, input_len, max_buffer) {
                    break;
                }
            }
        }
    }
    out
}

fn check_frame(frame: &ClientFrame) {
    match frame {
        ClientFrame::FourLetter { word, arg } => {
            assert_eq!(FourLetterWord::from_code(word.code()), Some(*word));
            assert_eq!(arg.is_some(), *word == FourLetterWord::Stmk);
        }
        ClientFrame::Connect(c) => {
            let bytes = c.to_bytes();
            let again = ConnectRequest::from_bytes(&bytes).expect("re-encoded connect must decode");
            assert_eq!(&again, c, "connect round trip");
            assert_eq!(again.to_bytes(), bytes, "connect re-encoding is stable");
        }
        ClientFrame::Request { header, request } => match request {
            Ok(req) => {
                assert_eq!(
                    req.op().code(),
                    header.r#type,
                    "request op matches header type"
                );
                let mut bytes = header.to_bytes();
                req.write_body(&mut bytes);
                let mut r = JuteReader::new(&bytes);
                let h2 = RequestHeader::read_from(&mut r).expect("re-encoded header must decode");
                assert_eq!(&h2, header, "header round trip");
                let req2 = Request::decode(h2.r#type, &mut r).expect("re-encoded body must decode");
                assert_eq!(&req2, req, "request round trip");
                assert!(
                    r.is_empty(),
                    "{} bytes left after re-decoding {:?}",
                    r.remaining(),
                    req
                );
                let mut bytes2 = h2.to_bytes();
                req2.write_body(&mut bytes2);
                assert_eq!(bytes2, bytes, "request re-encoding is stable");
            }
            Err(RequestDecodeError::UnknownOpcode(op))
            | Err(RequestDecodeError::Malformed { op, .. }) => {
                assert_eq!(*op, header.r#type, "error carries the header's opcode");
            }
        },
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&ctrl, stream)) = data.split_first() else {
        return;
    };
    for max_buffer in [SMALL_MAX, DEFAULT_MAX_BUFFER] {
        let whole = run(stream, max_buffer, None);
        for frame in whole.iter().flatten() {
            check_frame(frame);
        }
        let chunked = run(stream, max_buffer, Some(Chunks::new(ctrl)));
        assert_eq!(
            whole, chunked,
            "chunking changed the decoded frames (max_buffer {max_buffer})"
        );
    }
});
