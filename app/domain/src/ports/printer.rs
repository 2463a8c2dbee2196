//! The receipt printer, as the flows need it: a [`Receipt`] document built
//! from an order ([`receipt_for`]), and a [`ReceiptPrinter`] that prints it
//! and reports its state.
//!
//! No IO and no printer commands here: a receipt is a list of [`Block`]s in
//! the domain's vocabulary (a title, a key and its value, a QR code to follow
//! the order, the cut); the driver turns it into ESC/POS. Everything personal
//! on a receipt is masked (李*, 110***********002X, 138****8000): a receipt
//! is left on the counter or in the bin as often as it is taken home.

use super::{DeviceError, DeviceErrorKind};
use crate::lang::Lang;
use crate::order::application::{
    ApplicationDetails, Handler, Pickup, Project, SealHolder, SealRole, UnitInfo,
};
use crate::order::renewal::{CertificateSummary, InstallStep, RenewalDetails};
use crate::order::{Order, OrderDetails};
use crate::order_number::OrderNumber;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How large a line of text is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TextSize {
    #[default]
    Normal,
    /// Twice as tall, same width.
    DoubleHeight,
    /// Twice as tall and twice as wide: the order number.
    Double,
}

/// Where a line sits across the paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

/// How a line of text looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TextStyle {
    pub bold: bool,
    pub size: TextSize,
    pub align: Align,
}

impl TextStyle {
    /// Plain text, left-aligned.
    pub const PLAIN: Self = Self {
        bold: false,
        size: TextSize::Normal,
        align: Align::Left,
    };
    /// Plain text, centred.
    pub const CENTERED: Self = Self {
        bold: false,
        size: TextSize::Normal,
        align: Align::Center,
    };
    /// Large, bold and centred: for what the customer must find at a glance.
    pub const LARGE: Self = Self {
        bold: true,
        size: TextSize::Double,
        align: Align::Center,
    };
}

/// One part of a receipt, top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// The heading: bold, double height, centred.
    Title(String),
    /// A line (wrapped by the printer's width if it is long).
    Text { text: String, style: TextStyle },
    /// A rule across the paper.
    Separator,
    /// `key` on the left, `value` on the right (or below, when both do not fit).
    KeyValue { key: String, value: String },
    /// A QR code, centred, holding `payload` (a URL) as UTF-8.
    Qr(String),
    /// An empty line.
    Blank,
    /// Feed the paper past the cutter and cut.
    Cut,
}

/// A receipt ready to print, in the domain's vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Receipt {
    pub blocks: Vec<Block>,
    /// The order the receipt is for (`None`: a test page).
    pub order: Option<crate::order_number::OrderNumber>,
}

impl Receipt {
    /// Every piece of text on the receipt, one entry per line-like block
    /// (`key value` for a key-value), for tests and the on-screen fallback.
    #[must_use]
    pub fn text_lines(&self) -> Vec<String> {
        self.blocks
            .iter()
            .filter_map(|block| match block {
                Block::Title(text) | Block::Text { text, .. } => Some(text.clone()),
                Block::KeyValue { key, value } => Some(format!("{key} {value}")),
                Block::Separator | Block::Qr(_) | Block::Blank | Block::Cut => None,
            })
            .collect()
    }

