//! `ca-service --listen 127.0.0.1:PORT --data DIR`: the reference CA service.

use anyhow::Context;
use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The reference CA service the kiosk is developed and tested against.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on (plain HTTP in this version).
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// Data directory: the SQLite file and the CA key.
    #[arg(long)]
    data: PathBuf,
    /// Project codes offered (repeat the option).
    #[arg(long = "project", default_values_t = vec!["COAL".to_owned()])]
    projects: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let service = ca_service::Service::open(
        &args.data,
        ca_service::Options {
            projects: args.projects,
            ..ca_service::Options::default()
        },
    )
    .with_context(|| format!("opening the data directory {}", args.data.display()))?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    tracing::info!(listen = %args.listen, "ca-service ready");
    ca_service::run(listener, service, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("serving")?;
    Ok(())
}
