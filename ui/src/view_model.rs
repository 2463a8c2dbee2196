//! View models: pure functions from domain values to what a screen shows.
//!
//! No Slint types here, so everything is testable without a window. Personal
//! data is masked wherever the customer no longer needs to read it in full:
//! the certificate list (USCC), payment, completion, recovery and the order
//! lookup (name, mobile, e-mail). The 确认信息 screen shows what the customer
//! typed in full, because checking it is its purpose.
#![forbid(unsafe_code)]

use kiosk_domain::flow::StepContext;
use kiosk_domain::flow::renewal::{
    Candidate, EnvironmentProblem, HolderLookup, InstallAction, InstallFailure, PinOutcome,
    PinPurpose, RenewalState,
};
use kiosk_domain::lang::{Lang, Localized};
use kiosk_domain::money::Fen;
use kiosk_domain::order::renewal::{CertificateSummary, Contact, InstallStep, InvoiceInfo};
use kiosk_domain::order::{Order, OrderDetails};
use kiosk_domain::ports::printer::PrintOutcome;
use time::OffsetDateTime;

/// What a view needs besides the state: the customer's language and the
/// flow's context (now, clock floor, renewal window, price).
#[derive(Debug, Clone, Copy)]
pub struct ViewContext {
    pub lang: Lang,
    pub flow: StepContext,
}

fn pick(lang: Lang, zh: &str, en: &str) -> String {
    match lang {
        Lang::ZhCn => zh.to_owned(),
        Lang::En => en.to_owned(),
    }
}

/// The renewal flow's state as one of its screens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenewalView {
    Home,
    Checking,
    Blocked(BlockedView),
    Certificates(CertificatesView),
    Pin(PinView),
    PinLocked,
    Confirm(ConfirmView),
    Payment(PaymentView),
    Counter(CounterView),
    Installing(InstallView),
    Recovery(RecoveryView),
    Done(DoneView),
}

/// 环境检测 failed: what is wrong, what to do, whether staff must help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedView {
    pub problem: String,
    pub what_to_do: String,
    pub ask_staff: bool,
}

#[must_use]
pub fn blocked_view(problem: EnvironmentProblem, lang: Lang) -> BlockedView {
    let (p, w, staff) = match problem {
        EnvironmentProblem::NoKey => (
            pick(lang, "未检测到USB Key", "No USB Key found"),
            pick(
                lang,
                "请插入USB Key，然后点击“重新检测”。",
                "Please insert your USB Key, then press “Check again”.",
            ),
            false,
        ),
        EnvironmentProblem::UnsupportedKey => (
            pick(
                lang,
                "本机暂不支持这种USB Key",
                "This kind of USB Key is not supported here",
            ),
            pick(
                lang,
                "请联系工作人员，由工作人员为您在柜台办理。",
                "Please ask a member of staff to help you at the counter.",
            ),
            true,
        ),
        EnvironmentProblem::NoCertificate => (
            pick(
                lang,
                "USB Key中没有证书",
                "There is no certificate on this USB Key",
            ),
            pick(
                lang,
                "请确认插入的是办理业务用的USB Key。如需新办证书，请返回首页选择“申请证书及印章”。",
                "Please check that this is the USB Key you use for business. To get a new certificate, go home and choose “Apply for certificate and seal”.",
            ),
            false,
        ),
        EnvironmentProblem::OldKeyMissing => (
            pick(
                lang,
                "USB Key中找不到该证书的私钥",
                "The private key of this certificate is not on the USB Key",
            ),
            pick(
                lang,
                "无法为该证书办理自助更新，您未支付任何费用。请联系工作人员，或到柜台办理。",
                "This certificate cannot be renewed here; you have paid nothing. Please ask staff, or go to the counter.",
            ),
            true,
        ),
        EnvironmentProblem::NewKeyUnavailable => (
            pick(
                lang,
                "这个USB Key无法生成与原证书相同类型的新密钥",
                "This USB Key cannot make a new key of the same kind as the old certificate's",
            ),
            pick(
                lang,
                "您未支付任何费用。请到柜台办理，工作人员会为您更换或处理USB Key。",
                "You have paid nothing. Please go to the counter: staff will replace or set up the USB Key.",
            ),
            true,
        ),
        EnvironmentProblem::KeyReaderFault => (
            pick(
                lang,
                "USB Key读写设备故障",
                "The USB Key reader is not working",
            ),
            pick(
                lang,
                "请联系工作人员检修设备，您也可以到柜台办理。",
                "Please ask a member of staff; you can also be served at the counter.",
            ),
            true,
        ),
    };
    BlockedView {
        problem: p,
        what_to_do: w,
        ask_staff: staff,
    }
}

