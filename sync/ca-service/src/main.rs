//! `ca-service --listen 127.0.0.1:PORT --data DIR [--tls-cert PEM --tls-key
//! PEM --client-ca PEM] [--public-url URL] [--payment-minutes N] [--demo]`:
//! the reference CA service, over mutual TLS when the three TLS options are
//! given, plain HTTP otherwise (then only on a loopback address).

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
    /// The address customers' phones open the payment page at (the QR
    /// code's URL), e.g. `http://192.168.1.10:8443`. Default: the `Host`
    /// the kiosk's request came to.
    #[arg(long)]
    public_url: Option<String>,
    /// Minutes a QR payment may be paid before it expires.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=1440))]
    payment_minutes: u64,
    /// Enables demonstration issuance (`POST /v1/admin/demo/issue`): never
    /// on a CA that issues real certificates.
    #[arg(long)]
    demo: bool,
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
    // Orders, payments and customers' details never cross a network in
    // the clear: plain HTTP only on this machine.
    anyhow::ensure!(
        args.tls_cert.is_some() || args.listen.ip().is_loopback(),
        "--listen {}: plain HTTP is only for a loopback address (127.0.0.1, ::1); \
         anywhere else give --tls-cert, --tls-key and --client-ca",
        args.listen
    );
    if let Some(url) = &args.public_url {
        anyhow::ensure!(
            (url.starts_with("http://") || url.starts_with("https://"))
                && !url
                    .chars()
                    .any(|c| c.is_whitespace() || "<>\"'".contains(c)),
            "--public-url must be an http:// or https:// URL"
        );
    }
    let service = ca_service::Service::open(
        &args.data,
        ca_service::Options {
            projects: args.projects,
            payment_ttl: std::time::Duration::from_secs(args.payment_minutes * 60),
            public_url: args.public_url,
            demo: args.demo,
            ..ca_service::Options::default()
        },
    )
    .with_context(|| format!("opening the data directory {}", args.data.display()))?;
    if args.demo {
        tracing::warn!("demonstration issuance is ON (--demo)");
    }
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
