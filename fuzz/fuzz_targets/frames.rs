//! Frame streams: the blocking reader and the tokio codecs, over the same bytes.
#![no_main]

use bytes::BytesMut;
use kimera::codec::{FrameCodec, KimeraCodec};
use kimera::frame::FrameReader;
use kimera::Binary;
use kimera_fuzz::Service;
use libfuzzer_sys::fuzz_target;
use tokio_util::codec::Decoder;

fuzz_target!(|data: &[u8]| {
    let mut reader = FrameReader::new(data)
        .with_max_frame_len(1 << 16)
        .with_max_skip(1 << 20);
    for _ in 0..1000 {
        match reader.read::<Service>() {
            Ok(None) => break,
            Ok(Some(_)) => {}
            Err(_) if !reader.is_in_sync() => break,
            Err(_) => {}
        }
    }
    // The codec, fed in two pieces as a socket might deliver them.
    let split = data.len() / 3;
    let mut codec = KimeraCodec::<Service, Binary>::binary().with_max_frame_len(1 << 16);
    let mut frames = FrameCodec::new().with_max_frame_len(1 << 16);
    let mut buf = BytesMut::from(&data[..split]);
    let mut raw = buf.clone();
    for piece in [&data[split..], &[][..]] {
        for _ in 0..1000 {
            match codec.decode(&mut buf) {
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
        for _ in 0..1000 {
            match frames.decode(&mut raw) {
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
        buf.extend_from_slice(piece);
        raw.extend_from_slice(piece);
    }
    let _ = codec.decode_eof(&mut buf);
    let _ = frames.decode_eof(&mut raw);
});
