//! The subcommands, over the items [`Input`] finds.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use kimera::inspect::{Backend, Envelope, Schemas, ToBinary};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::input::{Input, Item, Kind};
use crate::Outcome;

/// Prints a line on standard output, as `println!` does, except that a reader gone away
/// (`kimera verify big.frames | head -1`) ends the command quietly, as Unix tools end.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::commands::say(format_args!($($arg)*))
    };
}

pub fn say(line: std::fmt::Arguments<'_>) {
    if let Err(err) = writeln!(io::stdout().lock(), "{line}") {
        gone(&err);
        eprintln!("kimera: cannot write the output: {err}");
        std::process::exit(2);
    }
}

/// Ends the command quietly if `err` says standard output's reader has gone away.
fn gone(err: &io::Error) {
    if err.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
}

/// Settings every command shares.
pub struct Options<'a> {
    pub json: bool,
    pub max_frame_len: u32,
    pub progress: &'a indicatif::ProgressBar,
}

/// Schemas a stream carries are kept for its later envelopes, up to this many (as
/// `FrameReader` keeps them).
const MAX_CARRIED: usize = 1024;

fn remember(schemas: &mut Schemas, carried: &mut usize, envelope: &Envelope<'_>) {
    if let Some(doc) = envelope.schema() {
        let known = doc
            .fingerprint()
            .ok()
            .and_then(|f| schemas.by_fingerprint(f))
            .is_some();
        if !known && *carried < MAX_CARRIED && schemas.insert(doc.clone()).is_ok() {
            *carried += 1;
        }
    }
}

/// One item as `inspect --json` prints it.
#[derive(Serialize)]
struct Report<'a> {
    item: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    backend: Option<&'static str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    type_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fingerprint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    origins: Option<String>,
    /// `true` verified, `false` absent; `null` for JSON, which has none.
    checksum: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sizes: Option<Sizes>,
    /// Whether the writer's schema was known (carried, earlier in the stream, or given).
    schema_known: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<Box<RawValue>>,
    /// Why a JSON value is shown as written, not checked against the writer's schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    unchecked: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema: Option<kimera::schema::document::Document>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct Sizes {
    header: usize,
    body: usize,
    trailer: usize,
}

fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Json => "json",
        Backend::Binary => "binary",
    }
}

/// Why a JSON value is shown as written: no schema to check it against.
const NO_SCHEMA: &str = "the writer's schema is not known (give --schemas to check it)";
/// Why a JSON value is shown as written: a schema with shapes the conversions cannot walk.
const JSON_ONLY: &str = "its schema has shapes only JSON holds, which kimera does not check";

/// Whether `err` says the writer's schema has shapes only JSON holds.
fn json_only(err: &kimera::Error) -> bool {
    matches!(err.kind(), kimera::ErrorKind::Unsupported(_))
}

/// The value of a JSON envelope as its text holds it, not checked against a schema.
fn as_written(report: &mut Report<'_>, envelope: &Envelope<'_>, why: &'static str) {
    match std::str::from_utf8(envelope.body())
        .map_err(|err| err.to_string())
        .and_then(|text| RawValue::from_string(text.to_owned()).map_err(|err| err.to_string()))
    {
        Ok(value) => {
            report.value = Some(value);
            report.unchecked = Some(why);
        }
        Err(error) => report.error = Some(error),
    }
}

/// The value text of a JSON envelope `to_json` wrote.
fn value_of(json: &[u8]) -> Result<Box<RawValue>, String> {
    let envelope = Envelope::parse(json).map_err(|err| err.to_string())?;
    let text = std::str::from_utf8(envelope.body()).map_err(|err| err.to_string())?;
    RawValue::from_string(text.to_owned()).map_err(|err| err.to_string())
}

pub fn inspect(
    options: &Options<'_>,
    mut schemas: Schemas,
    input: Option<&Path>,
    show_schema: bool,
) -> Result<Outcome, String> {
    let input = Input::new(input);
    let mut failed = false;
    let mut carried = 0;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut write_failed = None;
    input
        .for_each(options.max_frame_len, options.progress, |_, item| {
            let report = describe(
                &item,
                &mut schemas,
                &mut carried,
                show_schema,
                !options.json,
            );
            failed |= report.error.is_some();
            if let Some(error) = &report.error {
                options
                    .progress
                    .suspend(|| eprintln!("kimera: {}: {error}", report.item));
            }
            let written = match options.json {
                true => serde_json::to_writer(&mut out, &report)
                    .map_err(io::Error::from)
                    .and_then(|()| writeln!(out)),
                false => print_human(&mut out, &report),
            };
            if let Err(err) = written {
                write_failed.get_or_insert(err);
            }
        })
        .map_err(|err| format!("{}: {err}", input.name))?;
    if let Some(err) = out.flush().err().or(write_failed) {
        gone(&err);
        return Err(format!("cannot write the output: {err}"));
    }
    Ok(if failed { Outcome::Failed } else { Outcome::Ok })
}

