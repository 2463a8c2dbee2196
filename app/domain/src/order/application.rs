//! What a new certificate and e-seal application holds (spec §3.2, seed 000).

use super::identity::IdentityCheck;
use super::renewal::InvoiceInfo;
use super::text::{Address, PersonName, Reference, UnitName};
use crate::ids::{MobileNumber, ResidentId, Uscc};
use crate::money::Fen;
use serde::{Deserialize, Serialize};

/// 证书用途: a project from the CA's configuration, with its price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub code: Reference,
    /// e.g. 煤炭交易中心证书应用
    pub name: String,
    /// Price of the certificate itself.
    pub price: Fen,
    /// Price of each e-seal.
    pub seal_price: Fen,
}

/// 单位信息.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitInfo {
    pub name: UnitName,
    pub uscc: Uscc,
    pub address: Address,
}

/// The most seal holders (e-seals) one application may have.
pub const MAX_SEAL_HOLDERS: usize = 8;

/// The most attachments one order may carry: the 申请表, the business
/// licence, the handler's ID and face, and one ID per seal holder.
pub const MAX_ATTACHMENTS: usize = 4 + MAX_SEAL_HOLDERS;

/// 经办人: the person at the kiosk acting for the unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handler {
    pub name: PersonName,
    pub resident_id: ResidentId,
    pub mobile: MobileNumber,
}

/// The two e-seal roles of the trading centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SealRole {
    /// 交易商交易员: contracts, plans, bidding.
    Trader,
    /// 交易商结算员: deposits, withdrawals, settlement.
    Settler,
}

/// One seal holder. Both numbers are optional ("若不知晓可不填").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealHolder {
    pub role: SealRole,
    pub name: PersonName,
    pub enterprise_number: Option<Reference>,
    pub user_number: Option<Reference>,
}

/// 领取方式.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pickup {
    /// 邮寄领取.
    Mail {
        courier: Option<Reference>,
        recipient: PersonName,
        phone: MobileNumber,
        address: Address,
    },
    /// 现场领取: written onto a blank key at this hall once issued.
    OnSite,
}

/// The application-specific part of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationDetails {
    /// The agreement text version the customer read and accepted.
    pub agreement_version: String,
    pub project: Project,
    pub unit: UnitInfo,
    pub handler: Handler,
    pub seal_holders: Vec<SealHolder>,
    pub invoice: InvoiceInfo,
    pub pickup: Pickup,
    pub identity: IdentityCheck,
}

impl ApplicationDetails {
    /// The amount due: the certificate plus one price per seal.
    #[must_use]
    pub fn amount_due(&self) -> Option<Fen> {
        let seals = u32::try_from(self.seal_holders.len()).ok()?;
        self.project
            .price
            .checked_add(self.project.seal_price.checked_mul(seals)?)
    }
}

/// Why a catalogue (from the configuration or the CA) is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    #[error("the agreement needs a version and a text")]
    Agreement,
    #[error("project {code:?} needs a valid code, a name and prices of at least 0 fen")]
    Project { code: String },
}

impl Project {
    /// A project as offered, checked: a valid code, a name, prices ≥ 0.
    ///
    /// # Errors
    /// Which project is wrong.
    pub fn checked(
        code: &str,
        name: &str,
        price_fen: i64,
        seal_price_fen: i64,
    ) -> Result<Self, CatalogueError> {
        let wrong = || CatalogueError::Project {
            code: code.to_owned(),
        };
        if name.trim().is_empty() || price_fen < 0 || seal_price_fen < 0 {
            return Err(wrong());
        }
        Ok(Self {
            code: code.parse().map_err(|_| wrong())?,
            name: name.to_owned(),
            price: Fen(price_fen),
            seal_price: Fen(seal_price_fen),
        })
    }
}

impl Agreement {
    /// An agreement with a version and a text.
    ///
    /// # Errors
    /// Either is empty.
    pub fn checked(version: &str, text: &str) -> Result<Self, CatalogueError> {
        if version.trim().is_empty() || text.trim().is_empty() {
            return Err(CatalogueError::Agreement);
        }
        Ok(Self {
            version: version.to_owned(),
            text: text.to_owned(),
        })
    }
}

/// The application agreement (申请协议) as the CA publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    /// Changes whenever the text changes; the order records the one accepted.
    pub version: String,
    /// Plain text, paragraphs separated by blank lines.
    pub text: String,
}

/// What the CA offers to apply for: the agreement and the projects with
/// their prices, and when the kiosk last had them from the CA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalogue {
    pub agreement: Agreement,
    pub projects: Vec<Project>,
    /// When the CA sent it (`None`: the kiosk's configured list, not yet
    /// confirmed by the CA).
    pub fetched: Option<time::OffsetDateTime>,
    /// The CA's renewal price and window (`None`: a CA that does not
    /// publish them, or a catalogue kept before it did; the kiosk's
    /// configured ones apply).
    #[serde(default)]
    pub renewal: Option<crate::renewal_window::RenewalTerms>,
}
