//! `GET /v1/config`: what the kiosk needs from the CA's configuration: the
//! renewal price, the projects (证书用途) it accepts applications for with
//! their prices, and the current application agreement. Prices are integer
//! fen. The kiosk records the agreement version the customer accepted.

use serde::{Deserialize, Serialize};

/// The answer of `GET /v1/config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigV1 {
    pub renewal_price_fen: i64,
    pub projects: Vec<ProjectV1>,
    pub agreement: AgreementV1,
    /// How long a QR payment may be paid, in seconds.
    pub payment_expiry_secs: u64,
}

/// A project the CA accepts applications for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectV1 {
    /// The code an order carries (`details.project_code`).
    pub code: String,
    /// e.g. 煤炭交易中心证书应用.
    pub name: String,
    /// The certificate itself.
    pub price_fen: i64,
    /// Each electronic seal.
    pub seal_price_fen: i64,
}

/// The application agreement (申请协议) the customer must read and accept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementV1 {
    /// Changes whenever the text changes, e.g. `2026-01`.
    pub version: String,
    /// Plain text, zh-CN, paragraphs separated by blank lines.
    pub text: String,
}

impl ConfigV1 {
    /// What the kiosk offers for applications, checked: every project's
    /// code a valid reference, a name, prices of at least 0 fen, an
    /// agreement with a version and a text. `fetched` is when the kiosk had
    /// it from the CA.
    ///
    /// # Errors
    /// What is wrong with the CA's answer (nothing of it is used then).
    pub fn catalogue(
        &self,
        fetched: time::OffsetDateTime,
    ) -> Result<kiosk_domain::order::application::Catalogue, String> {
        use kiosk_domain::order::application::{Agreement, Catalogue, Project};
        let projects = self
            .projects
            .iter()
            .map(|p| Project::checked(&p.code, &p.name, p.price_fen, p.seal_price_fen))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        Ok(Catalogue {
            agreement: Agreement::checked(&self.agreement.version, &self.agreement.text)
                .map_err(|e| e.to_string())?,
            projects,
            fetched: Some(fetched),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn config() -> ConfigV1 {
        ConfigV1 {
            renewal_price_fen: 30_000,
            projects: vec![ProjectV1 {
                code: "COAL".to_owned(),
                name: "煤炭交易中心证书应用".to_owned(),
                price_fen: 40_000,
                seal_price_fen: 10_000,
            }],
            agreement: AgreementV1 {
                version: "2026-02".to_owned(),
                text: "协议".to_owned(),
            },
            payment_expiry_secs: 900,
        }
    }

    #[test]
    fn the_cas_price_list_becomes_the_catalogue_or_is_refused_whole() {
        let at = datetime!(2026-12-05 09:00 UTC);
        let catalogue = config().catalogue(at).unwrap();
        assert_eq!(catalogue.fetched, Some(at));
        assert_eq!(catalogue.agreement.version, "2026-02");
        assert_eq!(catalogue.projects[0].seal_price.0, 10_000);
        let mut negative = config();
        negative.projects[0].price_fen = -1;
        assert!(negative.catalogue(at).is_err());
        let mut no_text = config();
        no_text.agreement.text = " ".to_owned();
        assert!(no_text.catalogue(at).is_err());
    }
}