/// One certificate on the key, as 选择证书 lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateItem {
    pub holder: String,
    pub uscc_masked: String,
    pub issuer: String,
    pub serial: String,
    pub validity: String,
    pub verdict: String,
    /// Whether choosing it goes on (renewable now, or an open order to continue).
    pub selectable: bool,
    /// An unfinished order for it, and what choosing it does.
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificatesView {
    pub items: Vec<CertificateItem>,
    pub offline: bool,
}

fn date(t: OffsetDateTime) -> String {
    format!("{}", t.date())
}

#[must_use]
pub fn certificate_item(candidate: &Candidate, ctx: &ViewContext) -> CertificateItem {
    let cert = &candidate.certificate;
    let verdict = ctx
        .flow
        .window
        .verdict(cert.not_after, ctx.flow.now, ctx.flow.floor);
    let lang = ctx.lang;
    let note = match &candidate.open_order {
        Some(order) if order.payment().is_some() => match lang {
            Lang::ZhCn => format!(
                "订单 {} 已支付，证书尚未安装完成。选择后继续安装，无需重复付费。",
                order.number
            ),
            Lang::En => format!(
                "Order {} is paid but the certificate is not installed yet. Choose it to finish the install; you will not pay again.",
                order.number
            ),
        },
        Some(order) => match lang {
            Lang::ZhCn => format!(
                "已有订单 {}（{}）。选择后继续该订单。",
                order.number,
                order.status_label(lang)
            ),
            Lang::En => format!(
                "There is already order {} ({}). Choose it to continue that order.",
                order.number,
                order.status_label(lang)
            ),
        },
        None => String::new(),
    };
    CertificateItem {
        holder: cert.holder.clone(),
        uscc_masked: cert
            .uscc
            .as_ref()
            .map_or_else(|| "—".to_owned(), kiosk_domain::ids::Uscc::masked),
        issuer: cert.issuer.clone(),
        serial: cert.serial_hex.to_ascii_uppercase(),
        validity: match lang {
            Lang::ZhCn => format!("{} 至 {}", date(cert.not_before), date(cert.not_after)),
            Lang::En => format!("{} to {}", date(cert.not_before), date(cert.not_after)),
        },
        verdict: verdict.message(lang),
        selectable: verdict.is_renewable() || candidate.open_order.is_some(),
        note,
    }
}

/// 校验PIN码: why the PIN is asked for and the warning after a wrong try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinView {
    pub purpose: String,
    pub warning: String,
    pub final_try: bool,
    pub verifying: bool,
}

#[must_use]
pub fn pin_warning(last: Option<PinOutcome>, lang: Lang) -> (String, bool) {
    match last {
        Some(PinOutcome::Wrong {
            final_try: true, ..
        }) => (
            pick(
                lang,
                "PIN码错误。再输错一次，USB Key将被锁定！如果记不清PIN码，请先联系工作人员。",
                "Wrong PIN. One more wrong PIN locks your USB Key! If you are not sure of it, please ask staff first.",
            ),
            true,
        ),
        Some(PinOutcome::Wrong {
            tries_left: Some(n),
            ..
        }) => (
            match lang {
                Lang::ZhCn => format!("PIN码错误，还可以尝试 {n} 次。"),
                Lang::En => format!("Wrong PIN. You can try {n} more times."),
            },
            false,
        ),
        Some(PinOutcome::Wrong {
            tries_left: None, ..
        }) => (
            pick(
                lang,
                "PIN码错误，请重新输入。多次输错会锁定USB Key。",
                "Wrong PIN, please try again. Too many wrong PINs lock the USB Key.",
            ),
            false,
        ),
        Some(PinOutcome::Verified | PinOutcome::Locked) | None => (String::new(), false),
    }
}

