//! The devices as the runtime and the executors share them: the key writer
//! behind one lock (operations run off the flow thread; the key watch never
//! waits for them), the camera opened for each use, and the checks behind
//! the status strip (what the devices report, not what is configured).

use crate::runtime::{DeviceCheck, KeyWatch};
use kiosk_config::CameraSource;
use kiosk_domain::flow::lookup::{ScanFailure, order_in_receipt_qr};
use kiosk_domain::order::attachment::{Attachment, AttachmentKind};
use kiosk_domain::order_number::OrderNumber;
use kiosk_domain::ports::camera::{Frame, FrameSource};
use kiosk_domain::ports::key_writer::KeyWriter;
use kiosk_domain::ports::printer::ReceiptPrinter;
use kiosk_ui::view_model::Device;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::{Duration, Instant};

/// The key writer, shared by the executors' operations and the key watch.
#[derive(Debug)]
pub struct SharedWriter<K>(Arc<Mutex<K>>);

impl<K> Clone for SharedWriter<K> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<K: KeyWriter> SharedWriter<K> {
    pub fn new(writer: K) -> Self {
        Self(Arc::new(Mutex::new(writer)))
    }

    /// The writer for one operation (waits for the one before).
    pub fn lock(&self) -> MutexGuard<'_, K> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<K: KeyWriter + Send> KeyWatch for SharedWriter<K> {
    fn poll(&mut self) -> Option<Result<bool, String>> {
        let mut writer = match self.0.try_lock() {
            Ok(writer) => writer,
            Err(TryLockError::WouldBlock) => return None,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
        };
        Some(
            writer
                .keys()
                .map(|keys| !keys.is_empty())
                .map_err(|e| e.to_string()),
        )
    }
}

/// The printer on the status strip: it answers when its link opens (and,
/// where the link is two-way, reports no fault).
#[derive(Debug)]
pub struct PrinterCheck<P>(pub P);

impl<P: ReceiptPrinter + Send> DeviceCheck for PrinterCheck<P> {
    fn device(&self) -> Device {
        Device::Printer
    }

    fn check(&mut self) -> Option<bool> {
        match self.0.status() {
            Ok(status) if status.is_known() => Some(status.blocking_problem().is_none()),
            // A one-way link (a file, some USB printers) opened: it cannot say more.
            Ok(_) => Some(true),
            Err(e) => {
                tracing::debug!(error = %e, "printer check");
                Some(false)
            }
        }
    }
}

/// The camera is one device: the live view, a capture, a receipt scan and
/// the status strip's check take turns with it.
static CAMERA_TURN: Mutex<()> = Mutex::new(());

/// The camera to oneself until the guard is dropped (waits for whoever has
/// it: a live view lets go within a frame of being told to stop).
pub fn camera_turn() -> MutexGuard<'static, ()> {
    CAMERA_TURN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The camera on the status strip: it opens and gives a frame.
#[derive(Debug)]
pub struct CameraCheck {
    source: CameraSource,
    /// What the last check found (kept while the camera is in use).
    last: Option<bool>,
}

impl CameraCheck {
    #[must_use]
    pub fn new(source: CameraSource) -> Self {
        Self { source, last: None }
    }
}

impl DeviceCheck for CameraCheck {
    fn device(&self) -> Device {
        Device::Camera
    }

    fn check(&mut self) -> Option<bool> {
        let _turn = match CAMERA_TURN.try_lock() {
            Ok(turn) => turn,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            // In use for a customer: not opened a second time.
            Err(TryLockError::WouldBlock) => return self.last,
        };
        let answered = open_camera(&self.source)
            .and_then(|mut c| c.next_frame().ok())
            .is_some();
        self.last = Some(answered);
        self.last
    }
}

/// The configured camera, opened.
pub enum Camera {
    Files(kiosk_camera::FileSource),
    V4l(kiosk_camera::NokhwaSource),
}

impl std::fmt::Debug for Camera {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Files(_) => "Camera::Files",
            Self::V4l(_) => "Camera::V4l",
        })
    }
}

