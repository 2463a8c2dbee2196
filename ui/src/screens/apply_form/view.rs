//! The application's form pages (证书用途, 单位信息, 经办人信息, 印章持有人,
//! 开票信息, 领取方式): which fields each page has, what they hold (what the
//! customer typed on this kiosk in this session, else what the flow's draft
//! holds, else what another page already said: the invoice title is the
//! unit's name until changed), what the domain's parsers say of them, and the
//! flow's event once everything parses.
#![forbid(unsafe_code)]

use crate::SealRoleKind;
use crate::screens::fields;
use crate::screens::vocabulary::{date, int};
use crate::{ApplyField, ApplyPage, ApplyRow, CheckedAs, FieldCheck, FieldKind, ProjectRow};
use kiosk_domain::flow::application::{ApplicationEvent, Draft, Page};
use kiosk_domain::ids::TaxpayerId;
use kiosk_domain::order::application::{
    Catalogue, Handler, Pickup, SealHolder, SealRole, UnitInfo,
};
use kiosk_domain::order::renewal::InvoiceInfo;

/// At most this many seal holders on one application (the flow's limit).
pub const MAX_HOLDERS: usize = kiosk_domain::order::application::MAX_SEAL_HOLDERS;

/// What the customer typed or chose on the form pages in this session and
/// has not necessarily handed to the flow yet (a page left with 上一步
/// keeps it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FormMemory {
    typed: Vec<(ApplyField, usize, String)>,
    /// The seal holders on the page (`None`: as in the draft).
    holders: Option<Vec<SealRole>>,
    by_mail: Option<bool>,
    project: Option<usize>,
}

impl FormMemory {
    fn typed(&self, field: ApplyField, holder: usize) -> Option<&str> {
        self.typed
            .iter()
            .find(|(f, h, _)| *f == field && *h == holder)
            .map(|(_, _, t)| t.as_str())
    }

    /// The customer typed `text` in `field` (of seal holder `holder`).
    pub fn set_typed(&mut self, field: ApplyField, holder: usize, text: &str) {
        self.typed
            .retain(|(f, h, _)| !(*f == field && *h == holder));
        self.typed.push((field, holder, text.to_owned()));
    }

    /// The seal holders on the page: as changed here, else the draft's.
    #[must_use]
    pub fn holders(&self, draft: &Draft) -> Vec<SealRole> {
        self.holders
            .clone()
            .unwrap_or_else(|| draft.seal_holders.iter().map(|h| h.role).collect())
    }

    pub fn add_holder(&mut self, draft: &Draft, role: SealRole) {
        let mut holders = self.holders(draft);
        if holders.len() < MAX_HOLDERS {
            holders.push(role);
        }
        self.holders = Some(holders);
    }

    /// Removes holder `index`: what was typed for those after it moves up
    /// with them.
    pub fn remove_holder(&mut self, draft: &Draft, index: usize) {
        let mut holders = self.holders(draft);
        if index >= holders.len() {
            return;
        }
        // The draft's values of later holders become typed values, so that
        // they follow their holder.
        for (i, holder) in draft.seal_holders.iter().enumerate().skip(index + 1) {
            for field in HOLDER_FIELDS {
                if self.typed(field, i).is_none() {
                    let text = holder_text(holder, field);
                    self.set_typed(field, i, &text);
                }
            }
        }
        holders.remove(index);
        self.typed
            .retain(|(f, h, _)| !(is_holder_field(*f) && *h == index));
        for (f, h, _) in &mut self.typed {
            if is_holder_field(*f) && *h > index {
                *h -= 1;
            }
        }
        self.holders = Some(holders);
    }

    /// 邮寄领取 (or 现场领取): as chosen here, else the draft's, else by mail.
    #[must_use]
    pub fn by_mail(&self, draft: &Draft) -> bool {
        self.by_mail
            .unwrap_or(!matches!(draft.pickup, Some(Pickup::OnSite)))
    }