fn describe<'a>(
    item: &'a Item<'_>,
    schemas: &mut Schemas,
    carried: &mut usize,
    show_schema: bool,
    pretty: bool,
) -> Report<'a> {
    let mut report = Report {
        item: &item.label,
        backend: None,
        type_name: None,
        version: None,
        fingerprint: None,
        origins: None,
        checksum: None,
        sizes: None,
        schema_known: false,
        value: None,
        unchecked: None,
        schema: None,
        error: None,
    };
    let bytes = match &item.envelope {
        Ok(bytes) => *bytes,
        Err(error) => {
            report.error = Some(error.clone());
            return report;
        }
    };
    let envelope = match Envelope::parse(bytes) {
        Ok(envelope) => envelope,
        Err(err) => {
            report.error = Some(err.to_string());
            return report;
        }
    };
    remember(schemas, carried, &envelope);
    let (header, body, trailer) = envelope.sizes();
    report.backend = Some(backend_name(envelope.backend()));
    report.version = Some(envelope.header().version);
    report.fingerprint = envelope.header().fingerprint.map(|f| format!("{f:016x}"));
    report.checksum = envelope.checksum();
    report.sizes = Some(Sizes {
        header,
        body,
        trailer,
    });
    report.schema_known = envelope.writer_schema(schemas).is_some();
    let converted = report
        .schema_known
        .then(|| envelope.to_json(schemas, pretty));
    // JSON describes itself: where it cannot be checked, its value is shown as written.
    let json = envelope.backend() == Backend::Json;
    match converted {
        Some(Ok(json)) => match value_of(&json) {
            Ok(value) => report.value = Some(value),
            Err(error) => report.error = Some(error),
        },
        Some(Err(err)) if json && json_only(&err) => as_written(&mut report, &envelope, JSON_ONLY),
        Some(Err(err)) => report.error = Some(err.to_string()),
        None if json => as_written(&mut report, &envelope, NO_SCHEMA),
        None => {}
    }
    report.type_name = Some(envelope.header().type_name.to_string());
    report.origins = envelope.origins().map(str::to_owned);
    if show_schema {
        report.schema = envelope.writer_schema(schemas).cloned();
    }
    report
}

fn print_human(out: &mut impl Write, report: &Report<'_>) -> io::Result<()> {
    match report.backend {
        Some(backend) => writeln!(out, "{}: {backend} envelope", report.item)?,
        None => writeln!(out, "{}", report.item)?,
    }
    if let (Some(name), Some(version)) = (&report.type_name, report.version) {
        writeln!(out, "  type         {name} v{version}")?;
    }
    if let Some(origins) = &report.origins {
        writeln!(out, "  origins      {origins}")?;
    }
    if let Some(fingerprint) = &report.fingerprint {
        writeln!(out, "  fingerprint  {fingerprint}")?;
    }
    if report.backend == Some("binary") {
        let state = match report.checksum {
            Some(true) => "verified",
            _ => "absent",
        };
        writeln!(out, "  checksum     {state}")?;
    }
    if let Some(s) = &report.sizes {
        writeln!(
            out,
            "  sizes        header {} + body {} + trailer {} = {} bytes",
            s.header,
            s.body,
            s.trailer,
            s.header + s.body + s.trailer
        )?;
    }
    if let Some(value) = &report.value {
        writeln!(out, "  value        {}", value.get().replace('\n', "\n  "))?;
        if let Some(why) = report.unchecked {
            writeln!(out, "  checked      no: {why}")?;
        }
    } else if report.backend.is_some() && !report.schema_known {
        writeln!(
            out,
            "  value        (not shown: the writer's schema is not known; give --schemas \
             kimera-schemas.json)"
        )?;
    }
    if let Some(schema) = &report.schema {
        let text = serde_json::to_string_pretty(schema).map_err(io::Error::from)?;
        writeln!(out, "  schema       {}", text.replace('\n', "\n  "))?;
    }
    if let Some(error) = &report.error {
        writeln!(out, "  error        {error}")?;
    }
    Ok(())
}

/// Where `convert` writes: standard output, or a file written in full beside its path and
/// renamed over it only once the conversion has succeeded, so that a failure leaves a file
/// already there (the input itself, say) as it was.
struct Output {
    writer: Box<dyn Write>,
    /// The file being written, and the path it is renamed to.
    file: Option<(PathBuf, PathBuf)>,
}

