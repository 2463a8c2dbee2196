//! The binary refuses to serve plain HTTP anywhere but on this machine.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

#[test]
fn plain_http_is_refused_on_an_address_that_is_not_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ca-service"))
        .args(["--listen", "0.0.0.0:0", "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("plain HTTP is only for a loopback address"),
        "{said}"
    );
    // Nothing was created for it either.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// The data directory is the service's alone and its files its own,
/// whatever the umask (this process's is the usual 022).
#[test]
fn the_data_directory_and_its_files_are_the_owners_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let service = ca_service::Service::open(&data, ca_service::Options::default()).unwrap();
    drop(service);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("ca")), 0o700);
    assert_eq!(mode(&data.join("ca.sqlite")), 0o600);
    assert_eq!(mode(&data.join("ca/key.p256")), 0o600);
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
    // An existing directory of another mode is made private on start.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        data.join("ca.sqlite"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    drop(ca_service::Service::open(&data, ca_service::Options::default()).unwrap());
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("ca.sqlite")), 0o600);
}

/// Runs the binary with `args`: it must refuse to start; what it said.
fn refused(args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ca-service"))
        .args(args)
        .output()
        .unwrap();
    assert!(!out.status.success());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The back office is no more exposed than the kiosks' side: plain HTTP on
/// loopback only, and over TLS only with the staff CA to check its clients
/// (another CA than the kiosks': else every kiosk would open it).
#[test]
fn the_staff_listener_needs_loopback_or_its_own_client_ca() {
    let dir = tempfile::tempdir().unwrap();
    let os = |s: &'static str| std::ffi::OsStr::new(s);
    let said = refused(&[
        os("--listen"),
        os("127.0.0.1:0"),
        os("--staff-listen"),
        os("0.0.0.0:0"),
        os("--data"),
        dir.path().as_os_str(),
    ]);
    assert!(
        said.contains("--staff-listen 0.0.0.0:0: plain HTTP is only for a loopback address"),
        "{said}"
    );
    let pem = dir.path().join("x.pem");
    std::fs::write(&pem, "").unwrap();
    let data = dir.path().join("data");
    let tls = [
        os("--listen"),
        os("127.0.0.1:0"),
        os("--staff-listen"),
        os("127.0.0.1:0"),
        os("--data"),
        data.as_os_str(),
        os("--tls-cert"),
        pem.as_os_str(),
        os("--tls-key"),
        pem.as_os_str(),
        os("--client-ca"),
        pem.as_os_str(),
    ];
    let said = refused(&tls);
    assert!(said.contains("needs --staff-client-ca"), "{said}");
    let said = refused(&[&tls[..], &[os("--staff-client-ca"), pem.as_os_str()]].concat());
    assert!(said.contains("must be another CA"), "{said}");
    assert!(!data.exists(), "nothing made for them");
}