    pub fn choose_mail(&mut self, by_mail: bool) {
        self.by_mail = Some(by_mail);
    }

    /// The project chosen: here, else the draft's, else the only one offered.
    #[must_use]
    pub fn project(&self, draft: &Draft, catalogue: &Catalogue) -> Option<usize> {
        self.project
            .filter(|i| *i < catalogue.projects.len())
            .or_else(|| {
                let code = &draft.project.as_ref()?.code;
                catalogue.projects.iter().position(|p| p.code == *code)
            })
            .or((catalogue.projects.len() == 1).then_some(0))
    }

    pub fn choose_project(&mut self, index: usize) {
        self.project = Some(index);
    }
}

const HOLDER_FIELDS: [ApplyField; 3] = [
    ApplyField::HolderName,
    ApplyField::HolderEnterpriseNumber,
    ApplyField::HolderUserNumber,
];

fn is_holder_field(field: ApplyField) -> bool {
    HOLDER_FIELDS.contains(&field)
}

/// What a page of the form shows and what it would hand to the flow.
#[derive(Debug, Clone, PartialEq)]
pub struct FormView {
    pub page: ApplyPage,
    pub rows: Vec<ApplyRow>,
    /// The first row that still needs attention (-1: none).
    pub attention: i32,
    pub attention_empty: bool,
    /// Nothing chosen where a choice is needed (a project, a seal holder).
    pub choice_missing: bool,
    pub projects: Vec<ProjectRow>,
    pub chosen_project: i32,
    /// When the CA sent the price list (empty: the kiosk's own list).
    pub prices_date: String,
    pub by_mail: bool,
    /// The flow's event, once everything on the page parses.
    pub event: Option<ApplicationEvent>,
}

/// The page of the form `page` is, if it is one.
#[must_use]
pub fn form_page(page: Page) -> Option<ApplyPage> {
    Some(match page {
        Page::Project => ApplyPage::Project,
        Page::Unit => ApplyPage::Unit,
        Page::Handler => ApplyPage::Handler,
        Page::SealHolders => ApplyPage::Holders,
        Page::Invoice => ApplyPage::Invoice,
        Page::Pickup => ApplyPage::Pickup,
        _ => return None,
    })
}

/// A field as the page lays it out.
#[derive(Debug, Clone, Copy)]
struct Spec {
    field: ApplyField,
    holder: usize,
    role: SealRole,
    kind: FieldKind,
    optional: bool,
    learn: bool,
}

fn spec(field: ApplyField, kind: FieldKind) -> Spec {
    Spec {
        field,
        holder: 0,
        role: SealRole::Trader,
        kind,
        optional: false,
        learn: false,
    }
}

fn specs(page: ApplyPage, holders: &[SealRole], by_mail: bool) -> Vec<Spec> {
    use ApplyField as F;
    match page {
        ApplyPage::Project => Vec::new(),
        ApplyPage::Unit => vec![
            Spec {
                learn: true,
                ..spec(F::UnitName, FieldKind::Chinese)
            },
            spec(F::Uscc, FieldKind::Code),
            spec(F::UnitAddress, FieldKind::Chinese),
        ],
        ApplyPage::Handler => vec![
            spec(F::HandlerName, FieldKind::Chinese),
            spec(F::HandlerId, FieldKind::ResidentId),
            spec(F::HandlerMobile, FieldKind::Digits),
        ],
        ApplyPage::Holders => holders
            .iter()
            .enumerate()
            .flat_map(|(holder, role)| {
                let of = |field, kind, optional| Spec {
                    holder,
                    role: *role,
                    optional,
                    ..spec(field, kind)
                };
                [
                    of(F::HolderName, FieldKind::Chinese, false),
                    of(F::HolderEnterpriseNumber, FieldKind::Code, true),
                    of(F::HolderUserNumber, FieldKind::Code, true),
                ]
            })
            .collect(),
        ApplyPage::Invoice => vec![
            Spec {
                learn: true,
                ..spec(F::InvoiceTitle, FieldKind::Chinese)
            },
            spec(F::TaxpayerId, FieldKind::Code),
            spec(F::Email, FieldKind::Email),
        ],
        ApplyPage::Pickup if by_mail => vec![
            Spec {
                optional: true,
                ..spec(F::Courier, FieldKind::Chinese)
            },
            spec(F::Recipient, FieldKind::Chinese),
            spec(F::RecipientPhone, FieldKind::Digits),
            spec(F::Address, FieldKind::Chinese),
        ],
        ApplyPage::Pickup => Vec::new(),
    }
}

