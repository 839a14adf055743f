//! Framing over std I/O: values of several types and backends in one stream, and the three
//! ways a stream can end badly (cut inside a frame, oversized frame, bad envelope), each its
//! own error, with the reader carrying on where the stream allows it.

use kimera::frame::{FrameReader, FrameWriter};
use kimera::{ErrorKind, Kimera};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[kimera(name = "test.Ping")]
struct Ping {
    seq: u32,
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[kimera(name = "test.Note")]
struct Note {
    text: String,
}

fn frame(envelope: &[u8]) -> Vec<u8> {
    let mut out = (envelope.len() as u32).to_le_bytes().to_vec();
    out.extend_from_slice(envelope);
    out
}

#[test]
fn a_stream_of_several_types_and_backends() {
    let mut stream = Vec::new();
    let mut binary = FrameWriter::binary(&mut stream);
    binary.write(&Ping { seq: 1 }).unwrap();
    binary.write(&Note { text: "hi".into() }).unwrap();
    let mut json = FrameWriter::json(&mut stream);
    json.write(&Ping { seq: 2 }).unwrap();

    let mut reader = FrameReader::new(&stream[..]);
    assert_eq!(reader.read::<Ping>().unwrap(), Some(Ping { seq: 1 }));
    let note = reader.read_any().unwrap().unwrap();
    assert_eq!(note.downcast::<Note>().unwrap().text, "hi");
    let raw = reader.read_frame().unwrap().unwrap().to_vec();
    assert!(raw.starts_with(br#"{"kimera":1,"type":"test.Ping""#));
    assert_eq!(reader.read::<Ping>().unwrap(), None);
    assert_eq!(
        reader.read::<Ping>().unwrap(),
        None,
        "the end stays the end"
    );
}

#[test]
fn the_layout_is_a_little_endian_length_then_the_envelope() {
    let mut stream = Vec::new();
    FrameWriter::binary(&mut stream).write(&7u8).unwrap();
    let envelope = kimera::binary::to_vec(&7u8).unwrap();
    assert_eq!(stream, frame(&envelope));
}

#[test]
fn a_stream_cut_inside_a_frame_is_truncated_at_every_length() {
    let mut stream = Vec::new();
    FrameWriter::binary(&mut stream)
        .write(&Note {
            text: "x".repeat(40),
        })
        .unwrap();
    for cut in 1..stream.len() {
        let mut reader = FrameReader::new(&stream[..cut]);
        let err = reader.read::<Note>().unwrap_err();
        assert!(
            matches!(
                err.kind(),
                ErrorKind::Truncated {
                    context: "frame",
                    ..
                }
            ),
            "cut at {cut}: {err}"
        );
        assert!(!reader.is_in_sync());
        assert!(reader.read::<Note>().is_err(), "out of sync stays an error");
    }
}

#[test]
fn an_oversized_frame_is_refused_before_allocation_and_skipped() {
    let mut stream = frame(&vec![b'x'; 1000]);
    FrameWriter::binary(&mut stream)
        .write(&Ping { seq: 9 })
        .unwrap();
    let mut reader = FrameReader::new(&stream[..]).with_max_frame_len(100);
    let err = reader.read::<Ping>().unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::FrameTooLong {
                len: 1000,
                max: 100,
                in_sync: true
            }
        ),
        "{err}"
    );
    assert!(reader.is_in_sync());
    assert_eq!(reader.read::<Ping>().unwrap(), Some(Ping { seq: 9 }));

    // A forged length of 4 GiB: refused, nothing allocated, and not skipped: the reader is
    // out of sync rather than swallowing what follows.
    let mut forged = u32::MAX.to_le_bytes().to_vec();
    forged.extend_from_slice(&frame(b"the next request"));
    let mut reader = FrameReader::new(&forged[..]);
    let err = reader.read::<Ping>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "a frame of 4294967295 bytes is over the maximum of 16777216 bytes, and too long to skip: the stream is out of sync"
    );
    assert!(!reader.is_in_sync());
    assert!(reader.read_frame().is_err(), "out of sync stays an error");
    assert_eq!(reader.get_ref().len(), forged.len() - 4, "nothing skipped");
    // Under the maximum but longer than the stream: truncated, with only the bytes sent read.
    let mut short = (1_000_000u32).to_le_bytes().to_vec();
    short.extend_from_slice(b"abc");
    let err = FrameReader::new(&short[..]).read::<Ping>().unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Truncated { offset: 7, .. }),
        "{err}"
    );

    // The writer refuses to write what readers would refuse.
    let mut out = Vec::new();
    let err = FrameWriter::binary(&mut out)
        .with_max_frame_len(10)
        .write(&Note {
            text: "too long for ten bytes".into(),
        })
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::LimitExceeded { .. }),
        "{err}"
    );
    assert!(out.is_empty(), "nothing written");
}

