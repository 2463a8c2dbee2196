//! The kiosks' audit logs at the CA (`kiosk_sync_wire::audit`): a kiosk
//! reads how far the CA's copy of its log goes and sends its entries one
//! by one, in order (its own log only: `Who::OwnKiosk`); the CA keeps each
//! entry once, with the links of the kiosk's keyed chain, and never lets
//! the kiosk take one back: another entry at a place it holds, a `prev`
//! that is not the link before it, or a gap is 409 `audit_conflict`,
//! recorded for staff. Staff read a kiosk's copy (the API, and the back
//! office's section 终端操作记录 with a page per kiosk).
//!
//! The CA cannot recompute the links (their key never leaves the kiosk):
//! it checks that each entry follows the one before it and that the copy
//! only grows. Logs carry the kiosk code and places only.

use super::admin_page::local;
use super::html::{escape, page};
use super::payments::rfc3339;
use super::{ApiError, ApiResult, JsonBody, json_body, now, path, query};
use crate::Service;
use crate::storage::{AuditHead, NewAuditEntry, PutAuditOutcome, StoredAuditEntry};
use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kiosk_domain::audit::{Actor, AuditAction, AuditEntry};
use kiosk_domain::flow::staff::{CounterOutcome, LockReason};
use kiosk_domain::order_number::KioskCode;
use kiosk_domain::ports::counter::CounterMethod;
use kiosk_domain::ports::key_writer::UnblockOutcome;
use kiosk_domain::ports::printer::PrintOutcome;
use kiosk_sync_wire::audit::{
    AuditConflictV1, AuditEntryV1, AuditHeadV1, AuditPageV1, AuditRecordV1,
};
use kiosk_sync_wire::hex;
use kiosk_sync_wire::problem::ProblemCode;
use serde::Deserialize;
use std::fmt::Write as _;

/// At most this many entries are kept per kiosk: a bound, never pruning
/// (the copy is what the kiosk cannot take back). A kiosk's log grows by
/// a technician's or a member of staff's action: years of them.
const MAX_ENTRIES_PER_KIOSK: u64 = 100_000;

/// At most this many conflicts are recorded per kiosk (one per place);
/// later ones are refused the same, unrecorded: staff have seen enough.
const MAX_CONFLICTS_PER_KIOSK: u64 = 1_000;

/// `Retry-After` of an entry to a full copy: nothing changes until the
/// CA's operators make room; the kiosk keeps its log meanwhile.
const FULL_RETRY_AFTER_SECS: u32 = 3_600;

/// The most entries one page of the staff API holds, and its default.
const PAGE_LIMIT_MAX: u32 = 500;
const PAGE_LIMIT_DEFAULT: u32 = 100;

/// The latest entries the back office's page of a kiosk shows.
const PAGE_SHOWN: u32 = 500;

/// The most kiosks the back office's section lists.
const KIOSKS_SHOWN: u32 = 500;

/// The kiosk code in the path, in its one spelling (upper case): any other
/// text names no kiosk (404).
fn kiosk_code(text: &str) -> ApiResult<KioskCode> {
    text.parse::<KioskCode>()
        .ok()
        .filter(|c| c.as_str() == text)
        .ok_or_else(|| ApiError::new(ProblemCode::NotFound))
}

fn path_kiosk(p: Result<Path<String>, PathRejection>) -> ApiResult<KioskCode> {
    kiosk_code(&path(p)?)
}

/// A place in the log in its one spelling: 1 to 19 decimal digits, no
/// leading zero or sign (what the OpenAPI pattern states): any other text
/// names no place (404).
fn seq_of(text: &str) -> ApiResult<u64> {
    let canonical = (1..=19).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_digit())
        && !text.starts_with('0');
    canonical
        .then(|| text.parse::<u64>().ok())
        .flatten()
        .ok_or_else(|| ApiError::new(ProblemCode::NotFound))
}

fn head_v1(head: AuditHead) -> AuditHeadV1 {
    AuditHeadV1 {
        head: head.head,
        link_hex: head.link.map(|l| hex::encode(&l)),
    }
}