fn pin_purpose(purpose: &PinPurpose, lang: Lang) -> String {
    match (purpose, lang) {
        (PinPurpose::Renew(cert), Lang::ZhCn) => format!("更新“{}”的证书", cert.holder),
        (PinPurpose::Renew(cert), Lang::En) => {
            format!("Renewing the certificate of “{}”", cert.holder)
        }
        (PinPurpose::Resume(order), Lang::ZhCn) => {
            format!("继续安装订单 {} 的证书", order.number)
        }
        (PinPurpose::Resume(order), Lang::En) => {
            format!("Finishing the install of order {}", order.number)
        }
        (PinPurpose::PayOpenOrder(order), Lang::ZhCn) => {
            format!("继续支付订单 {}", order.number)
        }
        (PinPurpose::PayOpenOrder(order), Lang::En) => {
            format!("Continuing to pay order {}", order.number)
        }
    }
}

/// 确认信息, shown in full: the customer checks what they typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfirmView {
    pub holder: String,
    pub contact: String,
    pub mobile: String,
    pub invoice_title: String,
    pub taxpayer_id: String,
    pub email: String,
    pub amount: String,
}

#[must_use]
pub fn confirm_view(
    certificate: &CertificateSummary,
    contact: Option<&Contact>,
    invoice: Option<&InvoiceInfo>,
    amount: Fen,
) -> ConfirmView {
    let dash = || "—".to_owned();
    ConfirmView {
        holder: certificate.holder.clone(),
        contact: contact.map_or_else(dash, |c| c.name.as_str().to_owned()),
        mobile: contact.map_or_else(dash, |c| c.mobile.as_str().to_owned()),
        invoice_title: invoice.map_or_else(dash, |i| i.title.as_str().to_owned()),
        taxpayer_id: invoice.map_or_else(dash, |i| i.taxpayer_id.as_str().to_owned()),
        email: invoice.map_or_else(dash, |i| i.email.as_str().to_owned()),
        amount: amount.to_string(),
    }
}

/// 费用支付.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentView {
    pub order_number: String,
    pub amount: String,
    /// The text to encode as the QR code (`None` until the CA answers).
    pub qr_payload: Option<String>,
    /// Time left, e.g. "14分05秒"; empty without a QR code.
    pub remaining: String,
    pub offline: bool,
}

/// "mm分ss秒" / "mm min ss s" until `expires_at` (zero once passed).
#[must_use]
pub fn remaining(expires_at: OffsetDateTime, now: OffsetDateTime, lang: Lang) -> String {
    let secs = (expires_at - now).whole_seconds().max(0);
    let (m, s) = (secs / 60, secs % 60);
    match lang {
        Lang::ZhCn => format!("{m}分{s:02}秒"),
        Lang::En => format!("{m} min {s:02} s"),
    }
}

/// 到柜台支付: the order waits for the counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterView {
    pub order_number: String,
    pub amount: String,
    /// What the printer said (`None`: still printing).
    pub receipt: Option<PrintOutcome>,
}

/// 安装证书: the five recorded steps and how far the install is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallView {
    pub order_number: String,
    /// Label and state (0 pending, 1 running, 2 done) of each step.
    pub steps: Vec<(String, i32)>,
    pub percent: i32,
}

const ACTIONS: [InstallAction; 5] = [
    InstallAction::GenerateKeyPair,
    InstallAction::RequestCertificate,
    InstallAction::VerifyCertificate,
    InstallAction::WriteCertificate,
    InstallAction::RetireOldCertificate,
];

fn action_label(action: InstallAction, lang: Lang) -> String {
    let (zh, en) = match action {
        InstallAction::GenerateKeyPair => {
            ("在USB Key中生成新密钥", "Making a new key on your USB Key")
        }
        InstallAction::RequestCertificate => ("向CA申请新证书", "Requesting the new certificate"),
        InstallAction::VerifyCertificate => ("核验新证书", "Checking the new certificate"),
        InstallAction::WriteCertificate => ("写入新证书", "Writing the new certificate"),
        InstallAction::RetireOldCertificate => ("停用旧证书", "Retiring the old certificate"),
    };
    pick(lang, zh, en)
}

