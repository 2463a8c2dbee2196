//! The camera's live view: while the application's state says the camera
//! should run ([`kiosk_domain::flow::application::viewfinder`]), a thread of
//! its own reads frames, judges the face ones, and sends them to the screen
//! scaled down (the face mirrored, as customers expect to see themselves).
//! It never keeps or stores a frame: what is kept is the capture that 拍照
//! asks for, taken afresh by the executor.

use crate::devices::{camera_turn, open_camera};
use crate::ui_port::{UiSender, UiUpdate};
use kiosk_config::CameraSource;
use kiosk_domain::flow::SessionId;
use kiosk_domain::order::attachment::AttachmentKind;
use kiosk_domain::ports::camera::{FaceGuidance, Frame};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The longest side of a frame sent to the screen, in pixels.
const LIVE_SIDE: u32 = 800;
/// At most this many frames a second reach the screen (a face check takes
/// about 35 ms on the reference machine; the screen repaints the view).
const FRAME_EVERY: Duration = Duration::from_millis(125);

/// One frame of the live view, for the screen.
#[derive(Debug)]
pub struct LiveFrame {
    pub kind: AttachmentKind,
    pub frame: Frame,
    /// What the face check said (the face only).
    pub guidance: Option<FaceGuidance>,
}

#[derive(Debug)]
struct Running {
    aim: (SessionId, AttachmentKind),
    stop: Arc<AtomicBool>,
}

/// Starts and stops the live view as the flow's state asks.
#[derive(Debug)]
pub struct Viewfinder {
    source: CameraSource,
    ui: UiSender,
    running: Option<Running>,
}

impl Viewfinder {
    #[must_use]
    pub fn new(source: CameraSource, ui: UiSender) -> Self {
        Self {
            source,
            ui,
            running: None,
        }
    }

    /// Runs the live view for `aim` (`None`: stops it). Never waits: a view
    /// told to stop lets go of the camera after the frame it is reading.
    pub fn want(&mut self, aim: Option<(SessionId, AttachmentKind)>) {
        if self.running.as_ref().map(|r| r.aim) == aim {
            return;
        }
        if let Some(running) = self.running.take() {
            running.stop.store(true, Ordering::Release);
        }
        let Some(aim) = aim else {
            return;
        };
        let stop = Arc::new(AtomicBool::new(false));
        let (source, ui, stopped) = (self.source.clone(), self.ui.clone(), Arc::clone(&stop));
        let spawned = std::thread::Builder::new()
            .name("viewfinder".to_owned())
            .spawn(move || run(&source, aim.1, &ui, &stopped));
        match spawned {
            Ok(_) => self.running = Some(Running { aim, stop }),
            Err(e) => tracing::error!(error = %e, "no thread for the camera's live view"),
        }
    }
}

impl Drop for Viewfinder {
    fn drop(&mut self) {
        self.want(None);
    }
}

/// How long the live view waits before opening a camera again that did
/// not open or stopped answering (unplugged, a file being replaced).
const REOPEN_AFTER: Duration = Duration::from_millis(500);

fn run(source: &CameraSource, kind: AttachmentKind, ui: &UiSender, stop: &AtomicBool) {
    let _turn = camera_turn();
    let mut faces = if kind.is_biometric() {
        match kiosk_camera::face::FaceDetector::new() {
            Ok(detector) => Some(detector),
            Err(e) => {
                tracing::error!(error = %e, "no face check for the live view");
                None
            }
        }
    } else {
        None
    };
    tracing::info!(?kind, "live view on");
    while !stop.load(Ordering::Acquire) {
        // Until a frame comes, the screen says the camera is opening, and
        // 取消 stays.
        let Some(mut camera) = open_camera(source) else {
            std::thread::sleep(REOPEN_AFTER);
            continue;
        };
        while !stop.load(Ordering::Acquire) {
            let started = Instant::now();
            let frame = match camera.next_frame() {
                Ok(frame) => frame,
                Err(e) => {
                    tracing::warn!(error = %e, "camera failed in the live view");
                    std::thread::sleep(REOPEN_AFTER);
                    break;
                }
            };
            let guidance = faces.as_mut().map(|d| d.check(&frame).guidance);
            let mut shown = kiosk_camera::document::fit_long_side(&frame, LIVE_SIDE);
            if kind.is_biometric() {
                mirror(&mut shown);
            }
            if stop.load(Ordering::Acquire) {
                break;
            }
            ui.send(UiUpdate::LiveFrame(Box::new(LiveFrame {
                kind,
                frame: shown,
                guidance,
            })));
            // A slow frame (a large image, a slow machine) still leaves the
            // cores a third of the time: the screen and the flows go on.
            let took = started.elapsed();
            std::thread::sleep(FRAME_EVERY.saturating_sub(took).max(took / 2));
        }
    }
    tracing::info!(?kind, "live view off");
}

/// Flips `frame` left to right.
fn mirror(frame: &mut Frame) {
    let row = usize::try_from(frame.width).unwrap_or(0) * 3;
    if row == 0 {
        return;
    }
    for line in frame.pixels.chunks_exact_mut(row) {
        // The row's bytes backwards, then each pixel's channels back in order.
        line.reverse();
        for pixel in line.chunks_exact_mut(3) {
            pixel.reverse();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn mirror_flips_each_row() {
        let mut frame = Frame::new(3, 2, (0..18).collect()).unwrap();
        mirror(&mut frame);
        assert_eq!(
            frame.pixels,
            vec![6, 7, 8, 3, 4, 5, 0, 1, 2, 15, 16, 17, 12, 13, 14, 9, 10, 11]
        );
    }
}
