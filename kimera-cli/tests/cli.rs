//! The `kimera` command end to end, on files these tests write (damaged ones among them).

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;
use kimera::frame::FrameWriter;
use kimera::{Binary, Format as _, Kimera};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "ops.Peer", version = 3)]
struct Peer {
    id: uuid::Uuid,
    addr: std::net::IpAddr,
    tags: BTreeMap<String, u32>,
    state: State,
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "ops.State")]
enum State {
    Up,
    Down { reason: String },
}

fn peer(n: u32) -> Peer {
    Peer {
        id: uuid::Uuid::from_u128(u128::from(n)),
        addr: std::net::IpAddr::from([10, 0, 0, n as u8]),
        tags: BTreeMap::from([("zone".to_owned(), n)]),
        state: match n % 2 {
            0 => State::Up,
            _ => State::Down {
                reason: format!("maintenance {n}"),
            },
        },
    }
}

fn kimera() -> Command {
    Command::cargo_bin("kimera").expect("the binary is built")
}

fn history(dir: &Path) -> std::path::PathBuf {
    let mut history = kimera::history::History::new();
    history.record(kimera::history::Entry::of::<Peer>());
    let path = dir.join("kimera-schemas.json");
    std::fs::write(&path, history.to_json()).expect("writes");
    path
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8")
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8")
}

#[test]
fn inspect_shows_the_header_and_the_value_of_an_envelope_that_carries_its_schema() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("peer.bin");
    std::fs::write(
        &file,
        Binary::new()
            .with_schema()
            .encode(&peer(1))
            .expect("encodes"),
    )
    .expect("writes");
    let output = kimera().arg("inspect").arg(&file).output().expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("ops.Peer v3"), "{text}");
    assert!(
        text.contains(&format!(
            "{:016x}",
            <Peer as kimera::KimeraHandler>::FINGERPRINT
        )),
        "{text}"
    );
    assert!(text.contains("checksum     verified"), "{text}");
    assert!(text.contains("maintenance 1"), "{text}");

    // For scripts: the value is exactly what kimera::json writes for it.
    let output = kimera()
        .args(["inspect", "--json"])
        .arg(&file)
        .output()
        .expect("runs");
    assert!(output.status.success());
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON line");
    let written: serde_json::Value =
        serde_json::from_slice(&kimera::json::to_vec(&peer(1)).expect("encodes")).expect("JSON");
    assert_eq!(report["value"], written["value"]);
    assert_eq!(report["type"], "ops.Peer");
    assert_eq!(report["checksum"], true);
    let sizes = &report["sizes"];
    let total = ["header", "body", "trailer"]
        .map(|k| sizes[k].as_u64().expect("size"))
        .iter()
        .sum::<u64>();
    assert_eq!(total, std::fs::metadata(&file).expect("file").len());
}

#[test]
fn without_the_writers_schema_the_value_is_not_shown_and_a_history_file_gives_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("peer.bin");
    std::fs::write(&file, kimera::binary::to_vec(&peer(2)).expect("encodes")).expect("writes");
    let output = kimera().arg("inspect").arg(&file).output().expect("runs");
    assert!(output.status.success());
    assert!(stdout(&output).contains("not shown"), "{}", stdout(&output));

    let schemas = history(dir.path());
    let output = kimera()
        .args(["inspect", "--json", "--schemas"])
        .arg(&schemas)
        .arg(&file)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["value"]["state"], "Up");
}