fn step_index(step: InstallStep) -> usize {
    match step {
        InstallStep::NotStarted => 0,
        InstallStep::KeyPairGenerated => 1,
        InstallStep::RequestSent => 2,
        InstallStep::CertificateVerified => 3,
        InstallStep::CertificateWritten => 4,
        InstallStep::OldCertificateRetired => 5,
    }
}

#[must_use]
pub fn install_view(order: &Order, lang: Lang) -> InstallView {
    let done = match &order.details {
        OrderDetails::Renewal(d) => step_index(d.install.step),
        OrderDetails::Application(_) => 0,
    };
    let steps = ACTIONS
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let state = match i.cmp(&done) {
                std::cmp::Ordering::Less => 2,
                std::cmp::Ordering::Equal => 1,
                std::cmp::Ordering::Greater => 0,
            };
            (action_label(*a, lang), state)
        })
        .collect();
    let percent = i32::try_from(done * 100 / ACTIONS.len()).unwrap_or(100);
    InstallView {
        order_number: order.number.to_string(),
        steps,
        percent,
    }
}

/// 异常恢复: why the install stopped and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryView {
    pub order_number: String,
    pub reason: String,
    pub what_to_do: String,
    pub can_reinstall: bool,
}

#[must_use]
pub fn recovery_view(order: &Order, failure: InstallFailure, lang: Lang) -> RecoveryView {
    let (reason, todo) = match failure {
        InstallFailure::KeyRemoved => (
            (
                "证书安装中断：USB Key被拔出",
                "The install stopped: the USB Key was removed",
            ),
            (
                "请重新插入USB Key，然后点击“重新安装”。",
                "Please insert the USB Key again, then press “Install again”.",
            ),
        ),
        InstallFailure::Offline => (
            (
                "证书安装中断：网络连接中断",
                "The install stopped: the network is down",
            ),
            (
                "网络恢复后点击“重新安装”即可继续；也可以稍后再来，插入USB Key继续安装。",
                "Press “Install again” when the network is back, or come back later and insert your USB Key to continue.",
            ),
        ),
        InstallFailure::TokenError => (
            (
                "证书安装中断：USB Key拒绝了操作",
                "The install stopped: the USB Key refused an operation",
            ),
            (
                "请点击“重新安装”。如果再次失败，请联系工作人员。",
                "Please press “Install again”. If it fails again, please ask staff.",
            ),
        ),
        InstallFailure::CertificateRejected => (
            (
                "证书安装中断：收到的新证书未通过核验，未写入USB Key",
                "The install stopped: the new certificate failed its check and was not written",
            ),
            (
                "您的原证书仍可使用。请点击“重新安装”，如再次失败请联系工作人员。",
                "Your old certificate still works. Press “Install again”; if it fails again, please ask staff.",
            ),
        ),
        InstallFailure::KeyPairMissing => (
            (
                "证书安装中断：USB Key中的新密钥已丢失",
                "The install stopped: the new key is missing from the USB Key",
            ),
            (
                "点击“重新安装”会重新生成密钥，无需重复付费。",
                "Press “Install again” to make a new key; you will not pay again.",
            ),
        ),
        InstallFailure::Interrupted => (
            (
                "证书安装中断：终端曾断电或重启",
                "The install stopped: the kiosk restarted",
            ),
            (
                "请点击“重新安装”，并再次输入PIN码。",
                "Press “Install again” and enter your PIN once more.",
            ),
        ),
    };
    RecoveryView {
        order_number: order.number.to_string(),
        reason: pick(lang, reason.0, reason.1),
        what_to_do: pick(lang, todo.0, todo.1),
        can_reinstall: true,
    }
}

/// 完成更新.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoneView {
    pub order_number: String,
    /// The new certificate's expiry, `YYYY-MM-DD` (empty when not known).
    pub valid_until: String,
    /// What the printer said (`None`: still printing).
    pub receipt: Option<PrintOutcome>,
    /// Whether to show 请取走您的USB Key.
    pub key_in: bool,
}