/// `GET /v1/kiosks/{kiosk}/audit`: how far the CA's copy goes.
pub(super) async fn head(
    State(service): State<Service>,
    kiosk: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<AuditHeadV1>> {
    let kiosk = path_kiosk(kiosk)?;
    Ok(Json(head_v1(service.storage().audit_head(kiosk.as_str())?)))
}

/// `PUT /v1/kiosks/{kiosk}/audit/{seq}`: 201 with the new head for an entry
/// that continues the copy, 200 for the very entry held at `seq`; anything
/// else 409 `audit_conflict` (recorded); a full copy 429.
pub(super) async fn put(
    State(service): State<Service>,
    params: Result<Path<(String, String)>, PathRejection>,
    body: Result<JsonBody<AuditEntryV1>, ApiError>,
) -> ApiResult<Response> {
    let (kiosk, seq) = path(params)?;
    let kiosk = kiosk_code(&kiosk)?;
    let seq = seq_of(&seq)?;
    let sent = json_body(body)?;
    let valid = sent.validate()?;
    let outcome = service.storage().put_audit_entry(&NewAuditEntry {
        kiosk: kiosk.as_str(),
        seq,
        entry: &sent.entry,
        prev: &valid.prev,
        link: &valid.link,
        now: now(),
        max_entries: MAX_ENTRIES_PER_KIOSK,
        max_conflicts: MAX_CONFLICTS_PER_KIOSK,
    })?;
    match outcome {
        PutAuditOutcome::Appended(head) => {
            tracing::info!(kiosk = %kiosk, seq, "audit entry kept");
            Ok((StatusCode::CREATED, Json(head_v1(head))).into_response())
        }
        PutAuditOutcome::Same(head) => Ok(Json(head_v1(head)).into_response()),
        PutAuditOutcome::Conflict(head) => {
            tracing::warn!(
                kiosk = %kiosk,
                seq,
                head = head.head,
                "an audit entry that does not continue the CA's copy"
            );
            Err(ApiError::detail(
                ProblemCode::AuditConflict,
                &format!(
                    "entry {seq} does not continue the CA's copy, which holds entries 1 to {}",
                    head.head
                ),
            ))
        }
        PutAuditOutcome::Full(head) => {
            tracing::warn!(kiosk = %kiosk, head = head.head, "a kiosk's audit copy is full");
            Err(ApiError::detail(
                ProblemCode::TooManyRequests,
                "the CA holds as many audit entries of this kiosk as it keeps",
            )
            .retry_after(FULL_RETRY_AFTER_SECS))
        }
    }
}

/// The query of `GET /v1/admin/kiosks/{kiosk}/audit`.
#[derive(Debug, Deserialize)]
pub(super) struct PageQuery {
    /// Entries after this place (0: from the first).
    #[serde(default)]
    after: u64,
    /// At most this many, 1 to 500 (another value is refused).
    limit: Option<u32>,
}

fn record_v1(e: &StoredAuditEntry) -> ApiResult<AuditRecordV1> {
    Ok(AuditRecordV1 {
        seq: e.seq,
        entry: e.entry.clone(),
        received_at: rfc3339(e.received_at)?,
    })
}

/// `GET /v1/admin/kiosks/{kiosk}/audit?after=N&limit=M` (staff): the
/// entries after N, oldest first, and every conflict recorded.
pub(super) async fn page_api(
    State(service): State<Service>,
    kiosk: Result<Path<String>, PathRejection>,
    q: Result<Query<PageQuery>, QueryRejection>,
) -> ApiResult<Json<AuditPageV1>> {
    let kiosk = path_kiosk(kiosk)?;
    let q = query(q)?;
    let limit = q.limit.unwrap_or(PAGE_LIMIT_DEFAULT);
    if !(1..=PAGE_LIMIT_MAX).contains(&limit) {
        return Err(ApiError::field("limit", "limit is 1 to 500"));
    }
    let storage = service.storage();
    let head = storage.audit_head(kiosk.as_str())?;
    let entries = storage.audit_entries(kiosk.as_str(), q.after, limit)?;
    let conflicts = storage.audit_conflicts(kiosk.as_str())?;
    Ok(Json(AuditPageV1 {
        kiosk: kiosk.to_string(),
        head: head.head,
        entries: entries.iter().map(record_v1).collect::<ApiResult<_>>()?,
        conflicts: conflicts
            .iter()
            .map(|c| {
                Ok(AuditConflictV1 {
                    seq: c.seq,
                    received_at: rfc3339(c.received_at)?,
                })
            })
            .collect::<ApiResult<_>>()?,
    }))
}

/// Who acted, in the back office's words (escaped).
fn actor_label(actor: &Actor) -> String {
    match actor {
        Actor::Technician { account } => format!("技术人员 {}", escape(account)),
        Actor::Staff { name, .. } => format!("工作人员 {}", escape(name)),
    }
}

/// What was done, in the back office's words.
fn action_label(action: &AuditAction) -> &'static str {
    match action {
        AuditAction::QueueRetry => "重新上传订单",
        AuditAction::StaffSignedIn => "工作人员登录",
        AuditAction::StaffSignedOut { why } => match why {
            LockReason::SignedOut => "工作人员退出登录",
            LockReason::Idle => "工作人员模式超时锁定",
            LockReason::KeyPulled => "工作人员USB Key拔出，锁定",
            LockReason::Restarted => "本机重启，工作人员模式锁定",
        },
        AuditAction::PinUnblock { outcome } => match outcome {
            UnblockOutcome::Unblocked => "解锁客户USB Key的PIN码：已解锁",
            UnblockOutcome::SoPinWrong => "解锁客户USB Key的PIN码：管理员PIN码错误",
            UnblockOutcome::SoPinLocked => "解锁客户USB Key的PIN码：管理员PIN码已锁定",
            UnblockOutcome::NewPinRefused => "解锁客户USB Key的PIN码：新PIN码被拒绝",
        },
        AuditAction::ReceiptReprinted { outcome } => match outcome {
            PrintOutcome::Printed => "补打凭条：已打印",
            PrintOutcome::NoPrinter => "补打凭条：本机没有打印机",
            PrintOutcome::PaperOut => "补打凭条：缺纸",
            PrintOutcome::CoverOpen => "补打凭条：打印机盖未关",
            PrintOutcome::Failed => "补打凭条：打印失败",
        },
        AuditAction::CounterPaymentSigned { method, .. } => match method {
            CounterMethod::Counter => "柜台收款：工作人员签名提交（柜台付款）",
            CounterMethod::BankTransfer => "柜台收款：工作人员签名提交（银行汇款）",
        },
        AuditAction::CounterPaymentAnswered { outcome } => match outcome {
            CounterOutcome::Recorded => "柜台收款：中心已登记",
            CounterOutcome::StaffNotAccepted => "柜台收款：中心未接受工作人员证书或签名",
            CounterOutcome::AmountMismatch => "柜台收款：金额不符或订单已由其他付款支付",
            CounterOutcome::Refused => "柜台收款：中心拒绝",
            CounterOutcome::Unreachable => "柜台收款：无法连接中心，未确认登记",
            // A cancel's answers: not one a payment gets.
            CounterOutcome::Cancelled => "柜台收款：订单已取消",
            CounterOutcome::PaidAlready => "柜台收款：订单已支付",
            CounterOutcome::NotYetAtCa => "柜台收款：中心尚未收到订单",
        },
        AuditAction::OrderCancelSigned => "取消订单：工作人员签名提交",
        AuditAction::OrderCancelAnswered { outcome } => match outcome {
            CounterOutcome::Cancelled => "取消订单：中心已取消",
            CounterOutcome::PaidAlready => "取消订单：订单已支付，未取消",
            CounterOutcome::NotYetAtCa => "取消订单：中心尚未收到订单，未取消",
            CounterOutcome::StaffNotAccepted => "取消订单：中心未接受工作人员证书或签名",
            CounterOutcome::Unreachable => "取消订单：无法连接中心，未确认取消",
            // A payment's answers: not one a cancel gets.
            CounterOutcome::Recorded => "取消订单：中心已登记付款",
            CounterOutcome::AmountMismatch => "取消订单：金额不符",
            CounterOutcome::Refused => "取消订单：中心拒绝",
        },
        AuditAction::IdentityConfirmedInPerson => "当面核验经办人身份（代替人脸识别）",
        AuditAction::TechnicianSignedIn => "技术人员登录",
        AuditAction::CameraPreviewOpened => "摄像头预览",
        AuditAction::DiagnosticsRun { ok: true } => "设备诊断：正常",
        AuditAction::DiagnosticsRun { ok: false } => "设备诊断：有故障",
        AuditAction::TestPagePrinted { outcome } => match outcome {
            PrintOutcome::Printed => "打印测试页：已打印",
            PrintOutcome::NoPrinter => "打印测试页：本机没有打印机",
            PrintOutcome::PaperOut => "打印测试页：缺纸",
            PrintOutcome::CoverOpen => "打印测试页：打印机盖未关",
            PrintOutcome::Failed => "打印测试页：打印失败",
        },
    }
}

