//! Shared helpers of the integration tests.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::path::Path;
use std::process::{Command, Output};

use kiosk_x509::test_ca::{CustomerSubject, SoftSigner, TestCa};

/// A real, valid USCC.
pub const USCC: &str = "91110108551385082Q";
pub const UNIT: &str = "北京测试科技有限公司";

pub fn rsa_old() -> SoftSigner {
    SoftSigner::rsa_from_pkcs8_der(include_bytes!("../fixtures/rsa-2048-old.pk8.der")).unwrap()
}

pub fn rsa_new() -> SoftSigner {
    SoftSigner::rsa_from_pkcs8_der(include_bytes!("../fixtures/rsa-2048-new.pk8.der")).unwrap()
}

pub fn customer() -> CustomerSubject {
    CustomerSubject {
        unit_name: UNIT.to_owned(),
        uscc: USCC.to_owned(),
    }
}

pub fn root(name: &str) -> TestCa {
    TestCa::new(name).unwrap()
}

/// Runs openssl with `args` in `dir`; `None` (after saying so) when openssl
/// is not installed, so the caller can skip.
pub fn openssl(dir: &Path, args: &[&str]) -> Option<Output> {
    match Command::new("openssl").args(args).current_dir(dir).output() {
        Ok(out) => Some(out),
        Err(e) => {
            eprintln!("SKIPPED: openssl is not available ({e})");
            None
        }
    }
}

pub fn describe(out: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