fn holder_text(holder: &SealHolder, field: ApplyField) -> String {
    match field {
        ApplyField::HolderName => holder.name.as_str().to_owned(),
        ApplyField::HolderEnterpriseNumber => holder
            .enterprise_number
            .as_ref()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default(),
        _ => holder
            .user_number
            .as_ref()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default(),
    }
}

/// What the draft holds for a field (or what another page said, as a
/// first suggestion).
fn draft_text(draft: &Draft, field: ApplyField, holder: usize) -> Option<String> {
    use ApplyField as F;
    let unit = draft.unit.as_ref();
    let handler = draft.handler.as_ref();
    let mail = match &draft.pickup {
        Some(Pickup::Mail {
            courier,
            recipient,
            phone,
            address,
        }) => Some((courier, recipient, phone, address)),
        _ => None,
    };
    let invoice = draft.invoice.as_ref();
    Some(match field {
        // Until the unit page is done, the signed-in account's unit.
        F::UnitName => unit.map_or_else(
            || draft.account.as_ref().map(|a| a.name.as_str().to_owned()),
            |u| Some(u.name.as_str().to_owned()),
        )?,
        F::Uscc => unit.map_or_else(
            || draft.account.as_ref().map(|a| a.uscc.as_str().to_owned()),
            |u| Some(u.uscc.as_str().to_owned()),
        )?,
        F::UnitAddress => unit?.address.as_str().to_owned(),
        F::HandlerName => handler?.name.as_str().to_owned(),
        F::HandlerId => handler?.resident_id.as_str().to_owned(),
        F::HandlerMobile => handler?.mobile.as_str().to_owned(),
        F::HolderName | F::HolderEnterpriseNumber | F::HolderUserNumber => {
            holder_text(draft.seal_holders.get(holder)?, field)
        }
        F::InvoiceTitle => invoice.map_or_else(
            || unit.map(|u| u.name.as_str().to_owned()),
            |i| Some(i.title.as_str().to_owned()),
        )?,
        F::TaxpayerId => invoice.map_or_else(
            || unit.map(|u| TaxpayerId::from(u.uscc.clone()).as_str().to_owned()),
            |i| Some(i.taxpayer_id.as_str().to_owned()),
        )?,
        F::Email => invoice?.email.as_str().to_owned(),
        F::Courier => mail?.0.as_ref().map(|c| c.as_str().to_owned())?,
        F::Recipient => mail.map_or_else(
            || handler.map(|h| h.name.as_str().to_owned()),
            |m| Some(m.1.as_str().to_owned()),
        )?,
        F::RecipientPhone => mail.map_or_else(
            || handler.map(|h| h.mobile.as_str().to_owned()),
            |m| Some(m.2.as_str().to_owned()),
        )?,
        F::Address => mail.map_or_else(
            || unit.map(|u| u.address.as_str().to_owned()),
            |m| Some(m.3.as_str().to_owned()),
        )?,
    })
}