impl Camera {
    /// The next frame (a camera waits for one).
    ///
    /// # Errors
    /// The camera failed, or an image file cannot be read.
    pub fn next_frame(&mut self) -> Result<Frame, kiosk_camera::CameraError> {
        match self {
            Self::Files(s) => s.next_frame(),
            Self::V4l(s) => s.next_frame(),
        }
    }
}

/// Opens the configured camera; `None` when there is none or it fails.
#[must_use]
pub fn open_camera(source: &CameraSource) -> Option<Camera> {
    let opened = match source {
        CameraSource::None => return None,
        CameraSource::Files(dir) => kiosk_camera::FileSource::open(dir).map(Camera::Files),
        CameraSource::V4l(index) => {
            kiosk_camera::NokhwaSource::open(*index, (1920, 1080)).map(Camera::V4l)
        }
    };
    match opened {
        Ok(camera) => Some(camera),
        Err(e) => {
            tracing::warn!(error = %e, "camera not opened");
            None
        }
    }
}

/// Looks for a receipt's QR code for at most `limit` (camera frames come
/// at the camera's pace; image files are read in a loop).
///
/// # Errors
/// No camera, or nothing readable seen in time.
pub fn scan_receipt(
    source: &CameraSource,
    follow_url_base: &str,
    limit: Duration,
) -> Result<OrderNumber, ScanFailure> {
    let _turn = camera_turn();
    let mut camera = open_camera(source).ok_or(ScanFailure::NoCamera)?;
    let start = Instant::now();
    loop {
        let frame = camera.next_frame().map_err(|e| {
            tracing::warn!(error = %e, "camera failed while scanning");
            ScanFailure::NoCamera
        })?;
        let found = kiosk_camera::qr::decode_qr(&frame)
            .iter()
            .find_map(|payload| order_in_receipt_qr(payload, follow_url_base));
        if let Some(number) = found {
            return Ok(number);
        }
        if start.elapsed() >= limit {
            return Err(ScanFailure::NothingSeen);
        }
    }
}

/// Why no capture was taken.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("no camera")]
    NoCamera,
    #[error("camera: {0}")]
    Camera(#[from] kiosk_camera::CameraError),
    #[error("document: {0}")]
    Document(#[from] kiosk_camera::document::DocumentError),
    #[error("face model: {0}")]
    FaceModel(#[from] kiosk_camera::face::FaceModelError),
    #[error("no usable face in {0} frames")]
    NoFace(usize),
}

/// How many frames a face capture looks at for the best one.
const FACE_FRAMES: usize = 8;

/// One capture of `kind` from the configured camera: a document found,
/// straightened and compressed to a legible JPEG of at most 1 MB, or (for
/// the face) the best-guided of a few frames.
///
/// # Errors
/// No camera, the camera failed, or nothing usable was seen.
pub fn capture(source: &CameraSource, kind: AttachmentKind) -> Result<Attachment, CaptureError> {
    use kiosk_camera::document::{DocumentOptions, capture_document, encode_attachment};
    let _turn = camera_turn();
    let mut camera = open_camera(source).ok_or(CaptureError::NoCamera)?;
    let options = DocumentOptions::default();
    if !kind.is_biometric() {
        let frame = camera.next_frame()?;
        return Ok(capture_document(&frame, kind, &options)?.attachment);
    }
    let frames = (0..FACE_FRAMES)
        .map(|_| camera.next_frame())
        .collect::<Result<Vec<_>, _>>()?;
    let mut detector = kiosk_camera::face::FaceDetector::new()?;
    let (best, check) = detector
        .best_frame(&frames)
        .ok_or(CaptureError::NoFace(frames.len()))?;
    if !check.guidance.is_good() {
        return Err(CaptureError::NoFace(frames.len()));
    }
    let frame = frames.get(best).ok_or(CaptureError::NoFace(frames.len()))?;
    Ok(encode_attachment(frame, kind, &options)?.attachment)
}