    /// The QR payloads, top to bottom. When the printer cannot print, the
    /// kiosk shows the first one on screen instead.
    #[must_use]
    pub fn qr_payloads(&self) -> Vec<&str> {
        self.blocks
            .iter()
            .filter_map(|block| match block {
                Block::Qr(payload) => Some(payload.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// What a receipt needs besides the order: who printed it, when, and where
/// the customer follows the order and calls for help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptContext {
    /// The kiosk's ID as configured (e.g. `TYA-01`).
    pub kiosk_id: String,
    /// When the receipt is printed; shown in its own offset (the hall's time).
    pub printed_at: OffsetDateTime,
    /// The CA's service hotline, e.g. `0351-0000000`.
    pub hotline: String,
    /// The order number is appended to this to make the QR code's URL, e.g.
    /// `https://ca.example.cn/track?order=`.
    pub follow_url_base: String,
    pub lang: Lang,
}

/// The URL the receipt's QR code holds for `order`.
#[must_use]
pub fn follow_url(ctx: &ReceiptContext, order: &Order) -> String {
    follow_url_of(ctx, &order.number)
}

fn follow_url_of(ctx: &ReceiptContext, number: &OrderNumber) -> String {
    format!("{}{number}", ctx.follow_url_base)
}

/// `receipt` printed again by staff (补打凭条): marked as such under its
/// title, so that it is never taken for the first.
#[must_use]
pub fn marked_as_reprint(mut receipt: Receipt, lang: Lang) -> Receipt {
    let mark = Block::Text {
        text: match lang {
            Lang::ZhCn => "（补打）".to_owned(),
            Lang::En => "(reprint)".to_owned(),
        },
        style: TextStyle::CENTERED,
    };
    let at = receipt
        .blocks
        .iter()
        .position(|b| matches!(b, Block::Title(_)))
        .map_or(0, |i| i + 1);
    receipt.blocks.insert(at, mark);
    receipt
}

/// The receipt for `order`, in `ctx.lang`, with every personal detail masked.
#[must_use]
pub fn receipt_for(order: &Order, ctx: &ReceiptContext) -> Receipt {
    let lang = ctx.lang;
    let t = |zh: &str, en: &str| -> String {
        match lang {
            Lang::ZhCn => zh.to_owned(),
            Lang::En => en.to_owned(),
        }
    };
    let mut blocks = Vec::new();
    let kv = |blocks: &mut Vec<Block>, key: String, value: String| {
        blocks.push(Block::KeyValue { key, value });
    };

    let title = match &order.details {
        OrderDetails::Renewal(_) => t("数字证书更新回执", "Certificate renewal receipt"),
        OrderDetails::Application(_) => t("数字证书申请回执", "Certificate application receipt"),
    };
    blocks.push(Block::Title(title));
    blocks.push(Block::Separator);
    blocks.push(Block::Text {
        text: t("订单号", "Order number"),
        style: TextStyle::CENTERED,
    });
    blocks.push(Block::Text {
        text: order.number.to_string(),
        style: TextStyle::LARGE,
    });
    blocks.push(Block::Separator);
    kv(
        &mut blocks,
        t("订单状态", "Status"),
        order.status_label(lang).to_owned(),
    );
    if let Some(reason) = order.rejection_reason() {
        kv(
            &mut blocks,
            t("审核意见", "Reviewer's note"),
            reason.to_owned(),
        );
    }
    kv(&mut blocks, t("金额", "Amount"), order.amount.to_string());
    kv(
        &mut blocks,
        t("下单时间", "Ordered at"),
        format_time(order.created_at),
    );
    match &order.details {
        OrderDetails::Renewal(renewal) => renewal_blocks(&mut blocks, renewal, lang),
        OrderDetails::Application(app) => application_blocks(&mut blocks, app, lang),
    }
    follow_and_footer(&mut blocks, ctx, &order.number);
    Receipt {
        blocks,
        order: Some(order.number),
    }
}

/// What a 现场领取 receipt says: the application written onto the blank
/// key, and the certificate now on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickupSlip {
    pub number: OrderNumber,
    /// The unit: public, printed in full (as on the certificate).
    pub unit_name: String,
    /// The e-seals written with the certificate.
    pub seals: u32,
    /// The certificate written, as read from it.
    pub certificate: CertificateSummary,
}

/// The receipt of an application picked up at the hall: the certificate
/// the customer now holds (its serial and expiry, read from the
/// certificate written), the e-seals, and where to follow the order.
#[must_use]
pub fn pickup_receipt(slip: &PickupSlip, ctx: &ReceiptContext) -> Receipt {
    let t = |zh: &str, en: &str| -> String {
        match ctx.lang {
            Lang::ZhCn => zh.to_owned(),
            Lang::En => en.to_owned(),
        }
    };
    let mut blocks = vec![
        Block::Title(t("数字证书领取回执", "Certificate pickup receipt")),
        Block::Separator,
        Block::Text {
            text: t("订单号", "Order number"),
            style: TextStyle::CENTERED,
        },
        Block::Text {
            text: slip.number.to_string(),
            style: TextStyle::LARGE,
        },
        Block::Separator,
    ];
    let mut kv = |key: String, value: String| blocks.push(Block::KeyValue { key, value });
    kv(
        t("订单状态", "Status"),
        t(
            "已完成：证书已写入USB Key",
            "Done: written onto the USB key",
        ),
    );
    kv(t("持有单位", "Holder"), slip.unit_name.clone());
    kv(
        t("证书序列号", "Certificate serial"),
        slip.certificate.serial_hex.clone(),
    );
    kv(
        t("证书有效期至", "Valid until"),
        format_date(slip.certificate.not_after),
    );
    kv(
        t("电子印章", "E-seals"),
        match ctx.lang {
            Lang::ZhCn => format!("{}枚", slip.seals),
            Lang::En => slip.seals.to_string(),
        },
    );
    follow_and_footer(&mut blocks, ctx, &slip.number);
    Receipt {
        blocks,
        order: Some(slip.number),
    }
}

/// The QR code that follows the order, and who printed the slip, when, and
/// the hotline: the end of every receipt.
fn follow_and_footer(blocks: &mut Vec<Block>, ctx: &ReceiptContext, number: &OrderNumber) {
    let t = |zh: &str, en: &str| -> String {
        match ctx.lang {
            Lang::ZhCn => zh.to_owned(),
            Lang::En => en.to_owned(),
        }
    };
    blocks.push(Block::Separator);
    blocks.push(Block::Qr(follow_url_of(ctx, number)));
    blocks.push(Block::Text {
        text: t("请扫码查询订单进度", "Scan to follow your order"),
        style: TextStyle::CENTERED,
    });
    blocks.push(Block::Separator);
    for (key, value) in [
        (t("终端编号", "Kiosk"), ctx.kiosk_id.clone()),
        (t("打印时间", "Printed at"), format_time(ctx.printed_at)),
        (t("服务热线", "Hotline"), ctx.hotline.clone()),
    ] {
        blocks.push(Block::KeyValue { key, value });
    }
    blocks.push(Block::Text {
        text: t(
            "请妥善保管此回执，凭订单号查询办理进度",
            "Keep this receipt: the order number lets you follow your order.",
        ),
        style: TextStyle::PLAIN,
    });
    blocks.push(Block::Cut);
}

/// What the pre-filled 申请表 holds: the application as far as it is
/// filled in, for the unit to stamp and the customer to photograph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationForm {
    pub project: Project,
    pub unit: UnitInfo,
    pub handler: Handler,
    pub seal_holders: Vec<SealHolder>,
}

/// The 申请表 as printed: the unit in full (it is public, and what the seal
/// vouches for), people masked as on every slip, room for the seal.
#[must_use]
pub fn application_form(form: &ApplicationForm, ctx: &ReceiptContext) -> Receipt {
    let zh = ctx.lang == Lang::ZhCn;
    let t = |z: &str, e: &str| if zh { z.to_owned() } else { e.to_owned() };
    let mut blocks = vec![
        Block::Title(t(
            "数字证书及电子印章申请表",
            "Certificate and e-seal application form",
        )),
        Block::Separator,
    ];
    let mut kv = |key: String, value: String| blocks.push(Block::KeyValue { key, value });
    kv(t("申请单位", "Unit"), form.unit.name.to_string());
    kv(
        t("统一社会信用代码", "USCC"),
        form.unit.uscc.as_str().to_owned(),
    );
    kv(t("单位地址", "Address"), form.unit.address.to_string());
    kv(t("证书用途", "Project"), form.project.name.clone());
    kv(t("经办人", "Handler"), form.handler.name.masked());
    kv(
        t("身份证号", "ID number"),
        form.handler.resident_id.masked(),
    );
    for holder in &form.seal_holders {
        let role = match holder.role {
            SealRole::Trader => t("交易员", "Trader"),
            SealRole::Settler => t("结算员", "Settler"),
        };
        kv(role, holder.name.masked());
    }
    blocks.push(Block::Separator);
    for line in [
        t(
            "本单位确认以上信息真实、准确。",
            "The unit confirms the above is true and accurate.",
        ),
        String::new(),
        t("单位（盖章）：", "Unit's seal:"),
    ] {
        blocks.push(Block::Text {
            text: line,
            style: TextStyle::PLAIN,
        });
    }
    blocks.extend([Block::Blank, Block::Blank, Block::Blank, Block::Blank]);
    blocks.push(Block::Text {
        text: t("日期：　　　年　　月　　日", "Date:"),
        style: TextStyle::PLAIN,
    });
    blocks.push(Block::Separator);
    blocks.push(Block::Text {
        text: t(
            "请加盖单位公章后，在自助终端“上传附件”中拍摄本表。",
            "Stamp this form with the unit's seal, then photograph it on the kiosk.",
        ),
        style: TextStyle::PLAIN,
    });
    blocks.push(Block::KeyValue {
        key: t("终端编号", "Kiosk"),
        value: ctx.kiosk_id.clone(),
    });
    blocks.push(Block::KeyValue {
        key: t("打印时间", "Printed at"),
        value: format_time(ctx.printed_at),
    });
    blocks.push(Block::Cut);
    Receipt {
        blocks,
        order: None,
    }
}

fn renewal_blocks(blocks: &mut Vec<Block>, renewal: &RenewalDetails, lang: Lang) {
    let zh = lang == Lang::ZhCn;
    let pick = |z: &'static str, e: &'static str| if zh { z } else { e };
    let mut kv = |key: &str, value: String| {
        blocks.push(Block::KeyValue {
            key: key.to_owned(),
            value,
        });
    };
    // The certificate the customer holds now: the new one once it is on
    // the key, the old one until then (its expiry is what they came for).
    let (held, serial_key, until_key) = match &renewal.new_certificate {
        Some(new) => (
            new,
            pick("新证书序列号", "New certificate serial"),
            pick("新证书有效期至", "New certificate valid until"),
        ),
        None => (
            &renewal.old_certificate,
            pick("证书序列号", "Certificate serial"),
            pick("证书有效期至", "Valid until"),
        ),
    };
    // The holder is a unit (an enterprise), not a person: printed in full.
    kv(pick("持有单位", "Holder"), held.holder.clone());
    kv(serial_key, held.serial_hex.clone());
    kv(until_key, format_date(held.not_after));
    kv(pick("联系人", "Contact"), renewal.contact.name.masked());
    kv(pick("联系电话", "Mobile"), renewal.contact.mobile.masked());
    kv(
        pick("安装状态", "Install"),
        install_label(renewal.install.step, lang).to_owned(),
    );
}

fn application_blocks(blocks: &mut Vec<Block>, app: &ApplicationDetails, lang: Lang) {
    let zh = lang == Lang::ZhCn;
    let pick = |z: &'static str, e: &'static str| if zh { z } else { e };
    let mut kv = |key: &str, value: String| {
        blocks.push(Block::KeyValue {
            key: key.to_owned(),
            value,
        });
    };
    kv(pick("申请单位", "Unit"), app.unit.name.to_string());
    kv(pick("证书用途", "Project"), app.project.name.clone());
    let seals = app.seal_holders.len();
    kv(
        pick("电子印章", "E-seals"),
        if zh {
            format!("{seals}枚")
        } else {
            seals.to_string()
        },
    );
    let pickup = match &app.pickup {
        Pickup::Mail { .. } => pick("邮寄领取", "By mail"),
        Pickup::OnSite => pick("现场领取", "At this hall"),
    };
    kv(pick("领取方式", "Pickup"), pickup.to_owned());
    kv(pick("经办人", "Handler"), app.handler.name.masked());
    kv(
        pick("身份证号", "ID number"),
        app.handler.resident_id.masked(),
    );
    kv(pick("手机号码", "Mobile"), app.handler.mobile.masked());
}

/// 安装状态 of a renewal, in the customer's words.
#[must_use]
pub fn install_label(step: InstallStep, lang: Lang) -> &'static str {
    match (step, lang) {
        (InstallStep::NotStarted, Lang::ZhCn) => "待安装",
        (InstallStep::KeyPairGenerated, Lang::ZhCn) => "安装中（密钥已生成）",
        (InstallStep::RequestSent, Lang::ZhCn) => "安装中（已提交申请）",
        (InstallStep::CertificateVerified, Lang::ZhCn) => "安装中（证书已校验）",
        (InstallStep::CertificateWritten, Lang::ZhCn) => "安装中（证书已写入）",
        (InstallStep::OldCertificateRetired, Lang::ZhCn) => "已安装",
        (InstallStep::NotStarted, Lang::En) => "Not installed yet",
        (InstallStep::KeyPairGenerated, Lang::En) => "Installing (key pair made)",
        (InstallStep::RequestSent, Lang::En) => "Installing (request sent)",
        (InstallStep::CertificateVerified, Lang::En) => "Installing (certificate checked)",
        (InstallStep::CertificateWritten, Lang::En) => "Installing (certificate written)",
        (InstallStep::OldCertificateRetired, Lang::En) => "Installed",
    }
}

/// `2026-11-23 18:00`, in the time's own offset.
fn format_time(at: OffsetDateTime) -> String {
    format!("{} {:02}:{:02}", format_date(at), at.hour(), at.minute())
}

fn format_date(at: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        at.year(),
        u8::from(at.month()),
        at.day()
    )
}

