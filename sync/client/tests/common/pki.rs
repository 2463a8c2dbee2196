//! Certificates for the mutual-TLS tests, made here with rcgen: a CA for
//! the CA service's server certificate, a CA for the kiosks' device
//! certificates, a staff CA, leaves signed by any, and revocation lists.

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    RevokedCertParams, SanType, SerialNumber,
};
use std::net::{IpAddr, Ipv4Addr};
use time::{Duration, OffsetDateTime};

/// A certificate authority: its PEM certificate and what signs with it.
pub struct Authority {
    pub cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// A leaf certificate and its private key, PEM.
pub struct Leaf {
    pub cert_pem: String,
    pub key_pem: String,
}

impl Leaf {
    /// Certificate then key: what `TlsSettings::identity_pem` takes.
    pub fn identity_pem(&self) -> Vec<u8> {
        format!("{}{}", self.cert_pem, self.key_pem).into_bytes()
    }
}

fn valid(params: &mut CertificateParams, from: Duration, to: Duration) {
    let now = OffsetDateTime::now_utc();
    params.not_before = now + from;
    params.not_after = now + to;
}

impl Authority {
    pub fn new(name: &str) -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        valid(&mut params, -Duration::days(1), Duration::days(365));
        let cert_pem = params.self_signed(&key).unwrap().pem();
        Self {
            cert_pem,
            issuer: Issuer::new(params, key),
        }
    }

    fn leaf(
        &self,
        name: &str,
        sans: Vec<SanType>,
        usage: ExtendedKeyUsagePurpose,
        from: Duration,
        to: Duration,
    ) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.subject_alt_names = sans;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![usage];
        valid(&mut params, from, to);
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// Its certificate, DER.
    pub fn cert_der(&self) -> Vec<u8> {
        kiosk_x509::certificates_from_pem(self.cert_pem.as_bytes())
            .pop()
            .unwrap()
    }

    /// A revocation list of this CA (DER), numbered `number`, revoking the
    /// certificate with that serial.
    pub fn crl(&self, number: u64) -> Vec<u8> {
        let now = OffsetDateTime::now_utc();
        let serial = SerialNumber::from_slice(&number.to_be_bytes());
        CertificateRevocationListParams {
            this_update: now,
            next_update: now + Duration::days(1),
            crl_number: serial.clone(),
            issuing_distribution_point: None,
            revoked_certs: vec![RevokedCertParams {
                serial_number: serial,
                revocation_time: now,
                reason_code: None,
                invalidity_date: None,
            }],
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(&self.issuer)
        .unwrap()
        .der()
        .to_vec()
    }

    /// The CA service's certificate, for 127.0.0.1 and `localhost`.
    pub fn server(&self) -> Leaf {
        self.leaf(
            "ca-service",
            vec![
                SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
                SanType::DnsName("localhost".try_into().unwrap()),
            ],
            ExtendedKeyUsagePurpose::ServerAuth,
            -Duration::days(1),
            Duration::days(30),
        )
    }

    /// A kiosk's device certificate, valid now.
    pub fn device(&self, name: &str) -> Leaf {
        self.leaf(
            name,
            Vec::new(),
            ExtendedKeyUsagePurpose::ClientAuth,
            -Duration::days(1),
            Duration::days(30),
        )
    }

    /// A kiosk's device certificate that expired yesterday.
    pub fn expired_device(&self, name: &str) -> Leaf {
        self.leaf(
            name,
            Vec::new(),
            ExtendedKeyUsagePurpose::ClientAuth,
            -Duration::days(60),
            -Duration::days(1),
        )
    }
}

/// The certificates of one test: the server's, the kiosks', staff's.
pub struct Pki {
    pub server_ca: Authority,
    pub server: Leaf,
    pub device_ca: Authority,
    pub staff_ca: Authority,
}

impl Pki {
    pub fn new() -> Self {
        let server_ca = Authority::new("CA service root");
        let server = server_ca.server();
        Self {
            server_ca,
            server,
            device_ca: Authority::new("Kiosk device CA"),
            staff_ca: Authority::new("CA staff CA"),
        }
    }
}
