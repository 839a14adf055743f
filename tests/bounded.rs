//! Errors stay small however large the input they quote: 100 MB inputs through the readers a
//! peer or a file reaches (binary, frames, the Python format; JSON and the registry are in
//! `tests/safety.rs` and `tests/registry.rs`), each giving a message of at most a few hundred
//! bytes, and a `Debug` of the same order.

use kimera::frame::FrameReader;
use kimera::{Binary, Format as _, Kimera, Limits};
use serde::{Deserialize, Serialize};

const HUGE: usize = 100 << 20;

#[derive(Serialize, Deserialize, Kimera, Debug)]
#[kimera(name = "test.Small", register = false)]
enum Small {
    One,
}

#[derive(Serialize, Deserialize, Kimera, Debug)]
#[kimera(name = "test.Named", register = false)]
struct Named {
    name: String,
}

fn assert_small(what: &str, err: &kimera::Error) {
    let message = err.to_string();
    assert!(
        message.len() < 1024,
        "{what}: a message of {} bytes: {}",
        message.len(),
        &message[..200]
    );
    assert!(format!("{err:?}").len() < 2048, "{what}: a long Debug");
    assert!(
        format!("{err:#}").len() < 4096,
        "{what}: a long alternate form"
    );
}

/// 100 MB of the body the binary reader is given, one way or another.
#[test]
fn binary_bodies_of_100_mb() {
    let roomy = Binary::new().with_limits(Limits::default().with_max_size(1 << 30));
    // A string that is not UTF-8 at its end.
    let mut text = "x".repeat(HUGE - 1).into_bytes();
    text.push(0xff);
    let mut bytes = roomy
        .encode(&Named {
            name: "x".repeat(HUGE),
        })
        .unwrap();
    let at = bytes.len() - 4 - HUGE;
    bytes[at..at + HUGE].copy_from_slice(&text);
    let err = roomy
        .without_checksum()
        .decode::<Named>(&strip_checksum(&bytes))
        .unwrap_err();
    assert_small("a 100 MB string that is not UTF-8", &err);
    // A valid value followed by 100 MB.
    let mut long = roomy.encode(&Small::One).unwrap();
    long.extend(std::iter::repeat_n(7, HUGE));
    assert_small(
        "100 MB of trailing bytes",
        &roomy.decode::<Small>(&long).unwrap_err(),
    );
    // The wrong type, holding 100 MB.
    let err = roomy.decode::<Small>(&bytes).unwrap_err();
    assert_small("a 100 MB value of another type", &err);
}

/// The same envelope without its checksum trailer (flag bit 0 cleared, CRC dropped).
fn strip_checksum(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes[..bytes.len() - 4].to_vec();
    out[2] &= !1;
    out
}

#[test]
fn frames_of_100_mb() {
    let mut stream = ((HUGE + 2) as u32).to_le_bytes().to_vec();
    stream.extend_from_slice(b"{\"");
    stream.extend(std::iter::repeat_n(b'k', HUGE));
    let mut reader = FrameReader::new(&stream[..]).with_max_frame_len(u32::MAX);
    let err = reader.read::<Small>().unwrap_err();
    assert_small("a frame of a 100 MB JSON key", &err);
    // Refused from the prefix with the default maximum.
    let err = FrameReader::new(&stream[..]).read::<Small>().unwrap_err();
    assert_small("a 100 MB frame over the maximum", &err);
}

#[test]
fn python_values_of_100_mb() {
    use kimera::python::Value;
    let roomy = Limits::default().with_max_size(1 << 30);
    let huge = "h".repeat(HUGE);
    let wires = [
        (
            "a 100 MB handler name",
            format!(r#"{{"data": 1, "serializer": "{huge}"}}"#),
        ),
        (
            "a 100 MB unknown key",
            format!(r#"{{"{huge}": 1, "serializer": "DefaultSerializerHandler"}}"#),
        ),
        (
            "a 100 MB element that is not wire text",
            format!(r#"{{"data": ["{huge}"], "serializer": "ListSerializerHandler"}}"#),
        ),
        (
            "a 100 MB date",
            format!(r#"{{"data": "{huge}", "serializer": "DateSerializerHandler"}}"#),
        ),
    ];
    for (what, wire) in wires {
        let err = Value::from_wire_with(&wire, &roomy).unwrap_err();
        assert_small(what, &err);
        let typed = kimera::python::from_str::<Named>(&wire).unwrap_err();
        assert_small(what, &typed);
    }
}