impl Output {
    fn create(path: Option<&Path>) -> Result<Output, String> {
        let Some(path) = path.filter(|p| *p != Path::new("-")) else {
            return Ok(Output {
                writer: Box::new(io::BufWriter::new(io::stdout().lock())),
                file: None,
            });
        };
        let name = path
            .file_name()
            .ok_or_else(|| format!("{}: the output must name a file", path.display()))?;
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".kimera-convert-{}", std::process::id()));
        let temp = path.with_file_name(temp_name);
        let file = std::fs::File::create(&temp)
            .map_err(|err| format!("cannot create {}: {err}", temp.display()))?;
        Ok(Output {
            writer: Box::new(io::BufWriter::new(file)),
            file: Some((temp, path.to_owned())),
        })
    }

    /// Puts the output in place if `complete`, else discards a file's.
    fn finish(mut self, complete: bool) -> Result<(), String> {
        let flushed = self.writer.flush();
        drop(self.writer);
        let Some((temp, path)) = self.file else {
            return flushed.map_err(|err| {
                gone(&err);
                format!("cannot write the output: {err}")
            });
        };
        let placed = flushed
            .map_err(|err| format!("cannot write {}: {err}", temp.display()))
            .and_then(|()| match complete {
                true => std::fs::rename(&temp, &path).map_err(|err| {
                    format!(
                        "cannot rename {} to {}: {err}",
                        temp.display(),
                        path.display()
                    )
                }),
                false => Ok(()),
            });
        if !complete || placed.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        placed
    }
}

pub fn convert(
    options: &Options<'_>,
    mut schemas: Schemas,
    to_binary: bool,
    pretty: bool,
    with_schema: bool,
    input: Option<&Path>,
    out: Option<&Path>,
) -> Result<Outcome, String> {
    let input = Input::new(input);
    let to_file = out.filter(|p| *p != Path::new("-")).map(Path::to_owned);
    let mut out = Output::create(out)?;
    let mut failure: Option<String> = None;
    let mut carried = 0;
    // A stream carries each type's schema once, as `FrameWriter::with_schemas` writes it.
    let mut sent = std::collections::HashSet::new();
    let walked = input.for_each(options.max_frame_len, options.progress, |kind, item| {
        if failure.is_some() {
            // Nothing after a failure: the output would silently lack a value.
            return;
        }
        let converted = match kind {
            Kind::SnapshotFile | Kind::SnapshotDir => Err(format!(
                "convert reads envelopes and frame streams; {} is {} (inspect shows its value)",
                input.name,
                kind.describe()
            )),
            _ => item.envelope.clone().and_then(|bytes| {
                let envelope = Envelope::parse(bytes).map_err(|e| e.to_string())?;
                remember(&mut schemas, &mut carried, &envelope);
                let schema = envelope.writer_schema(&schemas);
                let carries = with_schema
                    && (kind != Kind::Frames
                        || sent.insert((
                            schema.and_then(|doc| doc.fingerprint().ok()),
                            schema.and_then(|doc| doc.origins()),
                        )));
                let to = match carries {
                    true => ToBinary::new().with_schema(),
                    false => ToBinary::new(),
                };
                match to_binary {
                    true => envelope.to_binary(&schemas, to),
                    false => envelope.to_json(&schemas, pretty),
                }
                .or_else(|err| match envelope.backend() {
                    // JSON to compact JSON needs no schema: the envelope is copied as written.
                    Backend::Json
                        if !to_binary && !pretty && (schema.is_none() || json_only(&err)) =>
                    {
                        Ok(bytes.to_vec())
                    }
                    _ => Err(err),
                })
                .map_err(|e| e.to_string())
            }),
        };
        let written = converted.and_then(|bytes| {
            let framed = match kind {
                Kind::Frames => {
                    let len = u32::try_from(bytes.len())
                        .ok()
                        .filter(|&len| len <= options.max_frame_len)
                        .ok_or_else(|| {
                            format!(
                                "the converted envelope is {} bytes, over the frame maximum of {}",
                                bytes.len(),
                                options.max_frame_len
                            )
                        })?;
                    out.writer.write_all(&len.to_le_bytes())
                }
                _ => Ok(()),
            };
            framed
                .and_then(|()| out.writer.write_all(&bytes))
                .map_err(|err| format!("cannot write the output: {err}"))
        });
        if let Err(error) = written {
            failure = Some(format!("{}: {error}", item.label));
        }
    });
    if let Err(err) = walked {
        out.finish(false)?;
        return Err(format!("{}: {err}", input.name));
    }
    out.finish(failure.is_none())?;
    match failure {
        Some(error) => {
            let output = match &to_file {
                Some(path) => format!("{} is left as it was", path.display()),
                None => "the output stops before it".to_owned(),
            };
            eprintln!("kimera: {}: {error} ({output})", input.name);
            Ok(Outcome::Failed)
        }
        None => Ok(Outcome::Ok),
    }
}

