use super::*;
use crate::FieldProblem;
use kiosk_domain::fixtures;
use kiosk_domain::money::Fen;
use kiosk_domain::order::application::{Agreement, Project};

fn catalogue(projects: usize) -> Catalogue {
    let project = fixtures::application_details().project;
    Catalogue {
        agreement: Agreement {
            version: "2026-01".to_owned(),
            text: "协议".to_owned(),
        },
        projects: (0..projects)
            .map(|i| Project {
                code: format!("P{i}").parse().unwrap(),
                ..project.clone()
            })
            .collect(),
        fetched: None,
        renewal: None,
    }
}

fn texts(v: &FormView) -> Vec<String> {
    v.rows.iter().map(|r| r.text.to_string()).collect()
}

#[test]
fn a_page_typed_right_hands_its_values_to_the_flow() {
    let mut memory = FormMemory::default();
    memory.set_typed(ApplyField::UnitName, 0, "山西示例煤业有限公司");
    memory.set_typed(ApplyField::Uscc, 0, fixtures::USCC);
    memory.set_typed(ApplyField::UnitAddress, 0, " 山西省太原市 ");
    let v = form_view(
        ApplyPage::Unit,
        &Draft::default(),
        &catalogue(1),
        &memory,
        false,
    );
    assert_eq!(v.attention, -1);
    let Some(ApplicationEvent::UnitEntered(unit)) = v.event else {
        panic!("{:?}", v.event)
    };
    assert_eq!(unit.uscc.as_str(), fixtures::USCC);
    assert_eq!(
        unit.address.as_str(),
        "山西省太原市",
        "trimmed by the domain"
    );
}

#[test]
fn wrong_values_speak_at_once_and_unfinished_ones_when_asked_to_go_on() {
    let mut memory = FormMemory::default();
    // A letter O where a USCC has the digit 0.
    memory.set_typed(ApplyField::Uscc, 0, "9111O1");
    memory.set_typed(ApplyField::HandlerMobile, 0, "139");
    let unit = form_view(
        ApplyPage::Unit,
        &Draft::default(),
        &catalogue(1),
        &memory,
        false,
    );
    assert_eq!(
        unit.rows[0].check.problem,
        FieldProblem::None,
        "empty: quiet"
    );
    assert_eq!(unit.rows[1].check.problem, FieldProblem::BadChar);
    assert_eq!(unit.attention, 0, "the first field needing attention");
    assert!(unit.attention_empty);
    assert_eq!(unit.event, None);
    let handler = form_view(
        ApplyPage::Handler,
        &Draft::default(),
        &catalogue(1),
        &memory,
        false,
    );
    assert_eq!(handler.rows[2].check.problem, FieldProblem::None);
    let revealed = form_view(
        ApplyPage::Handler,
        &Draft::default(),
        &catalogue(1),
        &memory,
        true,
    );
    assert_eq!(revealed.rows[0].check.problem, FieldProblem::Empty);
    assert_eq!(revealed.rows[2].check.problem, FieldProblem::Length);
}

#[test]
fn what_a_page_shows_is_what_was_typed_else_the_draft_else_another_page() {
    let d = fixtures::application_details();
    let draft = Draft {
        unit: Some(d.unit.clone()),
        handler: Some(d.handler.clone()),
        ..Draft::default()
    };
    let mut memory = FormMemory::default();
    // Going back to 单位信息 shows the draft's values.
    let unit = form_view(ApplyPage::Unit, &draft, &catalogue(1), &memory, false);
    assert_eq!(texts(&unit)[0], d.unit.name.as_str());
    // 开票信息 starts from the unit; 领取方式 from the handler and the unit.
    let invoice = form_view(ApplyPage::Invoice, &draft, &catalogue(1), &memory, false);
    assert_eq!(
        texts(&invoice),
        [d.unit.name.as_str(), fixtures::USCC, ""].map(str::to_owned)
    );
    let pickup = form_view(ApplyPage::Pickup, &draft, &catalogue(1), &memory, false);
    assert!(pickup.by_mail);
    assert_eq!(
        texts(&pickup),
        [
            "",
            d.handler.name.as_str(),
            fixtures::MOBILE,
            d.unit.address.as_str()
        ]
        .map(str::to_owned)
    );
    // What the customer typed wins, also over the draft.
    memory.set_typed(ApplyField::UnitName, 0, "另一家公司");
    let unit = form_view(ApplyPage::Unit, &draft, &catalogue(1), &memory, false);
    assert_eq!(texts(&unit)[0], "另一家公司");
    // On site: nothing to type.
    memory.choose_mail(false);
    let pickup = form_view(ApplyPage::Pickup, &draft, &catalogue(1), &memory, false);
    assert!(pickup.rows.is_empty());
    assert_eq!(
        pickup.event,
        Some(ApplicationEvent::PickupChosen(Pickup::OnSite))
    );
}

