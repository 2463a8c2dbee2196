//! `ca-service --listen ADDR [--staff-listen ADDR] --data DIR [--tls-cert PEM
//! --tls-key PEM --client-ca PEM --staff-client-ca PEM [--staff-crl FILE]...]
//! [--public-url URL] [--payment-minutes N] [--demo]`: the reference CA
//! service, the kiosks'
//! protocol on `--listen` and the back office on `--staff-listen`, over
//! mutual TLS when the TLS options are given, plain HTTP otherwise (then
//! only on loopback addresses).

use anyhow::Context;
use ca_service::Listener;
use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The reference CA service the kiosk is developed and tested against.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address the kiosks' protocol and the public pages listen on.
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// Address the back office and the staff API listen on (none: not
    /// served).
    #[arg(long)]
    staff_listen: Option<SocketAddr>,
    /// A host name the staff listener answers to (repeat the option);
    /// IP addresses and `localhost` always.
    #[arg(long = "staff-host")]
    staff_hosts: Vec<String>,
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
    /// Mutual TLS: the CA that signs staff certificates (PEM); every client
    /// of the staff listener must present one. Another CA than the kiosks'.
    /// Payments staff record at a kiosk (`POST
    /// /v1/orders/{number}/counter-payments`) must be signed with a
    /// certificate of it; without it they are refused. Over plain HTTP
    /// (loopback only) it serves those payments and the revocation lists
    /// alone.
    #[arg(long, requires = "staff_listen")]
    staff_client_ca: Option<PathBuf>,
    /// The staff CA's revocation list (DER, or PEM `X509 CRL`), served to
    /// kiosks at `GET /v1/staff/crl` (repeat the option, or separate files
    /// with commas). Each must be signed by `--staff-client-ca`, or the
    /// service does not start; a changed file is read again when a kiosk
    /// asks, at most once a minute (one that no longer verifies is logged,
    /// the last good one kept).
    #[arg(
        long = "staff-crl",
        value_name = "FILE",
        value_delimiter = ',',
        requires = "staff_client_ca"
    )]
    staff_crls: Vec<PathBuf>,
    /// The address customers' phones open the payment page at (the QR
    /// code's URL), e.g. `http://192.168.1.10:8443`. Default: the `Host`
    /// the kiosk's request came to.
    #[arg(long)]
    public_url: Option<String>,
    /// Minutes a QR payment may be paid before it expires.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=1440))]
    payment_minutes: u64,
    /// Enables the simulators and demonstration issuance (`POST
    /// /v1/admin/demo/issue`), signed by a demonstration CA of its own
    /// (`DATA/demo-ca`) that alone renews what it issued: never on a CA
    /// that issues real certificates.
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
    for (option, addr) in [
        ("--listen", Some(args.listen)),
        ("--staff-listen", args.staff_listen),
    ] {
        if let Some(addr) = addr {
            anyhow::ensure!(
                args.tls_cert.is_some() || addr.ip().is_loopback(),
                "{option} {addr}: plain HTTP is only for a loopback address (127.0.0.1, ::1); \
                 anywhere else give --tls-cert, --tls-key, --client-ca and --staff-client-ca",
            );
        }
    }
    anyhow::ensure!(
        args.tls_cert.is_none() || args.staff_listen.is_none() || args.staff_client_ca.is_some(),
        "--staff-listen over TLS needs --staff-client-ca (the CA of the staff certificates)"
    );
    let read = |p: &PathBuf| std::fs::read(p).with_context(|| format!("reading {}", p.display()));
    if let (Some(kiosks), Some(staff)) = (&args.client_ca, &args.staff_client_ca) {
        // Otherwise every kiosk's device certificate would open the back
        // office.
        anyhow::ensure!(
            read(kiosks)? != read(staff)?,
            "--staff-client-ca must be another CA than --client-ca"
        );
    }
    // What the staff revocation lists must be signed by, and what staff
    // certificates of counter payments chain to.
    let staff_ca_der = match &args.staff_client_ca {
        Some(staff) => kiosk_x509::certificates_from_pem(&read(staff)?),
        None => Vec::new(),
    };
    anyhow::ensure!(
        args.staff_crls.is_empty() || !staff_ca_der.is_empty(),
        "--staff-client-ca holds no PEM certificate to check --staff-crl with"
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
            staff_hosts: args.staff_hosts,
            staff_crls: args.staff_crls,
            staff_ca_der,
            ..ca_service::Options::default()
        },
    )
    .map_err(|e| match e {
        ca_service::ServiceError::StaffCrl(e) => {
            anyhow::Error::new(e).context("checking --staff-crl")
        }
        e => anyhow::Error::new(e).context(format!(
            "opening the data directory {}",
            args.data.display()
        )),
    })?;
    if args.demo {
        tracing::warn!("demonstration issuance is ON (--demo)");
    }
    let kiosk_listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let staff_listener = match args.staff_listen {
        Some(addr) => Some(
            tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("listening on {addr}"))?,
        ),
        None => {
            tracing::info!("no --staff-listen: the back office is not served");
            None
        }
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        let _ = stop.send(true);
    });
    let shutdown = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };
    let kiosk_router = service.router(Listener::Kiosk);
    let staff_router = service.router(Listener::Staff);
    let (kiosk, staff) = if let (Some(cert), Some(key), Some(client_ca)) =
        (&args.tls_cert, &args.tls_key, &args.client_ca)
    {
        let tls = |ca: &std::path::Path, listener| {
            ca_service::tls::server_config_from_files(cert, key, ca, listener)
                .context("loading the TLS settings")
        };
        let kiosk_tls = tls(client_ca, Listener::Kiosk)?;
        let staff_tls = match &args.staff_client_ca {
            Some(ca) => Some(tls(ca, Listener::Staff)?),
            None => None,
        };
        tracing::info!(listen = %args.listen, staff_listen = ?args.staff_listen, "ca-service ready (mutual TLS)");
        let kiosk = ca_service::run_tls(
            kiosk_listener,
            kiosk_router,
            kiosk_tls,
            Listener::Kiosk,
            shutdown(),
        );
        let staff = async {
            match (staff_listener, staff_tls) {
                (Some(l), Some(t)) => {
                    ca_service::run_tls(l, staff_router, t, Listener::Staff, shutdown()).await
                }
                _ => Ok(()),
            }
        };
        futures_join(kiosk, staff).await
    } else {
        tracing::warn!(listen = %args.listen, staff_listen = ?args.staff_listen, "ca-service ready over PLAIN HTTP (development only)");
        let kiosk = ca_service::run(kiosk_listener, kiosk_router, shutdown());
        let staff = async {
            match staff_listener {
                Some(l) => ca_service::run(l, staff_router, shutdown()).await,
                None => Ok(()),
            }
        };
        futures_join(kiosk, staff).await
    };
    kiosk.context("serving the kiosks")?;
    staff.context("serving staff")?;
    Ok(())
}

/// Runs both listeners to their end.
async fn futures_join<A, B>(
    a: impl std::future::Future<Output = A>,
    b: impl std::future::Future<Output = B>,
) -> (A, B) {
    tokio::join!(a, b)
}
