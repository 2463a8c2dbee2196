//! `GET /v1/config`: what the kiosk needs from the CA's configuration: the
//! renewal price and window, the projects (证书用途) it accepts applications
//! for with their prices, and the current application agreement. Prices are
//! integer fen. The kiosk records the agreement version the customer
//! accepted, and decides whether a certificate may be renewed with the
//! CA's own window.

use serde::{Deserialize, Serialize};

/// The answer of `GET /v1/config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigV1 {
    pub renewal_price_fen: i64,
    pub projects: Vec<ProjectV1>,
    pub agreement: AgreementV1,
    /// How long a QR payment may be paid, in seconds.
    pub payment_expiry_secs: u64,
    /// When the CA renews a certificate (absent from a CA that does not
    /// say: the kiosk's configured window applies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewal_window: Option<RenewalWindowV1>,
}

/// The CA renews a certificate from `opens_before_expiry_days` before its
/// expiry until `closes_after_expiry_days` after it (both 0 to 3650).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewalWindowV1 {
    pub opens_before_expiry_days: u32,
    pub closes_after_expiry_days: u32,
}

/// The longest window end the protocol accepts, in days.
pub const MAX_WINDOW_DAYS: u32 = 3650;

impl RenewalWindowV1 {
    /// The wire form of `window` (whole days).
    #[must_use]
    pub fn of(window: &kiosk_domain::renewal_window::RenewalWindow) -> Self {
        let days = |d: time::Duration| u32::try_from(d.whole_days().max(0)).unwrap_or(u32::MAX);
        Self {
            opens_before_expiry_days: days(window.opens_before_expiry),
            closes_after_expiry_days: days(window.closes_after_expiry),
        }
    }

    /// The window, checked.
    ///
    /// # Errors
    /// An end beyond [`MAX_WINDOW_DAYS`].
    pub fn window(&self) -> Result<kiosk_domain::renewal_window::RenewalWindow, String> {
        if self.opens_before_expiry_days > MAX_WINDOW_DAYS
            || self.closes_after_expiry_days > MAX_WINDOW_DAYS
        {
            return Err(format!(
                "the renewal window's ends are 0 to {MAX_WINDOW_DAYS} days"
            ));
        }
        Ok(kiosk_domain::renewal_window::RenewalWindow {
            opens_before_expiry: time::Duration::days(i64::from(self.opens_before_expiry_days)),
            closes_after_expiry: time::Duration::days(i64::from(self.closes_after_expiry_days)),
        })
    }
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
    /// agreement with a version and a text; with the renewal's price and
    /// window when the CA publishes a window. `fetched` is when the kiosk
    /// had it from the CA.
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
        let renewal = match &self.renewal_window {
            None => None,
            Some(w) => {
                if self.renewal_price_fen < 0 {
                    return Err("the renewal price is negative".to_owned());
                }
                Some(kiosk_domain::renewal_window::RenewalTerms {
                    price: kiosk_domain::money::Fen(self.renewal_price_fen),
                    window: w.window()?,
                })
            }
        };
        Ok(Catalogue {
            agreement: Agreement::checked(&self.agreement.version, &self.agreement.text)
                .map_err(|e| e.to_string())?,
            projects,
            fetched: Some(fetched),
            renewal,
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
            renewal_window: Some(RenewalWindowV1 {
                opens_before_expiry_days: 30,
                closes_after_expiry_days: 365,
            }),
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

    #[test]
    fn the_cas_renewal_terms_come_with_its_window_or_not_at_all() {
        let at = datetime!(2026-12-05 09:00 UTC);
        let terms = config().catalogue(at).unwrap().renewal.unwrap();
        assert_eq!(terms.price.0, 30_000);
        assert_eq!(
            terms.window,
            kiosk_domain::renewal_window::RenewalWindow::default()
        );
        assert_eq!(
            RenewalWindowV1::of(&terms.window),
            config().renewal_window.unwrap()
        );
        // A CA that does not say: the kiosk's own window applies.
        let mut silent = config();
        silent.renewal_window = None;
        assert_eq!(silent.catalogue(at).unwrap().renewal, None);
        let old: ConfigV1 = serde_json::from_str(
            r#"{"renewal_price_fen":1,"projects":[],"agreement":{"version":"v","text":"t"},"payment_expiry_secs":60}"#,
        )
        .unwrap();
        assert_eq!(old.renewal_window, None);
        let mut wide = config();
        wide.renewal_window = Some(RenewalWindowV1 {
            opens_before_expiry_days: 30,
            closes_after_expiry_days: MAX_WINDOW_DAYS + 1,
        });
        assert!(wide.catalogue(at).is_err());
    }
}