/// The domain's verdict on one field (an empty optional field is fine).
fn check(field: ApplyField, text: &str, optional: bool) -> Result<(), FieldCheck> {
    use ApplyField as F;
    if optional && text.trim().is_empty() {
        return Ok(());
    }
    match field {
        F::UnitName | F::InvoiceTitle => fields::unit_name(text).map(drop),
        F::Uscc => fields::uscc(text).map(drop),
        F::UnitAddress | F::Address => fields::address(text).map(drop),
        F::HandlerName | F::HolderName | F::Recipient => fields::person_name(text).map(drop),
        F::HandlerId => fields::resident_id(text).map(drop),
        F::HandlerMobile | F::RecipientPhone => fields::mobile(text).map(drop),
        F::HolderEnterpriseNumber | F::HolderUserNumber | F::Courier => {
            fields::reference(text).map(drop)
        }
        F::TaxpayerId => fields::taxpayer_id(text).map(drop),
        F::Email => fields::email(text).map(drop),
    }
}

fn checked_as(field: ApplyField) -> CheckedAs {
    use ApplyField as F;
    match field {
        F::UnitName | F::InvoiceTitle => CheckedAs::UnitName,
        F::Uscc => CheckedAs::Uscc,
        F::UnitAddress | F::Address => CheckedAs::Address,
        F::HandlerName | F::HolderName | F::Recipient => CheckedAs::PersonName,
        F::HandlerId => CheckedAs::ResidentId,
        F::HandlerMobile | F::RecipientPhone => CheckedAs::Mobile,
        F::HolderEnterpriseNumber | F::HolderUserNumber | F::Courier => CheckedAs::Reference,
        F::TaxpayerId => CheckedAs::TaxpayerId,
        F::Email => CheckedAs::Email,
    }
}

fn role_kind(role: SealRole) -> SealRoleKind {
    match role {
        SealRole::Trader => SealRoleKind::Trader,
        SealRole::Settler => SealRoleKind::Settler,
    }
}

/// The texts of the page's fields, to build its event from.
struct Texts<'a> {
    specs: &'a [Spec],
    texts: &'a [String],
}

impl Texts<'_> {
    fn get(&self, field: ApplyField, holder: usize) -> &str {
        self.specs
            .iter()
            .zip(self.texts)
            .find(|(s, _)| s.field == field && s.holder == holder)
            .map_or("", |(_, t)| t.as_str())
    }

    fn optional<T>(
        &self,
        field: ApplyField,
        holder: usize,
        parse: impl Fn(&str) -> Result<T, FieldCheck>,
    ) -> Result<Option<T>, FieldCheck> {
        let text = self.get(field, holder);
        if text.trim().is_empty() {
            Ok(None)
        } else {
            parse(text).map(Some)
        }
    }
}

/// The flow's event for a page whose every field parses.
fn event(
    page: ApplyPage,
    t: &Texts<'_>,
    holders: &[SealRole],
    by_mail: bool,
) -> Result<ApplicationEvent, FieldCheck> {
    use ApplicationEvent as E;
    use ApplyField as F;
    Ok(match page {
        ApplyPage::Project => return Err(fields::fine(CheckedAs::Reference)),
        ApplyPage::Unit => E::UnitEntered(UnitInfo {
            name: fields::unit_name(t.get(F::UnitName, 0))?,
            uscc: fields::uscc(t.get(F::Uscc, 0))?,
            address: fields::address(t.get(F::UnitAddress, 0))?,
        }),
        ApplyPage::Handler => E::HandlerEntered(Handler {
            name: fields::person_name(t.get(F::HandlerName, 0))?,
            resident_id: fields::resident_id(t.get(F::HandlerId, 0))?,
            mobile: fields::mobile(t.get(F::HandlerMobile, 0))?,
        }),
        ApplyPage::Holders => E::SealHoldersEntered(
            holders
                .iter()
                .enumerate()
                .map(|(i, role)| {
                    Ok(SealHolder {
                        role: *role,
                        name: fields::person_name(t.get(F::HolderName, i))?,
                        enterprise_number: t.optional(
                            F::HolderEnterpriseNumber,
                            i,
                            fields::reference,
                        )?,
                        user_number: t.optional(F::HolderUserNumber, i, fields::reference)?,
                    })
                })
                .collect::<Result<Vec<_>, FieldCheck>>()?,
        ),
        ApplyPage::Invoice => E::InvoiceEntered(InvoiceInfo {
            title: fields::unit_name(t.get(F::InvoiceTitle, 0))?,
            taxpayer_id: fields::taxpayer_id(t.get(F::TaxpayerId, 0))?,
            email: fields::email(t.get(F::Email, 0))?,
        }),
        ApplyPage::Pickup if by_mail => E::PickupChosen(Pickup::Mail {
            courier: t.optional(F::Courier, 0, fields::reference)?,
            recipient: fields::person_name(t.get(F::Recipient, 0))?,
            phone: fields::mobile(t.get(F::RecipientPhone, 0))?,
            address: fields::address(t.get(F::Address, 0))?,
        }),
        ApplyPage::Pickup => E::PickupChosen(Pickup::OnSite),
    })
}