#[test]
fn a_frame_stream_is_read_frame_by_frame_and_a_damaged_frame_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("peers.frames");
    let mut writer = FrameWriter::binary(Vec::new()).with_schemas();
    for n in 0..5 {
        writer.write(&peer(n)).expect("writes");
    }
    let mut bytes = writer.into_inner();
    std::fs::write(&file, &bytes).expect("writes");
    let output = kimera()
        .args(["inspect", "--json"])
        .arg(&file)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 5);
    // Only the first frame carries the schema; the later ones are read with it.
    assert!(lines.iter().all(|l| l["schema_known"] == true), "{lines:?}");
    assert_eq!(
        lines[3]["value"]["state"]["Down"]["reason"],
        "maintenance 3"
    );

    let output = kimera().arg("verify").arg(&file).output().expect("runs");
    assert!(output.status.success());
    assert!(
        stdout(&output).contains("5 items, 0 damaged"),
        "{}",
        stdout(&output)
    );

    // A flipped byte in the third frame's body.
    let third = frame_start(&bytes, 2);
    bytes[third + 20] ^= 0x40;
    std::fs::write(&file, &bytes).expect("writes");
    let output = kimera().arg("verify").arg(&file).output().expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("frame 3"), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("5 items, 1 damaged"),
        "{}",
        stdout(&output)
    );
    let output = kimera().arg("inspect").arg(&file).output().expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("maintenance 3"),
        "the frames after it are read"
    );
}

/// Where frame `n` (from 0) starts.
fn frame_start(bytes: &[u8], n: usize) -> usize {
    let mut at = 0;
    for _ in 0..n {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("prefix"));
        at += 4 + len as usize;
    }
    at
}

#[test]
fn convert_round_trips_a_frame_stream_byte_for_byte() {
    let dir = tempfile::tempdir().expect("temp dir");
    let binary = dir.path().join("peers.bin");
    let json = dir.path().join("peers.json");
    let back = dir.path().join("back.bin");
    let mut writer = FrameWriter::binary(Vec::new());
    for n in 0..4 {
        writer.write(&peer(n)).expect("writes");
    }
    std::fs::write(&binary, writer.into_inner()).expect("writes");
    let schemas = history(dir.path());
    let run = |args: &[&str], input: &Path, output: &Path| {
        let out = kimera()
            .args(args)
            .arg("--schemas")
            .arg(&schemas)
            .arg(input)
            .arg(output)
            .output()
            .expect("runs");
        assert!(out.status.success(), "{}", stderr(&out));
    };
    run(&["convert", "--to", "json"], &binary, &json);
    run(&["convert", "--to", "binary"], &json, &back);
    assert_eq!(
        std::fs::read(&back).expect("reads"),
        std::fs::read(&binary).expect("reads")
    );

    // Each JSON frame is what kimera::json writes.
    let mut frames = kimera::frame::FrameReader::new(std::fs::File::open(&json).expect("opens"));
    for n in 0..4 {
        let frame = frames.read_frame().expect("reads").expect("a frame");
        assert_eq!(frame, kimera::json::to_vec(&peer(n)).expect("encodes"));
    }

    // A single envelope through standard input and output.
    let one = kimera::binary::to_vec(&peer(7)).expect("encodes");
    let out = kimera()
        .args(["convert", "--to", "json", "--schemas"])
        .arg(&schemas)
        .write_stdin(one)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, kimera::json::to_vec(&peer(7)).expect("encodes"));
}

#[test]
fn convert_without_the_schema_fails_and_says_so() {
    let one = kimera::binary::to_vec(&peer(7)).expect("encodes");
    let out = kimera()
        .args(["convert", "--to", "json"])
        .write_stdin(one)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("schema"), "{}", stderr(&out));
}