/// One damaged item, or a path's totals, as `verify --json` prints them.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Verdict<'a> {
    Damaged {
        path: &'a Path,
        item: &'a str,
        error: &'a str,
    },
    Summary {
        path: &'a Path,
        holds: &'static str,
        items: u64,
        damaged: u64,
        /// Intact, but not decoded: the writer's schema is not known.
        not_decoded: u64,
        /// JSON values read, but not checked against the writer's schema.
        as_written: u64,
        /// Binary envelopes without a checksum: damage to them shows only if they decode wrong.
        unchecked: u64,
    },
}

pub fn verify(
    options: &Options<'_>,
    schemas: Schemas,
    paths: &[PathBuf],
) -> Result<Outcome, String> {
    let mut any_damaged = false;
    for path in paths {
        if !path.exists() {
            return Err(format!("{}: no such file or directory", path.display()));
        }
        let input = Input::new(Some(path));
        let mut schemas = schemas.clone();
        let mut carried = 0;
        let (mut items, mut damaged, mut not_decoded, mut unchecked) = (0u64, 0u64, 0u64, 0u64);
        let mut as_written = 0u64;
        let kind = input
            .for_each(options.max_frame_len, options.progress, |_, item| {
                items += 1;
                let check = item.envelope.clone().and_then(|bytes| {
                    let envelope = Envelope::parse(bytes).map_err(|e| e.to_string())?;
                    remember(&mut schemas, &mut carried, &envelope);
                    unchecked += u64::from(envelope.checksum() == Some(false));
                    let json = envelope.backend() == Backend::Json;
                    if envelope.writer_schema(&schemas).is_none() {
                        match json {
                            true => as_written += 1,
                            false => not_decoded += 1,
                        }
                        return Ok(());
                    }
                    match envelope.to_json(&schemas, false) {
                        Ok(_) => Ok(()),
                        Err(err) if json && json_only(&err) => {
                            as_written += 1;
                            Ok(())
                        }
                        Err(err) => Err(err.to_string()),
                    }
                });
                if let Err(error) = check {
                    damaged += 1;
                    let verdict = Verdict::Damaged {
                        path,
                        item: &item.label,
                        error: &error,
                    };
                    options.progress.suspend(|| report(options.json, &verdict));
                }
            })
            .map_err(|err| format!("{}: {err}", path.display()))?;
        any_damaged |= damaged > 0;
        report(
            options.json,
            &Verdict::Summary {
                path,
                holds: kind.describe(),
                items,
                damaged,
                not_decoded,
                as_written,
                unchecked,
            },
        );
    }
    Ok(if any_damaged {
        Outcome::Failed
    } else {
        Outcome::Ok
    })
}

fn report(json: bool, verdict: &Verdict<'_>) {
    if json {
        if let Ok(line) = serde_json::to_string(verdict) {
            say!("{line}");
        }
        return;
    }
    match verdict {
        Verdict::Damaged { path, item, error } => {
            eprintln!("DAMAGED {}: {item}: {error}", path.display());
        }
        Verdict::Summary {
            path,
            holds,
            items,
            damaged,
            not_decoded,
            as_written,
            unchecked,
        } => {
            let mut line = format!(
                "{}: {holds}, {items} item{}, {damaged} damaged",
                path.display(),
                if *items == 1 { "" } else { "s" }
            );
            if *not_decoded > 0 {
                line += &format!(
                    ", {not_decoded} not decoded (the writer's schema is not known: give --schemas)"
                );
            }
            if *as_written > 0 {
                line += &format!(
                    ", {as_written} JSON value{} read but not checked against the writer's schema",
                    if *as_written == 1 { "" } else { "s" }
                );
            }
            if *unchecked > 0 {
                line += &format!(", {unchecked} without a checksum");
            }
            say!("{line}");
        }
    }
}