fn renewal_details(order: &Order) -> Option<&kiosk_domain::order::renewal::RenewalDetails> {
    match &order.details {
        OrderDetails::Renewal(d) => Some(d),
        OrderDetails::Application(_) => None,
    }
}

/// The screen for a renewal state. `key_in` tells whether the customer's key
/// is still in the writer (for the reminder on 完成更新).
#[must_use]
pub fn renewal_view(state: &RenewalState, ctx: &ViewContext, key_in: bool) -> RenewalView {
    let lang = ctx.lang;
    match state {
        RenewalState::Home => RenewalView::Home,
        RenewalState::CheckingEnvironment { .. } => RenewalView::Checking,
        RenewalState::Blocked { problem, .. } => RenewalView::Blocked(blocked_view(*problem, lang)),
        RenewalState::ChoosingCertificate {
            candidates,
            ca_online,
            ..
        } => RenewalView::Certificates(CertificatesView {
            items: candidates
                .iter()
                .map(|c| certificate_item(c, ctx))
                .collect(),
            offline: !ca_online,
        }),
        RenewalState::EnteringPin { purpose, last, .. } => {
            let (warning, final_try) = pin_warning(*last, lang);
            RenewalView::Pin(PinView {
                purpose: pin_purpose(purpose, lang),
                warning,
                final_try,
                verifying: false,
            })
        }
        RenewalState::VerifyingPin { purpose, .. } => RenewalView::Pin(PinView {
            purpose: pin_purpose(purpose, lang),
            warning: String::new(),
            final_try: false,
            verifying: true,
        }),
        RenewalState::PinLocked { .. } => RenewalView::PinLocked,
        RenewalState::ConfirmingInfo {
            certificate,
            on_file,
            ..
        } => {
            let found = match on_file {
                HolderLookup::Found(details) => Some(&**details),
                HolderLookup::NotAsked | HolderLookup::Asking | HolderLookup::NothingOnFile => None,
            };
            RenewalView::Confirm(confirm_view(
                certificate,
                found.map(|(c, _)| c),
                found.map(|(_, i)| i),
                ctx.flow.renewal_price,
            ))
        }
        RenewalState::CreatingOrder {
            certificate,
            contact,
            invoice,
            ..
        } => RenewalView::Confirm(confirm_view(
            certificate,
            Some(contact),
            Some(invoice),
            ctx.flow.renewal_price,
        )),
        RenewalState::Paying {
            order,
            qr,
            ca_online,
            ..
        } => RenewalView::Payment(PaymentView {
            order_number: order.number.to_string(),
            amount: order.amount.to_string(),
            qr_payload: qr.as_ref().map(|q| q.payload.clone()),
            remaining: qr
                .as_ref()
                .map(|q| remaining(q.expires_at, ctx.flow.now, lang))
                .unwrap_or_default(),
            offline: !ca_online,
        }),
        RenewalState::PayingAtCounter {
            order,
            amount,
            receipt,
            ..
        } => RenewalView::Counter(CounterView {
            order_number: order.to_string(),
            amount: amount.to_string(),
            receipt: *receipt,
        }),
        RenewalState::Installing { order, .. } => {
            RenewalView::Installing(install_view(order, lang))
        }
        RenewalState::InstallPending { order, failure, .. } => {
            RenewalView::Recovery(recovery_view(order, *failure, lang))
        }
        RenewalState::Done {
            order,
            valid_until,
            receipt,
            ..
        } => RenewalView::Done(DoneView {
            order_number: order.to_string(),
            valid_until: valid_until.map(date).unwrap_or_default(),
            receipt: *receipt,
            key_in,
        }),
    }
}

/// One row of the order lookup result.
pub type Row = (String, String);