/// The state of a kiosk's copy: 一致, or the first place in conflict (in
/// red), with how many there are.
fn state_label(first_conflict: Option<u64>, conflicts: u64) -> String {
    match first_conflict {
        None => "一致".to_owned(),
        Some(seq) if conflicts > 1 => {
            format!("<span class=\"alert\">第 {seq} 条与中心副本不一致（共 {conflicts} 处）</span>")
        }
        Some(seq) => format!("<span class=\"alert\">第 {seq} 条与中心副本不一致</span>"),
    }
}

/// The entry's own time (the kiosk's clock), in Beijing time.
fn entry_time(text: &str) -> String {
    serde_json::from_str::<AuditEntry>(text).map_or_else(|_| "—".to_owned(), |e| local(e.at))
}

/// The back office's section 终端操作记录: each kiosk that sent entries or
/// has conflicts, with a link to its page.
pub(super) fn section(service: &Service, out: &mut String) -> ApiResult<()> {
    let kiosks = service.storage().audit_kiosks(KIOSKS_SHOWN)?;
    out.push_str("<h2>终端操作记录</h2>");
    if kiosks.is_empty() {
        out.push_str("<p id=\"audit-none\">暂无终端上传操作记录</p>");
        return Ok(());
    }
    out.push_str(
        "<table id=\"audit-kiosks\"><tr><th>终端</th><th>条数</th><th>最近一条时间</th>\
         <th>状态</th></tr>",
    );
    for k in &kiosks {
        let kiosk = escape(&k.kiosk);
        let _ = write!(
            out,
            "<tr id=\"audit-{kiosk}\"><td><a href=\"/admin/kiosks/{kiosk}/audit\">{kiosk}</a></td>\
             <td>{}</td><td>{}</td><td class=\"status\">{}</td></tr>",
            k.head,
            k.last_entry
                .as_deref()
                .map_or_else(|| "—".to_owned(), entry_time),
            state_label(k.first_conflict, k.conflicts),
        );
    }
    out.push_str("</table>");
    Ok(())
}

