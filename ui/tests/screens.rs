//! The screens driven through Slint's testing backend (software renderer):
//! by accessible label, as a customer would touch them.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]
#![allow(
    clippy::float_arithmetic,
    reason = "Slint lengths and colour maths are f32"
)]

mod common;
use common::scenes;

use i_slint_backend_testing::{ElementHandle, TestingBackend, TestingBackendOptions};
use kiosk_domain::fixtures;
use kiosk_domain::flow::renewal::{PinPurpose, RenewalState};
use kiosk_domain::lang::Lang;
use kiosk_ui::{KioskUi, PinAdapter, Theme, UiEvent};
use slint::{ComponentHandle, LogicalSize, Model};
use std::cell::RefCell;
use std::rc::Rc;

fn setup() -> (KioskUi, Rc<RefCell<Vec<UiEvent>>>) {
    // One platform per test thread; a second call on the same thread is fine.
    let _ = slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })));
    let ui = KioskUi::new().unwrap();
    ui.window()
        .window()
        .set_size(LogicalSize::new(1080.0, 1920.0));
    ui.window().show().unwrap();
    let events = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&events);
    ui.on_event(move |e| sink.borrow_mut().push(e));
    (ui, events)
}

fn find(ui: &KioskUi, label: &str) -> ElementHandle {
    ElementHandle::find_by_accessible_label(ui.window(), label)
        .next()
        .unwrap_or_else(|| panic!("no element labelled {label:?}"))
}

#[test]
fn renew_on_home_reaches_the_adapter() {
    let (ui, events) = setup();
    find(&ui, "更新证书").invoke_accessible_default_action();
    assert!(matches!(
        events.borrow().as_slice(),
        [UiEvent::Renewal(kiosk_ui::RenewalInput::Start)]
    ));
    // The other tiles, by touch.
    find(&ui, "帮助中心").mock_single_click(slint::platform::PointerEventButton::Left);
    assert!(matches!(
        events.borrow().last(),
        Some(UiEvent::AwayFromHome)
    ));
    assert_eq!(ui.screen(), kiosk_ui::Screen::Help);
}

#[test]
fn pin_pad_shows_dots_only_and_hands_the_pin_out_once() {
    let (ui, events) = setup();
    let state = RenewalState::EnteringPin {
        session: scenes::S,
        purpose: PinPurpose::Renew(fixtures::certificate()),
        ca_online: true,
        last: None,
    };
    ui.show_renewal(&state, &scenes::ctx(), true);
    assert_eq!(ui.screen(), kiosk_ui::Screen::Pin);
    // OK is disabled until 4 digits.
    for d in ["2", "4", "6"] {
        find(&ui, d).mock_single_click(slint::platform::PointerEventButton::Left);
    }
    find(&ui, "确定").invoke_accessible_default_action();
    assert!(events.borrow().is_empty());
    for d in ["8", "0", "1"] {
        find(&ui, d).mock_single_click(slint::platform::PointerEventButton::Left);
    }
    find(&ui, "删除").invoke_accessible_default_action();
    find(&ui, "9").invoke_accessible_default_action();
    assert_eq!(ui.window().global::<PinAdapter>().get_entered(), 6);
    assert_eq!(
        find(&ui, "已输入 6 位").accessible_label().unwrap(),
        "已输入 6 位"
    );
    // No text anywhere on the screen holds the digits.
    let mut seen = Vec::new();
    for el in ElementHandle::find_by_element_type_name(ui.window(), "Text") {
        seen.extend(el.accessible_label());
        seen.extend(el.accessible_value());
    }
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|t| !t.contains("246809")), "{seen:?}");

    find(&ui, "确定").invoke_accessible_default_action();
    find(&ui, "确定").invoke_accessible_default_action();
    let events = events.borrow();
    assert_eq!(events.len(), 1, "the PIN goes out once");
    match &events[0] {
        UiEvent::Renewal(kiosk_ui::RenewalInput::Pin(pin)) => {
            assert_eq!(pin.expose(), b"246809");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        ui.window().global::<PinAdapter>().get_entered(),
        0,
        "the pad is cleared"
    );
}

#[test]
fn english_switch_translates_fixed_and_domain_texts() {
    let (ui, events) = setup();
    find(&ui, "English").invoke_accessible_default_action();
    assert!(matches!(
        events.borrow().last(),
        Some(UiEvent::LanguageChanged(Lang::En))
    ));
    find(&ui, "Renew certificate");
    find(&ui, "中文").invoke_accessible_default_action();
    find(&ui, "更新证书");
}

fn luminance(c: slint::Color) -> f64 {
    let lin = |v: u8| {
        let s = f64::from(v) / 255.0;
        if s <= 0.039_28 {
            s / 12.92
        } else {
            ((s + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c.red()) + 0.7152 * lin(c.green()) + 0.0722 * lin(c.blue())
}

fn contrast(a: slint::Color, b: slint::Color) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[test]
fn every_colour_pair_of_both_themes_has_contrast_4_5() {
    let (ui, _) = setup();
    for large in [false, true] {
        ui.set_large_mode(large);
        let pairs = ui.window().global::<Theme>().get_pairs();
        assert!(pairs.row_count() >= 10);
        for p in pairs.iter() {
            let ratio = contrast(p.fg, p.bg);
            assert!(ratio >= 4.5, "{} (large {large}): {ratio:.2}", p.name);
        }
    }
}

#[test]
fn text_sizes_meet_the_minimums_in_both_modes() {
    let (ui, _) = setup();
    for large in [false, true] {
        ui.set_large_mode(large);
        let t = ui.window().global::<Theme>();
        assert!(t.get_font_body() >= 30.0);
        for size in [
            t.get_font_small(),
            t.get_font_body(),
            t.get_font_button(),
            t.get_font_heading(),
            t.get_font_title(),
        ] {
            assert!(size >= 18.0);
        }
        assert!(t.get_touch() >= if large { 90.0 } else { 60.0 });
    }
}

#[test]
fn every_touch_target_on_every_screen_is_large_enough() {
    let (ui, _) = setup();
    for (w, h) in [(1080.0, 1920.0), (1920.0, 1080.0)] {
        ui.window().window().set_size(LogicalSize::new(w, h));
        for large in [false, true] {
            ui.set_large_mode(large);
            let min = if large { 90.0 } else { 60.0 };
            for (name, scene) in scenes::all() {
                scenes::show(&ui, &scene);
                let _ = ui.window().window().take_snapshot().unwrap();
                let buttons: Vec<_> =
                    ElementHandle::find_by_element_type_name(ui.window(), "KButton")
                        .chain(ElementHandle::find_by_element_type_name(
                            ui.window(),
                            "Tile",
                        ))
                        .collect();
                assert!(!buttons.is_empty(), "{name}: no touch target found");
                for b in buttons {
                    let size = b.size();
                    let label = b.accessible_label().unwrap_or_default();
                    assert!(
                        !label.is_empty(),
                        "{name}: a touch target without accessible-label"
                    );
                    assert!(
                        size.width >= min && size.height >= min,
                        "{name} {w}x{h} large={large}: {label:?} is {}x{}",
                        size.width,
                        size.height
                    );
                }
            }
        }
    }
}