/// How much paper is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaperState {
    Ok,
    /// The near-end sensor sees the end of the roll: print, and tell staff.
    NearEnd,
    /// No paper: nothing can be printed.
    Out,
    /// The transport cannot ask (one-way link, e.g. a file).
    Unknown,
}

/// What the printer reports about itself. `None` and [`PaperState::Unknown`]
/// mean the transport is one-way and the printer cannot be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PrinterStatus {
    pub online: Option<bool>,
    pub paper: PaperState,
    pub cover_open: Option<bool>,
}

impl PrinterStatus {
    /// The status of a printer that cannot be asked.
    pub const UNKNOWN: Self = Self {
        online: None,
        paper: PaperState::Unknown,
        cover_open: None,
    };

    /// Whether the printer reported anything at all.
    #[must_use]
    pub fn is_known(&self) -> bool {
        *self != Self::UNKNOWN
    }

    /// Why a receipt cannot be printed now, if the printer said so: paper out
    /// first (the customer gets the QR on screen), then the cover, then any
    /// other reason for being offline. An unknown status blocks nothing.
    #[must_use]
    pub fn blocking_problem(&self) -> Option<DeviceErrorKind> {
        if self.paper == PaperState::Out {
            Some(DeviceErrorKind::PaperOut)
        } else if self.cover_open == Some(true) {
            Some(DeviceErrorKind::CoverOpen)
        } else if self.online == Some(false) {
            Some(DeviceErrorKind::Other)
        } else {
            None
        }
    }
}