/// What the order lookup shows of an order: masked personal data.
#[must_use]
pub fn lookup_rows(order: &Order, lang: Lang) -> Vec<Row> {
    let l = |zh: &str, en: &str| pick(lang, zh, en);
    let mut rows = vec![
        (l("订单号码", "Order number"), order.number.to_string()),
        (
            l("业务类型", "Service"),
            match order.details {
                OrderDetails::Renewal(_) => l("证书更新", "Certificate renewal"),
                OrderDetails::Application(_) => {
                    l("申请证书及印章", "Certificate and seal application")
                }
            },
        ),
        (l("订单状态", "Status"), order.status_label(lang).to_owned()),
        (l("金额", "Amount"), order.amount.to_string()),
        (
            l("下单日期", "Date"),
            format!("{}", order.created_at.date()),
        ),
    ];
    if let Some(reason) = order.rejection_reason() {
        rows.push((l("未通过原因", "Reason"), reason.to_owned()));
    }
    match &order.details {
        OrderDetails::Renewal(d) => {
            rows.push((l("联系人", "Contact"), d.contact.name.masked()));
            rows.push((l("联系电话", "Phone"), d.contact.mobile.masked()));
        }
        OrderDetails::Application(a) => {
            rows.push((l("经办人", "Handler"), a.handler.name.masked()));
            rows.push((l("联系电话", "Phone"), a.handler.mobile.masked()));
        }
    }
    if let Some(d) = renewal_details(order) {
        rows.push((l("电子邮箱", "E-mail"), d.invoice.email.masked()));
    }
    rows
}

/// The lookup form, checked before anything is searched.
///
/// # Errors
/// The first field that does not parse, explained in `lang`.
pub fn parse_lookup(
    number: &str,
    mobile: &str,
    lang: Lang,
) -> Result<
    (
        kiosk_domain::order_number::OrderNumber,
        kiosk_domain::ids::MobileNumber,
    ),
    String,
> {
    let number = number
        .trim()
        .to_ascii_uppercase()
        .parse::<kiosk_domain::order_number::OrderNumber>()
        .map_err(|e| e.message(lang))?;
    let mobile = mobile
        .trim()
        .parse::<kiosk_domain::ids::MobileNumber>()
        .map_err(|e| e.message(lang))?;
    Ok((number, mobile))
}

/// A device in the status strip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    KeyWriter,
    Printer,
    Camera,
}

/// The status strip: network, upload queue, devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusView {
    pub online: bool,
    pub queue: u32,
    /// Each device with what it last reported: `Some(true)` it answers,
    /// `Some(false)` it does not, `None` not known yet (or it cannot say).
    pub devices: Vec<(Device, Option<bool>)>,
}

/// Messages shown above the status strip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// The session ended with the customer's key still in the writer.
    TakeYourKey,
    /// The receipt printer failed: the order is safe, staff can reprint.
    PrinterFailed,
    /// Something on the kiosk failed (its store, a device); it is trying
    /// again and nothing entered is lost.
    KioskFault,
    /// No contact details on file for 确认信息 (the CA is unreachable or has
    /// none): the counter helps.
    ContactsMissing,
}

#[must_use]
pub fn notice_text(notice: Notice, lang: Lang) -> String {
    match notice {
        Notice::TakeYourKey => pick(
            lang,
            "请取走您的USB Key",
            "Please take your USB key with you",
        ),
        Notice::PrinterFailed => pick(
            lang,
            "凭条打印失败：订单已保存，请凭订单号到柜台补打凭条",
            "The receipt could not be printed. Your order is saved: ask at the counter for a copy",
        ),
        Notice::KioskFault => pick(
            lang,
            "本机暂时出现故障，正在自动重试，您已办理的信息不会丢失；如长时间无响应请呼叫工作人员",
            "The kiosk hit a fault and is retrying; nothing you entered is lost. If it does not recover, call staff",
        ),
        Notice::ContactsMissing => pick(
            lang,
            "暂时无法获取您的联系人信息，请稍后重试或到柜台办理",
            "Your contact details cannot be fetched now. Try again shortly or ask at the counter",
        ),
    }
}

#[must_use]
pub fn device_name(device: Device, lang: Lang) -> String {
    match device {
        Device::KeyWriter => pick(lang, "USB Key读写器", "Key reader"),
        Device::Printer => pick(lang, "凭条打印机", "Printer"),
        Device::Camera => pick(lang, "摄像头", "Camera"),
    }
}

#[cfg(test)]
mod tests;
