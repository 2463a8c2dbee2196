//! What the CA sells and on which terms: the renewal price and window, the
//! projects (证书用途) with their prices, and the application agreement. The
//! reference service's defaults match the kiosk's fixtures; a deployment
//! sets its own through [`Options`](crate::Options).

/// A project the CA offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectOffer {
    pub code: String,
    pub name: String,
    pub price_fen: i64,
    pub seal_price_fen: i64,
}

/// The price list and the agreement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    pub renewal_price_fen: i64,
    /// When a certificate may be renewed: published to the kiosks, which
    /// decide with it before anyone pays, and held to at issuance.
    pub renewal_window: kiosk_domain::renewal_window::RenewalWindow,
    /// Listed by `GET /v1/config` when their code is in `Options::projects`.
    pub projects: Vec<ProjectOffer>,
    pub agreement_version: String,
    pub agreement_text: String,
}

impl Default for Catalogue {
    fn default() -> Self {
        Self {
            renewal_price_fen: 30_000,
            renewal_window: kiosk_domain::renewal_window::RenewalWindow::default(),
            projects: vec![ProjectOffer {
                code: "COAL".to_owned(),
                name: "煤炭交易中心证书应用".to_owned(),
                price_fen: 40_000,
                seal_price_fen: 10_000,
            }],
            agreement_version: "2026-01".to_owned(),
            agreement_text: AGREEMENT_TEXT.to_owned(),
        }
    }
}

/// The reference service's sample agreement (not legal text).
const AGREEMENT_TEXT: &str = "数字证书及电子印章申请协议（示例）\n\n\
一、申请单位应保证所提交的单位信息、经办人信息及证明材料真实、准确、完整。\n\n\
二、数字证书及电子印章仅限申请单位在约定用途内使用，申请单位应妥善保管USB Key及其PIN码。\n\n\
三、证书私钥在USB Key内生成且不可导出；因保管不善造成的损失由申请单位承担。\n\n\
四、如单位信息变更、USB Key遗失或私钥可能泄露，申请单位应及时申请变更或吊销证书。\n\n\
五、本协议自申请单位确认之日起生效。";
