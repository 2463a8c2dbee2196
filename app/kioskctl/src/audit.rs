//! `kioskctl audit list|verify`: the kiosk's audit log (what staff and
//! technicians did), and whether its hash chain still holds. Technicians'
//! own actions through `kioskctl` are appended to it here.

use anyhow::Result;
use kiosk_domain::audit::{Actor, AuditAction, AuditEntry};
use kiosk_domain::order_number::OrderNumber;
use kiosk_store::{AuditCheck, AuditRecord, BrokenLink, Store};
use serde::Serialize;
use std::fmt::Write as _;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The technician at the console: the account they logged in as, from the
/// kernel's login uid (kept across `sudo` and `su`, and not changed by the
/// environment), else the process's own uid; named from `/etc/passwd`.
pub fn technician() -> Actor {
    let unset = u32::MAX;
    let login = std::fs::read_to_string("/proc/self/loginuid")
        .ok()
        .and_then(|t| t.trim().parse::<u32>().ok())
        .filter(|&uid| uid != unset);
    let uid = login.or_else(|| {
        // The real uid: the first field of `Uid:` in /proc/self/status.
        std::fs::read_to_string("/proc/self/status")
            .ok()?
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    });
    let account = match uid {
        Some(uid) => account_name(uid).unwrap_or_else(|| format!("uid {uid}")),
        None => "unknown".to_owned(),
    };
    Actor::Technician { account }
}

/// The name `/etc/passwd` gives `uid`.
fn account_name(uid: u32) -> Option<String> {
    std::fs::read_to_string("/etc/passwd")
        .ok()?
        .lines()
        .find_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let id = fields.nth(1)?;
            (id.parse::<u32>().ok()? == uid).then(|| name.to_owned())
        })
}

/// Appends what the technician did.
///
/// # Errors
/// The store could not append it.
pub fn record(
    store: &mut Store,
    action: AuditAction,
    order: Option<OrderNumber>,
    now: OffsetDateTime,
) -> Result<()> {
    store.append_audit(&AuditEntry {
        at: now,
        actor: technician(),
        action,
        order,
    })?;
    Ok(())
}

/// One entry as `list` shows it.
#[derive(Debug, Serialize)]
pub struct AuditLine {
    pub seq: u64,
    pub at: String,
    pub actor: Actor,
    pub action: AuditAction,
    pub order: Option<String>,
    /// The entry's link in the chain, hex.
    pub hash: String,
}

fn line(r: AuditRecord) -> AuditLine {
    AuditLine {
        seq: r.seq,
        at: r.entry.at.format(&Rfc3339).unwrap_or_default(),
        actor: r.entry.actor,
        action: r.entry.action,
        order: r.entry.order.map(|n| n.to_string()),
        hash: r.hash.iter().fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        }),
    }
}

/// Every entry, oldest first.
///
/// # Errors
/// The store could not be read.
pub fn list(store: &Store) -> Result<Vec<AuditLine>> {
    Ok(store.audit_log()?.into_iter().map(line).collect())
}

