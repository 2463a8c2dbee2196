//! `kioskctl`: the technician's command-line tool. It runs on the kiosk (or
//! over a remote shell) and reports what a technician needs, never customer
//! data.

use kiosk_config as config;
mod audit;
mod doctor;
mod printer;
mod queue;
mod token;
mod update;
mod update_download;

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
    /// Print a test receipt (Chinese text, a QR code, a cut).
    PrintTest {
        /// usb:VID:PID, serial:/dev/ttyUSB0[?baud=N], tcp:HOST:PORT or
        /// file:PATH (default: printer.uri from the configuration).
        #[arg(long)]
        printer: Option<String>,
        /// 58mm or 80mm (default: printer.paper).
        #[arg(long)]
        paper: Option<String>,
    },
    /// The orders still to reach the CA.
    Queue {
        #[command(subcommand)]
        command: QueueCommand,
    },
    /// The USB keys in the key writer and their certificates (read only).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The audit log: what staff and technicians did on this kiosk.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// System updates (A/B root slots, through RAUC).
    Update {
        #[command(subcommand)]
        command: UpdateCommand,
    },
}

#[derive(Debug, Subcommand)]
enum UpdateCommand {
    /// Which slot runs, which boots next, what each holds.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Install a signed update bundle into the other slot (then reboot).
    Install {
        /// The bundle: a file (e.g. /mnt/kiosk-2026.12.01.raucb on a USB
        /// stick) or an http(s):// URL, downloaded onto the data partition.
        source: String,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Every entry, oldest first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Checks the hash chain; exit status 1 naming the first broken entry.
    Verify,
}

#[derive(Debug, Subcommand)]
enum QueueCommand {
    /// Every order not yet acknowledged by the CA, oldest first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// One order's upload.
    Show {
        order: String,
        #[arg(long)]
        json: bool,
    },
    /// Send this order at the next attempt (also one the CA refused).
    Retry { order: String },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Inserted keys and the PKCS#11 modules that could not be loaded.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Each key's certificates with their validity and renewal verdict.
    Show {
        /// Only the key with this label.
        #[arg(long)]
        label: Option<String>,
        #[arg(long)]
        json: bool,
        /// Language of the renewal reason (zh-CN or en).
        #[arg(long, default_value = "zh-CN")]
        lang: String,
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
    let config = config::Config::load_with(cli.config.as_deref(), cli.data_dir.as_deref())?;
    match cli.command {
        Command::Doctor { json } => {
            let report = doctor::run(&config, time::OffsetDateTime::now_utc())?;
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
        Command::PrintTest { printer, paper } => {
            print!(
                "{}",
                printer::print_test(&config, printer.as_deref(), paper.as_deref())?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Queue { command } => {
            let mut store =
                kiosk_store::Store::open(&config.store.database, &config.store.key_file)?;
            let now = time::OffsetDateTime::now_utc();
            match command {
                QueueCommand::List { json } => {
                    let entries = queue::list(&store, now)?;
                    if json {
                        println!("{}", serde_json::to_string_pretty(&entries)?);
                    } else {
                        print!("{}", queue::render(&entries));
                    }
                }
                QueueCommand::Show { order, json } => {
                    let entry = queue::show(&store, &order, now)?;
                    if json {
                        println!("{}", serde_json::to_string_pretty(&entry)?);
                    } else {
                        print!("{}", queue::render(std::slice::from_ref(&entry)));
                    }
                }
                QueueCommand::Retry { order } => {
                    // Recorded first: nothing is done that the log misses.
                    let number = queue::order_number(&order)?;
                    audit::record(
                        &mut store,
                        kiosk_domain::audit::AuditAction::QueueRetry,
                        Some(number),
                        now,
                    )?;
                    print!("{}", queue::retry(&mut store, &number, now)?);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { command } => {
            let mut store =
                kiosk_store::Store::open(&config.store.database, &config.store.key_file)?;
            match command {
                AuditCommand::List { json } => {
                    let lines = audit::list(&store)?;
                    if json {
                        println!("{}", serde_json::to_string_pretty(&lines)?);
                    } else {
                        print!("{}", audit::render(&lines));
                    }
                    Ok(ExitCode::SUCCESS)
                }
                AuditCommand::Verify => {
                    let (text, mut intact) = audit::verify(&store)?;
                    print!("{text}");
                    // The CA's copy: a log cut off its end, or rewritten
                    // by someone holding the key, shows only against it.
                    match doctor::ca_client(&config, time::OffsetDateTime::now_utc()) {
                        Ok(Some(client)) => {
                            let (text, agrees) =
                                audit::verify_against_ca(&mut store, &client, config.kiosk_code);
                            print!("{text}");
                            intact &= agrees;
                        }
                        Ok(None) => println!("no CA configured: the CA's copy not compared"),
                        Err(problem) => {
                            println!("the CA's copy not compared: {problem}");
                        }
                    }
                    Ok(if intact {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    })
                }
            }
        }
        Command::Token {
            command: TokenCommand::List { json },
        } => {
            let list = token::list(&config)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                print!("{}", token::render_list(&list));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Update {
            command: UpdateCommand::Status { json },
        } => {
            let status = update::status()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                print!("{}", update::render_status(&status));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Update {
            command: UpdateCommand::Install { source },
        } => {
            print!("{}", update::install(&source)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Token {
            command: TokenCommand::Show { label, json, lang },
        } => {
            let lang = match lang.as_str() {
                "en" => kiosk_domain::lang::Lang::En,
                "zh-CN" => kiosk_domain::lang::Lang::ZhCn,
                other => anyhow::bail!("--lang must be zh-CN or en, not {other:?}"),
            };
            let shown = token::show(
                &config,
                label.as_deref(),
                time::OffsetDateTime::now_utc(),
                lang,
            )?;
            if json {
                println!("{}", serde_json::to_string_pretty(&shown)?);
            } else {
                print!("{}", token::render_show(&shown));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
