//! 技术人员: the technician screen (a technician signed in through staff
//! mode's sign-in with their technician key): 设备诊断 and 打印测试页.
#![forbid(unsafe_code)]

pub mod view;

use crate::events::{TechnicianInput, UiEvent};
use crate::kiosk::Shared;
use crate::{AppAdapter, AppWindow, ReceiptState, Screen, TechnicianAdapter, TechnicianPage};
use kiosk_domain::ports::camera::Frame;
use slint::{ComponentHandle, Image, ModelRc, Rgb8Pixel, SharedPixelBuffer, VecModel};
use std::rc::Rc;
use view::TechnicianView;

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let a = window.global::<TechnicianAdapter>();
    let s = Rc::clone(shared);
    a.on_diagnose(move || s.emit(UiEvent::Technician(TechnicianInput::Diagnose)));
    let s = Rc::clone(shared);
    a.on_print_test_page(move || s.emit(UiEvent::Technician(TechnicianInput::PrintTestPage)));
    let s = Rc::clone(shared);
    a.on_open_camera(move || s.emit(UiEvent::Technician(TechnicianInput::OpenCamera)));
    let s = Rc::clone(shared);
    a.on_close_camera(move || s.emit(UiEvent::Technician(TechnicianInput::CloseCamera)));
    let s = Rc::clone(shared);
    a.on_menu(move || s.emit(UiEvent::Technician(TechnicianInput::Menu)));
    let s = Rc::clone(shared);
    a.on_sign_out(move || s.emit(UiEvent::Technician(TechnicianInput::SignOut)));
}

pub(crate) fn show(window: &AppWindow, v: &TechnicianView) {
    let a = window.global::<TechnicianAdapter>();
    a.set_member(v.member.as_str().into());
    a.set_page(v.page);
    a.set_lock_minutes(v.lock_minutes);
    let d = &v.diagnostics;
    a.set_diagnosing(d.running);
    a.set_all_ok(d.all_ok);
    a.set_kiosk_code(d.kiosk_code.as_str().into());
    a.set_version(d.version.as_str().into());
    a.set_parts(ModelRc::new(VecModel::from(d.parts.clone())));
    a.set_store_ok(d.store_ok);
    a.set_store_error(d.store_error.as_str().into());
    a.set_queue_depth(d.queue_depth);
    a.set_set_aside(d.set_aside);
    a.set_disk_free_mib(d.disk_free_mib);
    a.set_printing(v.printing);
    a.set_has_test_page(v.test_page.is_some());
    a.set_test_page(v.test_page.unwrap_or(ReceiptState::Printing));
    if v.page != TechnicianPage::Camera {
        // Closed: its last frame goes.
        a.set_frame(Image::default());
        a.set_has_frame(false);
    }
    window.global::<AppAdapter>().set_screen(Screen::Technician);
}

/// A frame of the camera's live view, shown only while 摄像头预览 is open
/// (a late frame after it closed is dropped).
pub(crate) fn show_frame(window: &AppWindow, frame: &Frame) -> bool {
    let a = window.global::<TechnicianAdapter>();
    let open = window.global::<AppAdapter>().get_screen() == Screen::Technician
        && a.get_page() == TechnicianPage::Camera;
    if !open {
        return false;
    }
    if frame.is_consistent() {
        let mut pixels = SharedPixelBuffer::<Rgb8Pixel>::new(frame.width, frame.height);
        pixels.make_mut_bytes().copy_from_slice(&frame.pixels);
        a.set_frame(Image::from_rgb8(pixels));
        a.set_has_frame(true);
    }
    true
}

/// Forgets who was signed in and what the screen showed.
pub(crate) fn clear(window: &AppWindow) {
    let a = window.global::<TechnicianAdapter>();
    a.set_member("".into());
    a.set_page(TechnicianPage::Menu);
    a.set_parts(ModelRc::default());
    a.set_kiosk_code("".into());
    a.set_store_error("".into());
    a.set_has_test_page(false);
    a.set_frame(Image::default());
    a.set_has_frame(false);
}