fn entry_row(out: &mut String, e: &StoredAuditEntry) {
    let seq = e.seq;
    match serde_json::from_str::<AuditEntry>(&e.entry) {
        Ok(entry) => {
            let _ = write!(
                out,
                "<tr id=\"audit-entry-{seq}\"><td>{seq}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                local(entry.at),
                actor_label(&entry.actor),
                action_label(&entry.action),
                entry
                    .order
                    .as_ref()
                    .map_or_else(|| "—".to_owned(), |n| escape(n.as_str())),
            );
        }
        // Kept as sent; only this service's reading of it failed.
        Err(_) => {
            let _ = write!(
                out,
                "<tr id=\"audit-entry-{seq}\"><td>{seq}</td><td colspan=\"4\">无法识别的记录：{}</td></tr>",
                escape(&e.entry)
            );
        }
    }
}

/// `GET /admin/kiosks/{kiosk}/audit`: a kiosk's copy, newest first, and
/// its conflicts.
pub(super) async fn page_html(
    State(service): State<Service>,
    kiosk: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    let kiosk = path_kiosk(kiosk)?;
    let storage = service.storage();
    let head = storage.audit_head(kiosk.as_str())?;
    let entries = storage.latest_audit_entries(kiosk.as_str(), PAGE_SHOWN)?;
    let conflicts = storage.audit_conflicts(kiosk.as_str())?;
    let k = escape(kiosk.as_str());
    let mut body = format!(
        "<p><a href=\"/admin\">返回后台</a></p><h1>终端 {k} 操作记录</h1>\
         <p>中心副本共 <span id=\"audit-head\">{}</span> 条　状态：<span id=\"audit-state\">{}</span></p>",
        head.head,
        state_label(
            conflicts.iter().map(|c| c.seq).min(),
            u64::try_from(conflicts.len()).unwrap_or(u64::MAX)
        ),
    );
    if head.head > u64::from(PAGE_SHOWN) {
        let _ = write!(
            body,
            "<p>仅显示最近 {PAGE_SHOWN} 条；更早的记录见接口 /v1/admin/kiosks/{k}/audit。</p>"
        );
    }
    if !conflicts.is_empty() {
        body.push_str(
            "<h2>不一致</h2><p class=\"alert\">终端发送的记录与中心副本不符（终端的记录被改动或截断），\
             中心副本保持不变。</p><table id=\"audit-conflicts\"><tr><th>序号</th><th>收到时间</th></tr>",
        );
        for c in &conflicts {
            let _ = write!(
                body,
                "<tr id=\"audit-conflict-{seq}\"><td>{seq}</td><td>{}</td></tr>",
                local(c.received_at),
                seq = c.seq,
            );
        }
        body.push_str("</table>");
    }
    body.push_str("<h2>记录</h2>");
    if entries.is_empty() {
        body.push_str("<p id=\"audit-entries-none\">暂无记录</p>");
    } else {
        body.push_str(
            "<table id=\"audit-entries\"><tr><th>序号</th><th>时间</th><th>操作人</th>\
             <th>操作</th><th>订单号</th></tr>",
        );
        for e in &entries {
            entry_row(&mut body, e);
        }
        body.push_str("</table>");
    }
    Ok(page(
        StatusCode::OK,
        &format!("终端 {kiosk} 操作记录"),
        &body,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_has_one_spelling() {
        assert_eq!(seq_of("1").ok(), Some(1));
        assert_eq!(seq_of("100000").ok(), Some(100_000));
        assert_eq!(
            seq_of("9999999999999999999").ok(),
            Some(9_999_999_999_999_999_999)
        );
        for other in [
            "",
            "0",
            "01",
            "+1",
            "-1",
            " 1",
            "1 ",
            "1.0",
            "1e3",
            "０",
            "10000000000000000000",
            "18446744073709551615",
        ] {
            assert!(seq_of(other).is_err(), "{other:?}");
        }
    }

    #[test]
    fn a_kiosk_has_one_spelling() {
        assert!(kiosk_code("TYA").is_ok());
        for other in ["tya", "TY", "TYAA", "TYO", "", " TYA"] {
            assert!(kiosk_code(other).is_err(), "{other:?}");
        }
    }

    #[test]
    fn labels_are_escaped() {
        assert_eq!(
            actor_label(&Actor::Technician {
                account: "<b>".to_owned()
            }),
            "技术人员 &lt;b&gt;"
        );
        assert_eq!(
            actor_label(&Actor::Staff {
                certificate_serial: "01".to_owned(),
                name: "王&芳".to_owned()
            }),
            "工作人员 王&amp;芳"
        );
        assert_eq!(action_label(&AuditAction::QueueRetry), "重新上传订单");
        assert_eq!(state_label(None, 0), "一致");
        assert!(state_label(Some(2), 1).contains("第 2 条与中心副本不一致"));
        assert!(state_label(Some(2), 3).contains("（共 3 处）"));
    }
}