#[test]
fn a_bad_envelope_is_its_decode_error_and_the_next_frame_reads() {
    let mut stream = frame(b"garbage, not an envelope");
    let mut wrong_type = Vec::new();
    FrameWriter::binary(&mut wrong_type)
        .write(&Note { text: "n".into() })
        .unwrap();
    stream.extend(&wrong_type);
    FrameWriter::binary(&mut stream)
        .write(&Ping { seq: 3 })
        .unwrap();

    let mut reader = FrameReader::new(&stream[..]);
    let err = reader.read::<Ping>().unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::NotAnEnvelope { .. }),
        "{err}"
    );
    assert!(reader.is_in_sync());
    let err = reader.read::<Ping>().unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::TypeMismatch { .. }),
        "{err}"
    );
    assert_eq!(reader.read::<Ping>().unwrap(), Some(Ping { seq: 3 }));
    assert_eq!(reader.read::<Ping>().unwrap(), None);
}

/// The async codec reads and writes the same bytes as `FrameWriter` and `FrameReader`.
mod codec {
    use super::*;
    use bytes::BytesMut;
    use kimera::codec::{FrameCodec, KimeraCodec};
    use kimera::Binary;
    use tokio_util::codec::{Decoder, Encoder};

    #[test]
    fn interoperates_byte_for_byte_with_the_std_framing() {
        let mut std_bytes = Vec::new();
        let mut writer = FrameWriter::binary(&mut std_bytes);
        writer.write(&Ping { seq: 1 }).unwrap();
        writer.write(&Ping { seq: 2 }).unwrap();

        let mut codec = KimeraCodec::<Ping, Binary>::binary();
        let mut async_bytes = BytesMut::new();
        codec.encode(&Ping { seq: 1 }, &mut async_bytes).unwrap();
        codec.encode(&Ping { seq: 2 }, &mut async_bytes).unwrap();
        assert_eq!(&async_bytes[..], &std_bytes[..]);

        let mut reader = FrameReader::new(&async_bytes[..]);
        assert_eq!(reader.read::<Ping>().unwrap(), Some(Ping { seq: 1 }));
        let mut buf = BytesMut::from(&std_bytes[..]);
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(Ping { seq: 1 }));
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(Ping { seq: 2 }));
        assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
    }

    /// A codec of one type both ways: `Framed`'s `Sink` methods infer the item, so `flush` and
    /// `send` need no annotation; and a codec that sends another type than it reads.
    #[tokio::test]
    async fn a_framed_stream_needs_no_annotations() {
        use futures_util::{SinkExt, StreamExt};
        let (a, b) = tokio::io::duplex(1024);
        let mut left = tokio_util::codec::Framed::new(a, KimeraCodec::<Ping, _>::binary());
        let mut right = tokio_util::codec::Framed::new(b, KimeraCodec::<Ping, _>::binary());
        left.feed(&Ping { seq: 1 }).await.unwrap();
        left.flush().await.unwrap();
        assert_eq!(right.next().await.unwrap().unwrap(), Ping { seq: 1 });
        left.send(&Ping { seq: 2 }).await.unwrap();
        assert_eq!(right.next().await.unwrap().unwrap(), Ping { seq: 2 });

        let (a, b) = tokio::io::duplex(1024);
        let mut client = tokio_util::codec::Framed::new(
            a,
            KimeraCodec::<Note, Binary>::binary().sending::<Ping>(),
        );
        let mut server = tokio_util::codec::Framed::new(
            b,
            KimeraCodec::<Ping, Binary>::binary().sending::<Note>(),
        );
        client.send(&Ping { seq: 3 }).await.unwrap();
        assert_eq!(server.next().await.unwrap().unwrap(), Ping { seq: 3 });
        let note = Note { text: "ok".into() };
        server.send(&note).await.unwrap();
        server.flush().await.unwrap();
        assert_eq!(client.next().await.unwrap().unwrap(), note);
    }

    #[test]
    fn frames_arrive_in_pieces() {
        let mut bytes = Vec::new();
        FrameWriter::json(&mut bytes)
            .write(&Note {
                text: "split".into(),
            })
            .unwrap();
        let mut codec = KimeraCodec::<Note, Binary>::binary();
        let mut buf = BytesMut::new();
        for (i, byte) in bytes.iter().enumerate() {
            buf.extend_from_slice(&[*byte]);
            let decoded = codec.decode(&mut buf).unwrap();
            assert_eq!(
                decoded.is_some(),
                i == bytes.len() - 1,
                "after {} bytes",
                i + 1
            );
        }
    }

    #[test]
    fn oversized_truncated_and_bad_frames_are_errors() {
        let mut codec = FrameCodec::new().with_max_frame_len(16).with_max_skip(100);
        let mut buf = BytesMut::from(&100u32.to_le_bytes()[..]);
        let err = codec.decode(&mut buf).unwrap_err();
        assert!(
            matches!(
                err.kind(),
                ErrorKind::FrameTooLong {
                    len: 100,
                    max: 16,
                    in_sync: true
                }
            ),
            "{err}"
        );
        // The oversized frame is skipped as it arrives, then the next one reads.
        buf.extend_from_slice(&[0; 100]);
        buf.extend_from_slice(&frame(b"ok"));
        assert_eq!(&codec.decode(&mut buf).unwrap().unwrap()[..], b"ok");
        // One beyond the skip budget: every later decode fails, even of a good frame.
        buf.extend_from_slice(&101u32.to_le_bytes());
        buf.extend_from_slice(&frame(b"ok"));
        let err = codec.decode(&mut buf).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::FrameTooLong { in_sync: false, .. }),
            "{err}"
        );
        assert!(codec.decode(&mut buf).is_err());
        assert!(buf.is_empty(), "what follows is dropped, not buffered");

        let mut codec = FrameCodec::new();
        let mut buf = BytesMut::from(&frame(b"cut off")[..5]);
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        let err = codec.decode_eof(&mut buf).unwrap_err();
        assert!(
            matches!(
                err.kind(),
                ErrorKind::Truncated {
                    context: "frame",
                    ..
                }
            ),
            "{err}"
        );

        let mut typed = KimeraCodec::<Ping, Binary>::binary();
        let mut buf = BytesMut::from(&frame(b"junk")[..]);
        let err = typed.decode(&mut buf).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::NotAnEnvelope { .. }),
            "{err}"
        );
        assert!(buf.is_empty(), "the bad frame was consumed");

        let mut small = KimeraCodec::<Note, Binary>::binary().with_max_frame_len(8);
        let mut out = BytesMut::new();
        let err = small
            .encode(
                &Note {
                    text: "long".into(),
                },
                &mut out,
            )
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::LimitExceeded { .. }),
            "{err}"
        );
        assert!(out.is_empty(), "nothing written");
    }
}