#[test]
fn a_snapshot_directory_is_listed_and_its_damaged_files_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = kimera::snapshot::SnapshotStore::open(dir.path()).expect("opens");
    for n in 0..3 {
        store.save(&peer(n)).expect("saves");
    }
    drop(store);
    let output = kimera()
        .arg("inspect")
        .arg(dir.path())
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("generation 3"), "{text}");
    assert!(text.contains("maintenance 1"), "{text}");

    let output = kimera()
        .arg("verify")
        .arg(dir.path())
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("3 items, 0 damaged"),
        "{}",
        stdout(&output)
    );

    // One file torn, one with a flipped byte: both named, and the rest still checked.
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("lists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "kimera"))
        .collect();
    names.sort();
    let torn = std::fs::read(&names[0]).expect("reads");
    std::fs::write(&names[0], &torn[..torn.len() / 2]).expect("writes");
    let mut flipped = std::fs::read(&names[1]).expect("reads");
    flipped[30] ^= 1;
    std::fs::write(&names[1], flipped).expect("writes");
    let output = kimera()
        .args(["verify", "--json"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let damaged: Vec<_> = lines.iter().filter(|l| l["kind"] == "damaged").collect();
    assert_eq!(damaged.len(), 2, "{lines:?}");
    assert!(
        damaged[0]["error"]
            .as_str()
            .expect("error")
            .contains("torn"),
        "{damaged:?}"
    );
    assert!(
        damaged[1]["error"]
            .as_str()
            .expect("error")
            .contains("checksum"),
        "{damaged:?}"
    );
    let summary = lines.last().expect("summary");
    assert_eq!(summary["items"], 3);
    assert_eq!(summary["damaged"], 2);
}

#[test]
fn bad_usage_exits_2() {
    let output = kimera()
        .args(["inspect", "--bogus"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let output = kimera()
        .args(["verify", "/no/such/file"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no such file"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn garbage_is_refused_with_a_sentence() {
    let output = kimera()
        .arg("inspect")
        .write_stdin("hello world, not kimera")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("not Kimera data"), "{err}");
    assert!(err.len() < 400, "{err}");
}

#[test]
fn schemas_lists_and_shows_a_history_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = history(dir.path());
    let output = kimera()
        .args(["schemas", "list"])
        .arg(&file)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let fingerprint = format!("{:016x}", <Peer as kimera::KimeraHandler>::FINGERPRINT);
    assert_eq!(stdout(&output).trim(), format!("ops.Peer v3 {fingerprint}"));

    let output = kimera()
        .args(["schemas", "show", "ops.Peer"])
        .arg(&file)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let shown: kimera::schema::document::Document =
        serde_json::from_slice(&output.stdout).expect("a schema document");
    assert_eq!(shown, kimera::schema::document::Document::of::<Peer>());

    let output = kimera()
        .args(["schemas", "show", "ops.Peer", "--json-schema"])
        .arg(&file)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let shown: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(shown, kimera::json_schema::of::<Peer>());

    let output = kimera()
        .args(["schemas", "show", "ops.Peer", "--version", "9"])
        .arg(&file)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("at version 9"),
        "{}",
        stderr(&output)
    );

    std::fs::write(&file, "{not json").expect("writes");
    let output = kimera()
        .args(["schemas", "list"])
        .arg(&file)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("kimera-schemas.json"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn diff_prints_the_changes_between_two_encoded_values() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (old, new) = (dir.path().join("old.json"), dir.path().join("new.bin"));
    let mut changed = peer(1);
    changed.tags.insert("rack".into(), 4);
    changed.state = State::Up;
    std::fs::write(&old, kimera::json::to_vec(&peer(1)).expect("encodes")).expect("writes");
    std::fs::write(
        &new,
        Binary::new()
            .with_schema()
            .encode(&changed)
            .expect("encodes"),
    )
    .expect("writes");
    let schemas = history(dir.path());
    let output = kimera()
        .args(["diff", "--schemas"])
        .arg(&schemas)
        .args([&old, &new])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let typed = kimera::diff::between(&peer(1), &changed).expect("diffs");
    assert_eq!(stdout(&output).trim_end(), typed.to_string());

    let output = kimera()
        .args(["diff", "--patch", "--schemas"])
        .arg(&schemas)
        .args([&old, &new])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let patch: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(patch, typed.to_json_patch().expect("a patch"));

    // Values of two types are not compared.
    let other = dir.path().join("other.bin");
    std::fs::write(
        &other,
        Binary::new()
            .with_schema()
            .encode(&State::Up)
            .expect("encodes"),
    )
    .expect("writes");
    let output = kimera()
        .args(["diff", "--schemas"])
        .arg(&schemas)
        .args([&old, &other])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("different types"),
        "{}",
        stderr(&output)
    );
}

/// Earlier shapes of `ops.Peer` v3, recorded in a history before the current one (not
/// registered, so that they share the name with `Peer` in this test binary).
mod earlier {
    use super::*;

    /// Had a field since removed: the current `Peer` skips it.
    #[derive(Serialize, Deserialize, Kimera)]
    #[kimera(name = "ops.Peer", version = 3, register = false)]
    pub struct WithLegacy {
        pub id: uuid::Uuid,
        pub addr: std::net::IpAddr,
        pub tags: BTreeMap<String, u32>,
        pub state: State,
        pub legacy: u8,
    }

    /// Lacked `state`, which the current `Peer` requires without a default.
    #[derive(Serialize, Deserialize, Kimera)]
    #[kimera(name = "ops.Peer", version = 3, register = false)]
    pub struct WithoutState {
        pub id: uuid::Uuid,
        pub addr: std::net::IpAddr,
        pub tags: BTreeMap<String, u32>,
    }
}

fn history_of(path: &Path, entries: Vec<kimera::history::Entry>) -> std::path::PathBuf {
    let mut history = kimera::history::History::new();
    for entry in entries {
        history.record(entry);
    }
    std::fs::write(path, history.to_json()).expect("writes");
    path.to_owned()
}

#[test]
fn schemas_check_passes_a_history_the_newest_schema_reads_and_names_what_it_cannot() {
    use kimera::history::Entry;
    let dir = tempfile::tempdir().expect("temp dir");

    let readable = history_of(
        &dir.path().join("readable.json"),
        vec![Entry::of::<earlier::WithLegacy>(), Entry::of::<Peer>()],
    );
    let output = kimera()
        .args(["schemas", "check"])
        .arg(&readable)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).starts_with("2 recorded schemas"),
        "{}",
        stdout(&output)
    );

    // A build rolled back to the older schema needs `legacy`, which the newest does not write.
    let output = kimera()
        .args(["schemas", "check", "--rollback"])
        .arg(&readable)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("no field `legacy`"),
        "{}",
        stderr(&output)
    );

    let unreadable = history_of(
        &dir.path().join("unreadable.json"),
        vec![Entry::of::<earlier::WithoutState>(), Entry::of::<Peer>()],
    );
    let output = kimera()
        .args(["schemas", "check"])
        .arg(&unreadable)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(
        text.contains("`ops.Peer` v3")
            && text.contains("at `state`")
            && text.contains("#[serde(default)]"),
        "{text}"
    );
    let output = kimera()
        .args(["schemas", "check", "--json"])
        .arg(&unreadable)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["schemas"], 2);
    assert_eq!(
        report["problems"].as_array().map(Vec::len),
        Some(1),
        "{report}"
    );

    // A document that is not its fingerprint's is named too.
    let text = std::fs::read_to_string(&readable).expect("reads");
    let forged = text.replacen("\"legacy\"", "\"legacy2\"", 1);
    assert!(forged != text, "the history names `legacy`");
    std::fs::write(&readable, forged).expect("writes");
    let output = kimera()
        .args(["schemas", "check"])
        .arg(&readable)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("has the fingerprint"),
        "{}",
        stderr(&output)
    );
}

