//! `kimera`: look inside, convert and verify Kimera envelopes, frame streams and snapshots
//! without the program that wrote them.
//!
//! Exit status: 0 on success, 1 when an item does not decode or a check fails (each named on
//! standard error), 2 on bad usage (clap's own status for it) or an input that cannot be
//! opened.

mod commands;
mod input;

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use kimera::inspect::Schemas;

#[derive(Parser)]
#[command(name = "kimera", version, about, long_about = None)]
struct Cli {
    /// A schema history file (`kimera-schemas.json`) holding the writers' schemas of values
    /// whose envelopes carry none.
    #[arg(long, global = true, value_name = "FILE")]
    schemas: Option<PathBuf>,
    /// Output for scripts: one JSON object per item, one per line.
    #[arg(long, global = true)]
    json: bool,
    /// The longest frame read from a frame stream, in bytes.
    #[arg(long, global = true, default_value_t = 16 << 20, value_name = "BYTES")]
    max_frame: u32,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Prints each envelope's header and, when the writer's schema is known, its value as JSON.
    Inspect {
        /// An envelope, frame stream, snapshot file or snapshot directory; `-` or nothing for
        /// standard input.
        input: Option<PathBuf>,
        /// Also prints the writer's schema document.
        #[arg(long)]
        schema: bool,
    },
    /// Re-encodes envelopes and frame streams in the other backend, with the writer's schema.
    Convert {
        /// The backend to write.
        #[arg(long, value_enum)]
        to: Backend,
        /// Indented JSON.
        #[arg(long)]
        pretty: bool,
        /// Binary envelopes carry the writer's schema document.
        #[arg(long)]
        with_schema: bool,
        /// The input; `-` or nothing for standard input.
        input: Option<PathBuf>,
        /// The output; `-` or nothing for standard output.
        output: Option<PathBuf>,
    },
    /// The changes between two values of one type (either backend, any versions), one line
    /// each, as `kimera::diff` prints them.
    Diff {
        /// The old value: an envelope or a snapshot file.
        old: PathBuf,
        /// The new value.
        new: PathBuf,
        /// Prints an RFC 6902 JSON Patch instead.
        #[arg(long)]
        patch: bool,
    },
    /// Reads a schema history file (`kimera-schemas.json`).
    Schemas {
        #[command(subcommand)]
        command: SchemasCommand,
    },
    /// Checks checksums and decodability; reports every damaged item and exits 1 if any.
    Verify {
        /// Envelopes, frame streams, snapshot files and snapshot directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
enum SchemasCommand {
    /// Checks the file as `kimera::history::assert_history` does, without the program: every
    /// document gives its fingerprint, and the newest schema of each type and version reads
    /// the older ones, in binary and JSON.
    Check {
        /// The schema history file.
        file: PathBuf,
        /// Also checks that each older schema reads what the newest writes, so that a
        /// rolled-back build reads the values written since.
        #[arg(long)]
        rollback: bool,
    },
    /// Every recorded schema: type name, version and fingerprint.
    List {
        /// The schema history file.
        file: PathBuf,
    },
    /// The schema document of a type: its newest recorded version, or `--version`.
    Show {
        /// The type's name, as envelopes carry it (`shop.Order`).
        name: String,
        /// The schema history file.
        file: PathBuf,
        /// The version to show.
        #[arg(long)]
        version: Option<u32>,
        /// Prints the JSON Schema (draft 2020-12) of the type's JSON envelopes instead, for
        /// programs in other languages.
        #[arg(long)]
        json_schema: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Backend {
    Json,
    Binary,
}

/// How a command ended, when it ran.
pub enum Outcome {
    Ok,
    /// Some item did not decode or check; each has been reported.
    Failed,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let schemas = match load_schemas(cli.schemas.as_deref()) {
        Ok(schemas) => schemas,
        Err(message) => return usage(&message),
    };
    let progress = progress();
    let options = commands::Options {
        json: cli.json,
        max_frame_len: cli.max_frame,
        progress: &progress,
    };
    let result = match cli.command {
        Command::Inspect { input, schema } => {
            commands::inspect(&options, schemas, input.as_deref(), schema)
        }
        Command::Convert {
            to,
            pretty,
            with_schema,
            input,
            output,
        } => commands::convert(
            &options,
            schemas,
            matches!(to, Backend::Binary),
            pretty,
            with_schema,
            input.as_deref(),
            output.as_deref(),
        ),
        Command::Verify { paths } => commands::verify(&options, schemas, &paths),
        Command::Diff { old, new, patch } => commands::diff(&options, schemas, &old, &new, patch),
        Command::Schemas { command } => match command {
            SchemasCommand::Check { file, rollback } => load_history(&file)
                .map(|history| commands::schemas_check(&options, &history, rollback)),
            SchemasCommand::List { file } => {
                load_history(&file).map(|history| commands::schemas_list(&options, &history))
            }
            SchemasCommand::Show {
                name,
                file,
                version,
                json_schema,
            } => load_history(&file)
                .and_then(|history| commands::schemas_show(&history, &name, version, json_schema)),
        },
    };
    progress.finish_and_clear();
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Err(message) => usage(&message),
    }
}

fn usage(message: &str) -> ExitCode {
    eprintln!("kimera: {message}");
    ExitCode::from(2)
}

fn load_schemas(path: Option<&std::path::Path>) -> Result<Schemas, String> {
    let Some(path) = path else {
        return Ok(Schemas::new());
    };
    Schemas::from_history(&load_history(path)?).map_err(|err| format!("{}: {err}", path.display()))
}

fn load_history(path: &std::path::Path) -> Result<kimera::history::History, String> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        format!(
            "cannot read the schema history file {}: {err}",
            path.display()
        )
    })?;
    // An empty file is an empty history, as `assert_history` takes it (`touch` starts one).
    if text.trim().is_empty() {
        return Ok(kimera::history::History::new());
    }
    kimera::history::History::from_json(&text).map_err(|err| format!("{}: {err}", path.display()))
}

/// A bar on a terminal, nothing when standard error is piped.
fn progress() -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {bytes} read, {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar
}