pub fn schemas_check(
    options: &Options<'_>,
    history: &kimera::history::History,
    rollback: bool,
) -> Outcome {
    let mut problems = history.check_recorded();
    if rollback {
        problems.extend(history.check_rollback());
    }
    let entries = history.entries().len();
    if options.json {
        say!(
            "{}",
            serde_json::json!({ "schemas": entries, "problems": problems })
        );
    } else {
        for problem in &problems {
            eprintln!("kimera: {problem}");
        }
        if problems.is_empty() {
            let direction = match rollback {
                true => "read each other",
                false => "are read by the newest",
            };
            say!(
                "{entries} recorded schemas: each is its fingerprint's, and those of a type and \
                 version {direction}"
            );
        }
    }
    match problems.is_empty() {
        true => Outcome::Ok,
        false => Outcome::Failed,
    }
}

pub fn schemas_list(options: &Options<'_>, history: &kimera::history::History) -> Outcome {
    for entry in history.entries() {
        if options.json {
            let line = serde_json::json!({
                "name": entry.name,
                "version": entry.version,
                "fingerprint": entry.fingerprint,
            });
            say!("{line}");
        } else {
            say!("{} v{} {}", entry.name, entry.version, entry.fingerprint);
        }
    }
    Outcome::Ok
}

pub fn schemas_show(
    history: &kimera::history::History,
    name: &str,
    version: Option<u32>,
    json_schema: bool,
) -> Result<Outcome, String> {
    let entry = history
        .entries()
        .iter()
        .filter(|e| e.name == name && version.is_none_or(|v| e.version == v))
        .max_by_key(|e| e.version);
    let Some(entry) = entry else {
        let recorded = history.entries().iter().filter(|e| e.name == name).count();
        eprintln!(
            "kimera: the history records no schema of `{name}`{}",
            match (version, recorded) {
                (Some(v), 1..) => format!(" at version {v} ({recorded} at other versions)"),
                _ => String::new(),
            }
        );
        return Ok(Outcome::Failed);
    };
    let shown = match json_schema {
        true => kimera::json_schema::of_document(&entry.schema, entry.version).map_err(|err| {
            format!(
                "the recorded schema of `{}` v{}: {err}",
                entry.name, entry.version
            )
        })?,
        false => serde_json::to_value(&entry.schema).map_err(|err| err.to_string())?,
    };
    let text = serde_json::to_string_pretty(&shown).map_err(|err| err.to_string())?;
    say!("{text}");
    Ok(Outcome::Ok)
}

/// The one envelope `path` holds (an envelope or a snapshot file), owned.
fn one_envelope(options: &Options<'_>, path: &Path) -> Result<Result<Vec<u8>, String>, String> {
    let input = Input::new(Some(path));
    let mut found: Option<Result<Vec<u8>, String>> = None;
    let mut count = 0;
    let kind = input
        .for_each(options.max_frame_len, options.progress, |_, item| {
            count += 1;
            if found.is_none() {
                found = Some(
                    item.envelope
                        .map(<[u8]>::to_vec)
                        .map_err(|error| format!("{}: {error}", item.label)),
                );
            }
        })
        .map_err(|err| format!("{}: {err}", path.display()))?;
    match (kind, count) {
        (Kind::Envelope | Kind::SnapshotFile, 1) => Ok(found.expect("one item was found")),
        _ => Err(format!(
            "{}: diff compares two values, and this is {} ({count} items): give an envelope or a \
             snapshot file",
            path.display(),
            kind.describe()
        )),
    }
}

pub fn diff(
    options: &Options<'_>,
    schemas: Schemas,
    old: &Path,
    new: &Path,
    patch: bool,
) -> Result<Outcome, String> {
    let (old_bytes, new_bytes) = (one_envelope(options, old)?, one_envelope(options, new)?);
    let result = old_bytes
        .map_err(|e| format!("{}: {e}", old.display()))
        .and_then(|old_bytes| {
            let new_bytes = new_bytes.map_err(|e| format!("{}: {e}", new.display()))?;
            let parse = |bytes, path: &Path| {
                Envelope::parse(bytes).map_err(|e| format!("{}: {e}", path.display()))
            };
            let (a, b) = (parse(&old_bytes, old)?, parse(&new_bytes, new)?);
            let mut schemas = schemas;
            let mut carried = 0;
            remember(&mut schemas, &mut carried, &a);
            remember(&mut schemas, &mut carried, &b);
            a.diff(&b, &schemas).map_err(|e| e.to_string())
        });
    let diff = match result {
        Ok(diff) => diff,
        Err(error) => {
            eprintln!("kimera: {error}");
            return Ok(Outcome::Failed);
        }
    };
    // For scripts, the changes are the patch.
    if patch || options.json {
        match diff.to_json_patch() {
            Ok(patch) => say!("{patch:#}"),
            Err(err) => {
                eprintln!("kimera: {err}");
                return Ok(Outcome::Failed);
            }
        }
    } else {
        say!("{diff}");
    }
    Ok(Outcome::Ok)
}