/// A socket with a read timeout: it fails once between two frames, having read nothing.
struct Stutter<'a> {
    bytes: &'a [u8],
    fail_at: usize,
    failed: bool,
}

impl std::io::Read for Stutter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.failed && self.bytes.len() == self.fail_at {
            self.failed = true;
            return Err(std::io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

#[test]
fn a_timeout_between_frames_leaves_the_reader_in_sync() {
    let mut stream = Vec::new();
    let mut writer = FrameWriter::binary(&mut stream);
    writer.write(&Ping { seq: 1 }).unwrap();
    let second = stream.len();
    FrameWriter::binary(&mut stream)
        .write(&Ping { seq: 2 })
        .unwrap();
    let total = stream.len();
    let mut reader = FrameReader::new(Stutter {
        bytes: &stream,
        fail_at: total - second,
        failed: false,
    });
    assert_eq!(reader.read::<Ping>().unwrap(), Some(Ping { seq: 1 }));
    let err = reader.read::<Ping>().unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Io(_)), "{err}");
    assert!(reader.is_in_sync());
    assert_eq!(reader.read::<Ping>().unwrap(), Some(Ping { seq: 2 }));
}

#[test]
fn envelopes_without_a_checksum_read_when_allowed() {
    let mut stream = Vec::new();
    FrameWriter::new(&mut stream, kimera::Binary::new().without_checksum())
        .write(&Ping { seq: 4 })
        .unwrap();
    let err = FrameReader::new(&stream[..]).read::<Ping>().unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::ChecksumMissing { .. }),
        "{err}"
    );
    let mut reader = FrameReader::new(&stream[..]).without_checksum();
    assert_eq!(reader.read::<Ping>().unwrap(), Some(Ping { seq: 4 }));
}