#[test]
fn holders_are_added_and_removed_with_what_was_typed_for_them() {
    let draft = Draft::default();
    let mut memory = FormMemory::default();
    let empty = form_view(ApplyPage::Holders, &draft, &catalogue(1), &memory, true);
    assert!(empty.choice_missing && empty.event.is_none());
    memory.add_holder(&draft, SealRole::Trader);
    memory.add_holder(&draft, SealRole::Settler);
    memory.set_typed(ApplyField::HolderName, 0, "王五");
    memory.set_typed(ApplyField::HolderName, 1, "赵六");
    memory.set_typed(ApplyField::HolderUserNumber, 1, "U2");
    let two = form_view(ApplyPage::Holders, &draft, &catalogue(1), &memory, false);
    assert_eq!(two.rows.len(), 6);
    assert!(two.rows[0].heads_holder && two.rows[3].heads_holder);
    assert!(two.rows[1].optional && !two.rows[0].optional);
    memory.remove_holder(&draft, 0);
    let one = form_view(ApplyPage::Holders, &draft, &catalogue(1), &memory, false);
    assert_eq!(texts(&one), ["赵六", "", "U2"].map(str::to_owned));
    assert_eq!(one.rows[0].role, SealRoleKind::Settler);
    let Some(ApplicationEvent::SealHoldersEntered(holders)) = one.event else {
        panic!("{:?}", one.event)
    };
    assert_eq!(holders.len(), 1);
    assert_eq!(holders[0].role, SealRole::Settler);
    assert_eq!(holders[0].enterprise_number, None, "optional, left empty");
    assert_eq!(holders[0].user_number.as_ref().unwrap().as_str(), "U2");
}

#[test]
fn removing_a_holder_keeps_the_drafts_values_of_those_after_it() {
    let d = fixtures::application_details();
    let mut second = d.seal_holders[0].clone();
    second.name = "赵六".parse().unwrap();
    second.role = SealRole::Settler;
    let draft = Draft {
        seal_holders: vec![d.seal_holders[0].clone(), second],
        ..Draft::default()
    };
    let mut memory = FormMemory::default();
    memory.remove_holder(&draft, 0);
    let v = form_view(ApplyPage::Holders, &draft, &catalogue(1), &memory, false);
    assert_eq!(texts(&v), ["赵六", "", "U1001"].map(str::to_owned));
}

#[test]
fn the_only_project_is_chosen_and_several_ask_for_a_choice() {
    let memory = FormMemory::default();
    let one = form_view(
        ApplyPage::Project,
        &Draft::default(),
        &catalogue(1),
        &memory,
        false,
    );
    assert_eq!(one.chosen_project, 0);
    assert_eq!(one.projects[0].price, "¥400.00");
    assert!(
        matches!(one.event, Some(ApplicationEvent::ProjectChosen(ref p)) if p.price == Fen(40_000))
    );
    let two = form_view(
        ApplyPage::Project,
        &Draft::default(),
        &catalogue(2),
        &memory,
        false,
    );
    assert!(two.choice_missing && two.event.is_none());
    assert_eq!(two.chosen_project, -1);
    let mut memory = FormMemory::default();
    memory.choose_project(1);
    let chosen = form_view(
        ApplyPage::Project,
        &Draft::default(),
        &catalogue(2),
        &memory,
        false,
    );
    assert!(
        matches!(chosen.event, Some(ApplicationEvent::ProjectChosen(ref p)) if p.code.as_str() == "P1")
    );
}

#[test]
fn a_signed_in_accounts_unit_starts_the_unit_page_and_the_customer_may_change_it() {
    let d = fixtures::application_details();
    let draft = Draft {
        account: Some(kiosk_domain::account::AccountUnit {
            name: d.unit.name.clone(),
            uscc: d.unit.uscc.clone(),
        }),
        ..Draft::default()
    };
    let mut memory = FormMemory::default();
    let unit = form_view(ApplyPage::Unit, &draft, &catalogue(1), &memory, false);
    assert_eq!(
        texts(&unit),
        [d.unit.name.as_str(), fixtures::USCC, ""].map(str::to_owned)
    );
    memory.set_typed(ApplyField::UnitName, 0, "另一家公司");
    let unit = form_view(ApplyPage::Unit, &draft, &catalogue(1), &memory, false);
    assert_eq!(texts(&unit)[0], "另一家公司");
    // Once the unit page is done, the draft's own unit.
    let done = Draft {
        unit: Some(kiosk_domain::order::application::UnitInfo {
            name: "第二家公司".parse().unwrap(),
            ..d.unit.clone()
        }),
        ..draft
    };
    let unit = form_view(
        ApplyPage::Unit,
        &done,
        &catalogue(1),
        &FormMemory::default(),
        false,
    );
    assert_eq!(texts(&unit)[0], "第二家公司");
}