/// What became of a receipt, as far as the printer said: the screens say
/// "凭条已打印" only for [`PrintOutcome::Printed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PrintOutcome {
    /// The printer took the whole receipt, cut included.
    Printed,
    /// This kiosk has no printer.
    NoPrinter,
    PaperOut,
    CoverOpen,
    /// Anything else (offline, unplugged, a write that failed).
    Failed,
}

impl PrintOutcome {
    /// The outcome of a print that failed with `kind`.
    #[must_use]
    pub fn failed(kind: DeviceErrorKind) -> Self {
        match kind {
            DeviceErrorKind::PaperOut => Self::PaperOut,
            DeviceErrorKind::CoverOpen => Self::CoverOpen,
            _ => Self::Failed,
        }
    }

    #[must_use]
    pub fn printed(self) -> bool {
        self == Self::Printed
    }
}

/// A receipt printer.
///
/// `print` checks the status first where the transport can report it, and
/// fails with [`DeviceErrorKind::PaperOut`] (or `CoverOpen`) **before**
/// anything is printed, so the kiosk can show the receipt's QR on screen.
pub trait ReceiptPrinter {
    type Error: DeviceError;

    /// The printer's state; [`PrinterStatus::UNKNOWN`] on a one-way transport.
    fn status(&mut self) -> Result<PrinterStatus, Self::Error>;