/// The list as a technician reads it.
#[must_use]
pub fn render(lines: &[AuditLine]) -> String {
    let mut out = String::new();
    if lines.is_empty() {
        out.push_str("audit log empty\n");
    }
    for l in lines {
        let who = match &l.actor {
            Actor::Technician { account } => format!("technician {account}"),
            Actor::Staff { name, .. } => format!("staff {name}"),
        };
        let what = match &l.action {
            AuditAction::QueueRetry => "queue retry".to_owned(),
            AuditAction::StaffSignedIn => "staff signed in".to_owned(),
            AuditAction::StaffSignedOut { why } => format!("staff signed out ({why:?})"),
            AuditAction::PinUnblock { outcome } => format!("PIN unblock ({outcome:?})"),
            AuditAction::ReceiptReprinted { outcome } => format!("receipt reprint ({outcome:?})"),
            AuditAction::IdentityConfirmedInPerson => "handler confirmed in person".to_owned(),
            AuditAction::CounterPaymentSigned {
                method,
                amount_fen,
                reference,
            } => format!(
                "counter payment signed ({}, {amount_fen} fen, {reference})",
                method.as_str()
            ),
            AuditAction::CounterPaymentAnswered { outcome } => {
                format!("counter payment answered ({outcome:?})")
            }
            AuditAction::OrderCancelSigned => "order cancel signed".to_owned(),
            AuditAction::TechnicianSignedIn => "technician signed in".to_owned(),
            AuditAction::CameraPreviewOpened => "camera preview opened".to_owned(),
            AuditAction::DiagnosticsRun { ok } => {
                format!("diagnostics ({})", if *ok { "ok" } else { "not ok" })
            }
            AuditAction::TestPagePrinted { outcome } => format!("test page ({outcome:?})"),
            AuditAction::OrderCancelAnswered { outcome } => {
                format!("order cancel answered ({outcome:?})")
            }
        };
        let _ = writeln!(
            out,
            "{:>5} {} {:<24} {:<12} {} {}",
            l.seq,
            l.at,
            who,
            what,
            l.order.as_deref().unwrap_or("-"),
            l.hash.get(..16).unwrap_or_default()
        );
    }
    out
}

/// Whether the chain holds: the report, and `true` when it does.
///
/// # Errors
/// The store could not be read.
pub fn verify(store: &Store) -> Result<(String, bool)> {
    Ok(match store.verify_audit()? {
        AuditCheck::Intact { entries } => (
            format!("audit log intact: {entries} entries, every link holds\n"),
            true,
        ),
        AuditCheck::Broken { seq, why } => {
            let how = match why {
                BrokenLink::Changed => "its text or its hash was changed",
                BrokenLink::OutOfChain => {
                    "it does not follow the entry before it (an entry removed or put in between)"
                }
                BrokenLink::Unreadable => "its text is no longer an audit entry",
            };
            (format!("audit log BROKEN at entry {seq}: {how}\n"), false)
        }
    })
}

/// Whether the CA's copy of the log agrees with this kiosk's: its last
/// entry must be this kiosk's, link for link, and this kiosk's log must
/// reach it. The report, and `false` when they part (unreachable is not a
/// failure: the copy waits, as orders do).
pub fn verify_against_ca(
    store: &mut Store,
    client: &kiosk_sync_client::CaClient,
    kiosk: kiosk_domain::order_number::KioskCode,
) -> (String, bool) {
    let head = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|rt| {
            rt.block_on(client.audit_head(kiosk.as_str()))
                .map_err(|e| e.to_string())
        });
    let head = match head {
        Ok(head) => head,
        Err(e) => {
            return (
                format!("the CA's copy not compared: the CA could not be asked ({e})\n"),
                true,
            );
        }
    };
    let here = match head.head.checked_sub(1).map(|seq| store.audit_tail(seq, 1)) {
        None => return ("the CA holds no entry of this kiosk yet\n".to_owned(), true),
        Some(Ok(here)) => here,
        Some(Err(e)) => return (format!("the log could not be read: {e}\n"), false),
    };
    match kiosk_sync_client::audit_parts(&head, &here) {
        None => (
            format!(
                "the CA's copy agrees: it holds entries 1 to {}, its last is this kiosk's\n",
                head.head
            ),
            true,
        ),
        Some(problem) => {
            let why = match problem {
                kiosk_sync_client::AuditProblem::CutOff { last, ca_head } => format!(
                    "the log here ends at entry {last} but the CA holds {ca_head}: entries were cut off here"
                ),
                kiosk_sync_client::AuditProblem::Conflict { seq } => format!(
                    "entry {seq} here is not the one the CA holds: the log was rewritten here"
                ),
                kiosk_sync_client::AuditProblem::Broken { seq } => {
                    format!("the chain here breaks at entry {seq}")
                }
                kiosk_sync_client::AuditProblem::Unsendable { seq } => {
                    format!("the CA cannot read entry {seq}")
                }
            };
            (format!("the CA's copy DISAGREES: {why}\n"), false)
        }
    }
}
