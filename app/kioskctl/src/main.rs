//! `kioskctl`: the technician's command-line tool. It runs on the kiosk (or
//! over a remote shell) and reports what a technician needs, never customer
//! data.

mod config;
mod doctor;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "kioskctl",
    version,
    about = "Diagnostics and maintenance for the CA kiosk"
)]
struct Cli {
    /// Configuration file (default: /etc/kiosk/kiosk.toml when present, else
    /// the embedded defaults).
    #[arg(long, global = true, env = "KIOSK_CONFIG")]
    config: Option<PathBuf>,
    /// Overrides the configured data directory (store and keys).
    #[arg(long, global = true, env = "KIOSK_DATA_DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check the store and every device; exit status 1 if something is broken.
    Doctor {
        /// Print the report as JSON for remote support tools.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KIOSK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let mut config = config::Config::load(cli.config.as_deref())?;
    if let Some(dir) = cli.data_dir {
        config.data_dir = dir;
    }
    match cli.command {
        Command::Doctor { json } => {
            let report = doctor::run(&config, time::OffsetDateTime::now_utc());
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", doctor::render_text(&report));
            }
            Ok(if report.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}