/// A server as one would write it on `FrameReader`, trusting `is_in_sync`: it answers each
/// frame (an error with a `Note` saying what was wrong) and reads on while the reader is in
/// sync, closing the connection when it is not.
fn serve_trusting_in_sync(listener: std::net::TcpListener) {
    for socket in listener.incoming() {
        let socket = socket.unwrap();
        std::thread::spawn(move || {
            let mut replies = FrameWriter::binary(socket.try_clone().unwrap());
            let mut requests = FrameReader::new(socket)
                .with_max_frame_len(1024)
                .with_max_skip(64 << 10);
            loop {
                match requests.read::<Ping>() {
                    Ok(Some(ping)) => replies.write(&ping).unwrap(),
                    Ok(None) => return,
                    Err(err) => {
                        let _ = replies.write(&Note {
                            text: err.to_string(),
                        });
                        if !requests.is_in_sync() {
                            return;
                        }
                    }
                }
            }
        });
    }
}

/// Over real loopback sockets: a client whose prefix claims 2 GiB is told so and cut off at
/// once (its next request is not swallowed as the rest of the frame, nor waited for), one
/// that sends a frame just over the maximum is told so and served on, and well-behaved
/// clients beside them get every reply.
#[test]
fn a_hostile_prefix_over_tcp_closes_its_connection_and_spares_the_others() {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::time::{Duration, Instant};

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || serve_trusting_in_sync(listener));
    let connect = || {
        let socket = TcpStream::connect(addr).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        socket
    };
    let ping = |seq| frame(&kimera::binary::to_vec(&Ping { seq }).unwrap());

    let good: Vec<_> = (0..4)
        .map(|c| {
            let mut socket = connect();
            std::thread::spawn(move || {
                let mut replies = FrameReader::new(socket.try_clone().unwrap());
                for n in 0..50 {
                    let seq = c * 1000 + n;
                    socket.write_all(&ping(seq)).unwrap();
                    assert_eq!(replies.read::<Ping>().unwrap(), Some(Ping { seq }));
                }
            })
        })
        .collect();

    // 2 GiB claimed, then a real request: refused and closed, the request never answered (a
    // reader that skipped would take it as the rest of the frame, and wait for 2 GiB).
    let mut hostile = connect();
    let started = Instant::now();
    hostile.write_all(&[0xff, 0xff, 0xff, 0x7f]).unwrap();
    let mut replies = FrameReader::new(hostile.try_clone().unwrap());
    let note = replies.read::<Note>().unwrap().expect("a reply");
    assert_eq!(
        note.text,
        "a frame of 2147483647 bytes is over the maximum of 1024 bytes, and too long to skip: the stream is out of sync"
    );
    // Sent after the server closed, the request may be refused by a reset.
    let _ = hostile.write_all(&ping(1));
    let mut rest = Vec::new();
    match hostile.read_to_end(&mut rest) {
        Ok(_) => assert!(rest.is_empty(), "nothing more: the connection is closed"),
        Err(err) => assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}"),
    }
    assert!(started.elapsed() < Duration::from_secs(5), "closed at once");

    // Just over the maximum, within the skip budget: told so, then served on.
    let mut clumsy = connect();
    clumsy.write_all(&frame(&[0; 2000])).unwrap();
    clumsy.write_all(&ping(2)).unwrap();
    let mut replies = FrameReader::new(clumsy.try_clone().unwrap());
    let note = replies.read::<Note>().unwrap().expect("a reply");
    assert!(note.text.ends_with("and is skipped"), "{}", note.text);
    assert_eq!(replies.read::<Ping>().unwrap(), Some(Ping { seq: 2 }));

    for client in good {
        client.join().expect("every good client is answered");
    }
}