    /// Prints `receipt`, cut included.
    fn print(&mut self, receipt: &Receipt) -> Result<(), Self::Error>;

    /// Whether this kiosk has a printer at all (`false`: receipts are shown
    /// on screen only, and no screen says one was printed).
    fn installed(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use crate::order::status::OrderStatus;
    use time::macros::datetime;

    fn ctx(lang: Lang) -> ReceiptContext {
        ReceiptContext {
            kiosk_id: "TYA-01".to_owned(),
            printed_at: datetime!(2026-11-23 18:05 +08:00),
            hotline: "0351-0000000".to_owned(),
            follow_url_base: "https://ca.example.cn/track?order=".to_owned(),
            lang,
        }
    }

    fn all_text(receipt: &Receipt) -> String {
        let mut text = receipt.text_lines().join("\n");
        for qr in receipt.qr_payloads() {
            text.push('\n');
            text.push_str(qr);
        }
        text
    }

    fn orders() -> Vec<Order> {
        let mut paid_renewal = fixtures::renewal_order(2);
        paid_renewal
            .apply_ca_status(OrderStatus::InProgress, None)
            .unwrap();
        let mut rejected = fixtures::application_order(3);
        rejected
            .apply_ca_status(OrderStatus::Rejected, Some("营业执照不清晰".to_owned()))
            .unwrap();
        let mut on_site = fixtures::application_details();
        on_site.pickup = Pickup::OnSite;
        let on_site = Order::new(
            fixtures::order_number(4),
            datetime!(2026-11-23 10:00 UTC),
            on_site.amount_due().unwrap(),
            OrderDetails::Application(on_site),
        );
        vec![
            fixtures::renewal_order(1),
            paid_renewal,
            fixtures::application_order(1),
            rejected,
            on_site,
        ]
    }

    #[test]
    fn never_prints_a_full_id_number_mobile_or_name() {
        for order in orders() {
            for lang in Lang::ALL {
                let text = all_text(&receipt_for(&order, &ctx(lang)));
                for secret in [
                    fixtures::RESIDENT_ID,
                    fixtures::MOBILE,
                    "李四",
                    "张三",
                    "王五",
                    "示例路",
                    "finance@example.com",
                ] {
                    assert!(!text.contains(secret), "{secret} on a {lang:?} receipt");
                }
            }
        }
    }

    #[test]
    fn a_reprint_says_so_under_its_title() {
        let order = fixtures::renewal_order(1);
        let first = receipt_for(&order, &ctx(Lang::ZhCn));
        let again = marked_as_reprint(first.clone(), Lang::ZhCn);
        let lines = again.text_lines();
        assert_eq!(
            lines.get(1).map(String::as_str),
            Some("（补打）"),
            "{lines:?}"
        );
        assert_eq!(lines.len(), first.text_lines().len() + 1);
        assert_eq!(again.order, first.order);
        let en = marked_as_reprint(receipt_for(&order, &ctx(Lang::En)), Lang::En);
        assert!(en.text_lines().iter().any(|l| l == "(reprint)"));
    }

    #[test]
    fn application_receipt_in_chinese() {
        let order = fixtures::application_order(1);
        let receipt = receipt_for(&order, &ctx(Lang::ZhCn));
        let lines = receipt.text_lines();
        let has = |line: &str| lines.iter().any(|l| l == line);
        assert!(has("数字证书申请回执"));
        assert!(has("订单号"));
        assert!(has(order.number.as_str()));
        assert!(has("订单状态 待审核"));
        assert!(has("金额 ¥500.00"));
        assert!(has("申请单位 山西示例煤业有限公司"));
        assert!(has("证书用途 煤炭交易中心证书应用"));
        assert!(has("电子印章 1枚"));
        assert!(has("领取方式 邮寄领取"));
        assert!(has("经办人 李*"));
        assert!(has("身份证号 110***********002X"));
        assert!(has("手机号码 138****8000"));
        assert!(has("终端编号 TYA-01"));
        assert!(has("打印时间 2026-11-23 18:05"));
        assert!(has("服务热线 0351-0000000"));
        assert_eq!(
            receipt.qr_payloads(),
            vec![format!(
                "https://ca.example.cn/track?order={}",
                order.number
            )]
        );
        assert!(receipt.blocks.contains(&Block::Text {
            text: order.number.to_string(),
            style: TextStyle::LARGE,
        }));
        assert_eq!(receipt.blocks.last(), Some(&Block::Cut));
    }

    #[test]
    fn renewal_receipt_in_chinese_and_english() {
        let order = fixtures::renewal_order(1);
        let zh = receipt_for(&order, &ctx(Lang::ZhCn)).text_lines();
        for line in [
            "数字证书更新回执",
            "订单状态 待支付",
            "金额 ¥300.00",
            "持有单位 山西示例煤业有限公司",
            "证书序列号 1A2B3C4D",
            "联系人 张*",
            "联系电话 138****8000",
            "安装状态 待安装",
        ] {
            assert!(zh.iter().any(|l| l == line), "{line} missing: {zh:?}");
        }
        let en = receipt_for(&order, &ctx(Lang::En)).text_lines();
        for line in [
            "Certificate renewal receipt",
            "Amount ¥300.00",
            "Install Not installed yet",
            "Hotline 0351-0000000",
        ] {
            assert!(en.iter().any(|l| l == line), "{line} missing: {en:?}");
        }
        assert!(en.iter().all(|l| !l.contains("订单")));
    }

    #[test]
    fn rejected_application_shows_the_reason() {
        let mut order = fixtures::application_order(1);
        order
            .apply_ca_status(OrderStatus::Rejected, Some("营业执照不清晰".to_owned()))
            .unwrap();
        let lines = receipt_for(&order, &ctx(Lang::ZhCn)).text_lines();
        assert!(lines.iter().any(|l| l == "订单状态 审核未通过"));
        assert!(lines.iter().any(|l| l == "审核意见 营业执照不清晰"));
    }

    #[test]
    fn status_blocks_printing_in_order_of_urgency() {
        assert_eq!(PrinterStatus::UNKNOWN.blocking_problem(), None);
        assert!(!PrinterStatus::UNKNOWN.is_known());
        let fine = PrinterStatus {
            online: Some(true),
            paper: PaperState::NearEnd,
            cover_open: Some(false),
        };
        assert_eq!(fine.blocking_problem(), None);
        let out = PrinterStatus {
            online: Some(false),
            paper: PaperState::Out,
            cover_open: Some(true),
        };
        assert_eq!(out.blocking_problem(), Some(DeviceErrorKind::PaperOut));
        let cover = PrinterStatus {
            paper: PaperState::Ok,
            ..out
        };
        assert_eq!(cover.blocking_problem(), Some(DeviceErrorKind::CoverOpen));
    }

    #[test]
    fn the_application_form_names_the_unit_in_full_and_people_masked() {
        let d = fixtures::application_details();
        let form = ApplicationForm {
            project: d.project,
            unit: d.unit,
            handler: d.handler,
            seal_holders: d.seal_holders,
        };
        let slip = application_form(&form, &ctx(Lang::ZhCn));
        let text = slip.text_lines().join("\n");
        for shown in [
            "山西示例煤业有限公司",
            fixtures::USCC,
            "李*",
            "王*",
            "单位（盖章）：",
        ] {
            assert!(text.contains(shown), "{shown} in {text}");
        }
        for hidden in ["李四", "王五", fixtures::RESIDENT_ID] {
            assert!(!text.contains(hidden), "{hidden} in {text}");
        }
        assert_eq!(slip.order, None);
        let en = application_form(&form, &ctx(Lang::En))
            .text_lines()
            .join("\n");
        assert!(en.contains("Unit's seal"), "{en}");
    }
}
