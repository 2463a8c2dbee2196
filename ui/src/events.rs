//! What the customer did, as the composition root receives it.
#![forbid(unsafe_code)]

use kiosk_domain::account::AccountUnit;
use kiosk_domain::flow::account::{Page as AccountPage, Request as AccountRequest};
use kiosk_domain::flow::application::ApplicationEvent;
use kiosk_domain::flow::staff_call::CallScreen;
use kiosk_domain::ids::MobileNumber;
use kiosk_domain::lang::Lang;
use kiosk_domain::order::attachment::AttachmentKind;
use kiosk_domain::order::renewal::{Contact, InvoiceInfo};
use kiosk_domain::order_number::OrderNumber;
use kiosk_domain::ports::account::Secret;
use kiosk_domain::ports::key_writer::Pin;

/// What the customer did, for the composition root: kiosk-wide actions,
/// and each flow's own ([`RenewalInput`], [`LookupInput`],
/// [`ApplicationInput`]).
#[derive(Debug)]
pub enum UiEvent {
    /// 返回首页 from any screen.
    GoHome,
    /// A screen outside the flows was opened (帮助中心, 申请 at the counter):
    /// the idle timer runs there too.
    AwayFromHome,
    /// 呼叫工作人员, on this screen. The screen says nothing of it until the
    /// runtime tells how the call stands ([`crate::KioskUi::show_staff_call`]).
    CallStaff(CallScreen),
    /// The customer answered the idle warning.
    StillHere,
    LanguageChanged(Lang),
    /// 长辈模式 on or off (the runtime lengthens idle times when on).
    LargeModeChanged(bool),
    /// OK on the PIN pad: the PIN goes to the key's adapter of the flow
    /// that asked for it (a renewal's, or a pickup's blank key).
    Pin(Pin),
    Renewal(RenewalInput),
    Lookup(LookupInput),
    Application(ApplicationInput),
    Pickup(PickupInput),
    Account(AccountInput),
    Staff(StaffInput),
    Technician(TechnicianInput),
}

/// 技术人员: the technician screen's buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TechnicianInput {
    /// 设备诊断 on the menu, or 重新检测.
    Diagnose,
    /// 打印测试页 on the menu, or 再打印一张.
    PrintTestPage,
    /// 摄像头预览 on the menu.
    OpenCamera,
    /// 关闭预览.
    CloseCamera,
    /// 返回技术人员菜单.
    Menu,
    /// 退出登录.
    SignOut,
}

/// 工作人员: staff mode's buttons (the PINs come as [`UiEvent::Pin`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffInput {
    /// 上传队列 on the menu.
    StartQueue,
    /// 重新上传 on this order.
    RetryUpload(OrderNumber),
    /// 补打凭条 on the menu.
    StartReprint,
    /// 补打 on this order.
    Reprint(OrderNumber),
    /// 工作人员登录 on 帮助中心.
    Open,
    /// 解锁客户USB Key的PIN码.
    StartUnblock,
    /// Back to the staff menu.
    Menu,
    /// 退出登录.
    SignOut,
    /// 柜台收款 on the menu.
    StartCounter,
    /// 收款 on this order.
    ChooseCounter(OrderNumber),
    /// 确认收款 on the form.
    ConfirmCounter {
        method: kiosk_domain::ports::counter::CounterMethod,
        reference: String,
    },
    /// 取消 on the form, the confirmation or the pad.
    CancelCounter,
    /// 取消订单 on this order.
    CancelOrder(OrderNumber),
    /// 确认取消 on the confirmation.
    ConfirmCancelOrder,
}

/// 企业账户's screen.
#[derive(Debug)]
pub enum AccountInput {
    /// 企业账户 on the home screen.
    Open,
    /// Another page of the screen.
    Show(AccountPage),
    /// A request to the CA, checked on the screen, with what was typed for
    /// it that the flow must never hold.
    Ask {
        request: AccountRequest,
        secrets: AccountSecrets,
    },
    /// 退出登录.
    SignOut,
    /// 拍摄 on a document of 变更手机号 (the live view opens).
    Aim(AttachmentKind),
    /// 取消 on its live view.
    AimCancelled,
    /// 拍照 on its live view.
    Capture(AttachmentKind),
    /// 确认使用 on the document just taken.
    AcceptCapture,
}

/// What a request carries besides itself: the password (sign in,
/// register; the current one to change it), the new password (forgot,
/// change), the SMS code (register, forgot, change mobile).
#[derive(Debug, Default)]
pub struct AccountSecrets {
    pub password: Option<Secret>,
    pub new_password: Option<Secret>,
    pub code: Option<Secret>,
}

/// 现场领取's screens.
#[derive(Debug)]
pub enum PickupInput {
    /// 现场领取 on an order 查询订单 found ready at the CA.
    Start {
        number: OrderNumber,
        mobile: MobileNumber,
    },
    /// 重新检测 (the blank key) or 重新写入 (异常恢复).
    Retry,
}

/// The renewal's screens.
#[derive(Debug)]
pub enum RenewalInput {
    /// 更新证书 on the home screen.
    Start,
    /// 重新检测.
    Retry,
    ChooseCertificate(usize),
    /// 确认并提交 on 确认信息, with the details shown.
    ConfirmInfo(Box<(Contact, InvoiceInfo)>),
    /// 返回修改 on 确认信息.
    Back,
    PayAtCounter,
    /// 重新安装 on 异常恢复.
    Reinstall,
    /// 完成 on 完成更新 or the counter slip.
    Finish,
}

/// 查询订单's screen.
#[derive(Debug)]
pub enum LookupInput {
    Open,
    /// 扫描凭条二维码.
    Scan,
    /// 查询, with the form checked.
    Find {
        number: OrderNumber,
        mobile: MobileNumber,
    },
    /// 扫码支付 on an order the CA says awaits payment.
    Pay,
    /// 返回 from the payment's QR code.
    StopPaying,
    /// 已银行转账: the transfer's form.
    ChooseTransfer,
    /// 提交汇款信息, with the form checked.
    Remit {
        payer: kiosk_domain::order::text::PersonName,
        reference: kiosk_domain::order::text::Reference,
    },
}

/// The application's screens.
#[derive(Debug)]
pub enum ApplicationInput {
    /// 申请证书及印章 on the home screen.
    Start,
    /// 使用本单位信息申请 on 企业账户: the application starts with the
    /// signed-in account's unit.
    StartFor(AccountUnit),
    /// A customer's step (the runtime refuses anything a device, the store
    /// or the CA must say).
    Step(Box<ApplicationEvent>),
}
