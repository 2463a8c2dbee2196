//! `ca-service --listen 127.0.0.1:PORT --data DIR [--tls-cert PEM --tls-key
//! PEM --client-ca PEM]`: the reference CA service, over mutual TLS when the
//! three TLS options are given, plain HTTP otherwise.

use anyhow::Context;
use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The reference CA service the kiosk is developed and tested against.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// Data directory: the SQLite file and the CA key.
    #[arg(long)]
    data: PathBuf,
    /// Project codes offered (repeat the option).
    #[arg(long = "project", default_values_t = vec!["COAL".to_owned()])]
    projects: Vec<String>,
    /// Mutual TLS: the server's certificate chain (PEM). Without the TLS
    /// options the service speaks plain HTTP (development only).
    #[arg(long, requires_all = ["tls_key", "client_ca"])]
    tls_cert: Option<PathBuf>,
    /// Mutual TLS: the server's private key (PEM).
    #[arg(long, requires_all = ["tls_cert", "client_ca"])]
    tls_key: Option<PathBuf>,
    /// Mutual TLS: the CA that signs kiosk device certificates (PEM); every
    /// client must present a certificate chaining to it.
    #[arg(long, requires_all = ["tls_cert", "tls_key"])]
    client_ca: Option<PathBuf>,
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
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let (Some(cert), Some(key), Some(client_ca)) =
        (&args.tls_cert, &args.tls_key, &args.client_ca)
    {
        let tls = ca_service::tls::server_config_from_files(cert, key, client_ca)
            .context("loading the TLS settings")?;
        tracing::info!(listen = %args.listen, "ca-service ready (mutual TLS)");
        ca_service::run_tls(listener, service, tls, shutdown)
            .await
            .context("serving")?;
    } else {
        tracing::warn!(listen = %args.listen, "ca-service ready over PLAIN HTTP (development only)");
        ca_service::run(listener, service, shutdown)
            .await
            .context("serving")?;
    }
    Ok(())
}