/// A failed conversion leaves the output file as it was, and a conversion in place replaces
/// its input only once it is whole.
#[test]
fn convert_never_leaves_a_truncated_output() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("peer.bin");
    let bytes = kimera::binary::to_vec(&peer(3)).expect("encodes");
    std::fs::write(&file, &bytes).expect("writes");
    let json = dir.path().join("peer.json");
    std::fs::write(&json, b"kept").expect("writes");

    // No schema: refused, and the existing output untouched.
    let out = kimera()
        .args(["convert", "--to", "json"])
        .arg(&file)
        .arg(&json)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("is left as it was"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&json).expect("reads"), b"kept");
    // The same when the output is the input.
    let out = kimera()
        .args(["convert", "--to", "json"])
        .arg(&file)
        .arg(&file)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read(&file).expect("reads"), bytes);

    // With the schema, in place: the file now holds the JSON envelope, and nothing else is left.
    let schemas = history(dir.path());
    let out = kimera()
        .args(["convert", "--to", "json", "--schemas"])
        .arg(&schemas)
        .arg(&file)
        .arg(&file)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(&file).expect("reads"),
        kimera::json::to_vec(&peer(3)).expect("encodes")
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("lists")
        .map(|e| e.expect("an entry").file_name())
        .collect();
    assert_eq!(names.len(), 3, "no temporary file left: {names:?}");
}

