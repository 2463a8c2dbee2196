//! `kiosk`: the self-service kiosk.
//!
//! - `kiosk [--config PATH]`: runs on the configuration (embedded defaults,
//!   then `/etc/kiosk/kiosk.toml`, `KIOSK_CONFIG` or `--config`).
//! - `kiosk demo [--dir DIR] [--fresh]`: the whole demonstration world on
//!   one machine (reference CA service, SoftHSM2 key, file printer).
//!
//! The window opens full screen (`--windowed` for development). Slint picks
//! its backend from `SLINT_BACKEND`: winit under X11 or Wayland (development,
//! the demo), `linuxkms-software` on the kiosk image (no display server).

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use kiosk::clock::SystemClock;
use kiosk::runtime::Command as FlowCommand;
use kiosk::ui_port::{self, UiPort, UiSender};
use kiosk::{demo, notify, wiring};
use kiosk_config::Config;
use kiosk_domain::lang::Lang;
use kiosk_ui::KioskUi;
use slint::ComponentHandle;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Instant;

#[derive(Debug, Parser)]
#[command(name = "kiosk", version, about = "The certificate self-service kiosk")]
struct Cli {
    /// Configuration file (default: /etc/kiosk/kiosk.toml when present).
    #[arg(long, env = "KIOSK_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// A normal window instead of full screen (development).
    #[arg(long)]
    windowed: bool,
    /// Quit right after the first frame was drawn, printing how long it
    /// took (benchmarks, the image's smoke test).
    #[arg(long)]
    exit_after_first_frame: bool,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Runs the demonstration: CA service, SoftHSM2 key, file printer, kiosk.
    Demo {
        /// Where the demo keeps everything.
        #[arg(long, default_value = "var/demo")]
        dir: PathBuf,
        /// Start from nothing (removes DIR first).
        #[arg(long)]
        fresh: bool,
        /// Passed on to the kiosk (e.g. --windowed).
        #[arg(last = true)]
        kiosk_args: Vec<String>,
    },
    /// Puts the demo certificate on the SoftHSM2 key (run by `demo`).
    #[command(hide = true)]
    DemoKey {
        /// The CA service's staff listener (demo issuance).
        #[arg(long)]
        staff_url: String,
    },
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KIOSK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colours on a terminal only: not into journald or a file.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = Cli::parse();
    match cli.command {
        Some(Cmd::Demo {
            dir,
            fresh,
            kiosk_args,
        }) => {
            let code = demo::run(&dir, fresh, &kiosk_args)?;
            std::process::exit(code);
        }
        Some(Cmd::DemoKey { staff_url }) => demo::provision_key(
            &Config::load(cli.config.as_deref())?,
            &staff_url,
            demo::USER_PIN,
        ),
        None => run(
            &Config::load(cli.config.as_deref())?,
            cli.windowed,
            cli.exit_after_first_frame,
        ),
    }
}

fn run(config: &Config, windowed: bool, exit_after_first_frame: bool) -> Result<()> {
    let started = Instant::now();
    let ui = Rc::new(KioskUi::new().context("cannot open the kiosk's window")?);
    if config.ui.lang == Lang::En {
        ui.set_lang(Lang::En);
    }
    ui.set_downloads_url(config.ui.downloads_url.as_deref().unwrap_or_default());
    ui.set_counter_location(config.ui.counter_location.as_deref().unwrap_or_default());
    ui.set_camera(!matches!(config.camera, kiosk_config::CameraSource::None));
    ui.set_staff_mode(!config.staff.ca_certificates.is_empty());
    let (width, height) = config.ui.orientation.size();
    let window = ui.window().window();
    window.set_size(slint::LogicalSize::new(
        f32::from(u16::try_from(width).unwrap_or(1080)),
        f32::from(u16::try_from(height).unwrap_or(1920)),
    ));
    window.set_fullscreen(!windowed);

    let (update_tx, update_rx) = mpsc::channel();
    ui_port::install(Rc::new(
        UiPort::new(update_rx, Rc::clone(&ui))
            .keeping_picks_in(config.in_data_dir(std::path::Path::new("keyboard-picks.txt"))),
    ));
    let (command_tx, command_rx) = mpsc::channel();
    let events = command_tx.clone();
    ui.on_event(move |event| {
        let _ = events.send(FlowCommand::Ui(event));
    });
    let parts = wiring::build(
        config,
        UiSender::new(update_tx, true),
        command_tx.clone(),
        std::sync::Arc::new(SystemClock),
    )?;
    let flow = parts.flow;
    let flow_thread = std::thread::Builder::new()
        .name("kiosk-flow".to_owned())
        .spawn(move || flow.run(&command_rx))?;

    // The watchdog is fed from the screen thread: a hung event loop stops
    // the pings and systemd restarts the kiosk.
    let watchdog = slint::Timer::default();
    if let Some(interval) = notify::watchdog_interval() {
        watchdog.start(slint::TimerMode::Repeated, interval, || {
            notify::send("WATCHDOG=1");
        });
    }
    ui.window().show()?;
    // Once the event loop turns, the screen is drawn once more into a
    // buffer (the software renderer has no rendering notifier): proof that
    // the kiosk renders, for systemd and the image's health check.
    let probe = ui.window().as_weak();
    let undrawn = Rc::new(std::cell::Cell::new(false));
    let failed = Rc::clone(&undrawn);
    slint::Timer::single_shot(std::time::Duration::ZERO, move || {
        let drawn = probe.upgrade().map(|w| w.window().take_snapshot().is_ok());
        let ms = started.elapsed().as_millis();
        if drawn != Some(true) {
            tracing::error!("the first frame could not be drawn");
            failed.set(true);
            let _ = slint::quit_event_loop();
            return;
        }
        tracing::info!(ms, "first frame drawn");
        // systemd (Type=notify) and the image's health check.
        notify::send("READY=1");
        if exit_after_first_frame {
            println!("first frame after {ms} ms");
            let _ = slint::quit_event_loop();
        }
    });
    slint::run_event_loop()?;

    notify::send("STOPPING=1");
    let _ = command_tx.send(FlowCommand::Stop);
    if flow_thread.join().is_err() {
        anyhow::bail!("the flow thread panicked");
    }
    drop(parts.sync);
    parts.io.shutdown_timeout(std::time::Duration::from_secs(5));
    if undrawn.get() {
        anyhow::bail!("the kiosk could not draw its screen");
    }
    Ok(())
}
