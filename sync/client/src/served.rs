//! Tests: the reference CA service in this process, its kiosk and staff
//! listeners over plain HTTP on loopback.
#![allow(clippy::unwrap_used, reason = "test code")]

/// A running service and where its listeners are.
pub(crate) struct Served {
    pub service: ca_service::Service,
    /// The kiosk listener.
    pub url: String,
    /// The staff listener.
    pub staff_url: String,
    pub _dir: tempfile::TempDir,
}

pub(crate) async fn serve(options: ca_service::Options) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let service = ca_service::Service::open(dir.path(), options).unwrap();
    let mut urls = Vec::new();
    for kind in [ca_service::Listener::Kiosk, ca_service::Listener::Staff] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        urls.push(format!("http://{}", listener.local_addr().unwrap()));
        let router = service.router(kind);
        tokio::spawn(
            async move { ca_service::run(listener, router, std::future::pending()).await },
        );
    }
    let staff_url = urls.pop().unwrap();
    let url = urls.pop().unwrap();
    Served {
        service,
        url,
        staff_url,
        _dir: dir,
    }
}