/// A stream written `with_schemas()` converts to JSON and back byte for byte: `--with-schema`
/// gives each type's schema once per stream, as the writer did.
#[test]
fn a_stream_carrying_its_schemas_round_trips_with_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (binary, json, back) = (
        dir.path().join("s.frames"),
        dir.path().join("s.json"),
        dir.path().join("back.frames"),
    );
    let mut writer = FrameWriter::binary(Vec::new()).with_schemas();
    for n in 0..5 {
        writer.write(&peer(n)).expect("writes");
        writer.write(&State::Up).expect("writes");
    }
    std::fs::write(&binary, writer.into_inner()).expect("writes");
    let schemas = history_of(
        &dir.path().join("schemas.json"),
        vec![
            kimera::history::Entry::of::<Peer>(),
            kimera::history::Entry::of::<State>(),
        ],
    );
    for (args, from, to) in [
        (&["convert", "--to", "json"][..], &binary, &json),
        (
            &["convert", "--to", "binary", "--with-schema"][..],
            &json,
            &back,
        ),
    ] {
        let out = kimera()
            .args(args)
            .arg("--schemas")
            .arg(&schemas)
            .arg(from)
            .arg(to)
            .output()
            .expect("runs");
        assert!(out.status.success(), "{}", stderr(&out));
    }
    assert!(
        std::fs::read(&back).expect("reads") == std::fs::read(&binary).expect("reads"),
        "the stream differs after the round trip"
    );
}

/// JSON describes itself: without a schema, or with one of shapes only JSON holds, its value
/// is shown as written and verify passes it, saying it was not checked.
#[test]
fn json_values_are_shown_and_verified_without_a_schema() {
    #[derive(Serialize, Deserialize, Kimera)]
    #[kimera(name = "ops.Event")]
    #[serde(tag = "kind")]
    enum Event {
        Joined { node: u32 },
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("event.json");
    std::fs::write(
        &file,
        kimera::json::to_vec(&Event::Joined { node: 4 }).expect("encodes"),
    )
    .expect("writes");
    let mut history = kimera::history::History::new();
    history.record(kimera::history::Entry::of::<Event>());
    let schemas = dir.path().join("schemas.json");
    std::fs::write(&schemas, history.to_json()).expect("writes");

    for with_schemas in [false, true] {
        let mut inspect = kimera();
        inspect.args(["inspect", "--json"]);
        let mut verify = kimera();
        verify.arg("verify");
        if with_schemas {
            inspect.arg("--schemas").arg(&schemas);
            verify.arg("--schemas").arg(&schemas);
        }
        let out = inspect.arg(&file).output().expect("runs");
        assert!(out.status.success(), "{}", stderr(&out));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(
            report["value"],
            serde_json::json!({"kind": "Joined", "node": 4})
        );
        assert!(report["unchecked"].is_string(), "{report}");
        let out = verify.arg(&file).output().expect("runs");
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stdout(&out).contains("1 JSON value read but not checked"),
            "{}",
            stdout(&out)
        );
    }
}

#[test]
fn an_empty_file_is_not_a_good_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("empty.bin");
    std::fs::write(&file, b"").expect("writes");
    let out = kimera().arg("verify").arg(&file).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("empty"), "{}", stderr(&out));
    assert!(stdout(&out).contains("not Kimera data"), "{}", stdout(&out));
}

/// A reader that goes away (`| head`) ends the command quietly, without a panic.
#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    use std::io::Read as _;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("many.frames");
    let mut writer = FrameWriter::binary(Vec::new()).with_schemas();
    for n in 0..20_000 {
        writer.write(&peer(n)).expect("writes");
    }
    std::fs::write(&file, writer.into_inner()).expect("writes");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("kimera"))
        .arg("inspect")
        .arg(&file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    let mut start = [0; 100];
    child
        .stdout
        .take()
        .expect("piped")
        .read_exact(&mut start)
        .expect("reads the start");
    let out = child.wait_with_output().expect("ends");
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