/// The page as it stands. A value merely not finished (nothing yet, too
/// few digits) is told only when `reveal` is set (the customer pressed
/// 下一步); a wrong one at once.
#[must_use]
pub fn form_view(
    page: ApplyPage,
    draft: &Draft,
    catalogue: &Catalogue,
    memory: &FormMemory,
    reveal: bool,
) -> FormView {
    let holders = memory.holders(draft);
    let by_mail = memory.by_mail(draft);
    let specs = specs(page, &holders, by_mail);
    let texts: Vec<String> = specs
        .iter()
        .map(|s| {
            memory
                .typed(s.field, s.holder)
                .map(str::to_owned)
                .or_else(|| draft_text(draft, s.field, s.holder))
                .unwrap_or_default()
        })
        .collect();
    let results: Vec<Result<(), FieldCheck>> = specs
        .iter()
        .zip(&texts)
        .map(|(s, t)| check(s.field, t, s.optional))
        .collect();
    let attention = results.iter().position(Result::is_err);
    let rows = specs
        .iter()
        .zip(&texts)
        .zip(&results)
        .map(|((s, text), result)| ApplyRow {
            field: s.field,
            holder: int(s.holder),
            role: role_kind(s.role),
            heads_holder: s.field == ApplyField::HolderName,
            text: text.as_str().into(),
            check: match result {
                Err(check) if reveal || !fields::unfinished(check, text) => check.clone(),
                _ => fields::fine(checked_as(s.field)),
            },
            kind: s.kind,
            optional: s.optional,
            learn: s.learn,
        })
        .collect();
    let project = memory.project(draft, catalogue);
    let choice_missing = match page {
        ApplyPage::Project => project.is_none(),
        ApplyPage::Holders => holders.is_empty(),
        _ => false,
    };
    let event = match (page, project) {
        (ApplyPage::Project, Some(i)) => catalogue
            .projects
            .get(i)
            .cloned()
            .map(ApplicationEvent::ProjectChosen),
        _ if attention.is_some() || choice_missing => None,
        _ => event(
            page,
            &Texts {
                specs: &specs,
                texts: &texts,
            },
            &holders,
            by_mail,
        )
        .ok(),
    };
    FormView {
        page,
        rows,
        attention: attention.map_or(-1, int),
        attention_empty: attention.is_some_and(|i| texts[i].trim().is_empty()),
        choice_missing,
        projects: catalogue
            .projects
            .iter()
            .map(|p| ProjectRow {
                name: p.name.as_str().into(),
                price: p.price.to_string().into(),
                seal_price: p.seal_price.to_string().into(),
            })
            .collect(),
        chosen_project: project.map_or(-1, int),
        prices_date: catalogue.fetched.map(date).unwrap_or_default(),
        by_mail,
        event,
    }
}

#[cfg(test)]
mod tests;
