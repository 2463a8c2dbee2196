//! The release `kiosk` driven through a whole renewal under Xvfb, as a
//! customer would: `kiosk demo` (the reference CA service, a SoftHSM2 key,
//! the file printer) on the bench's X server; taps (`xdotool`) on buttons
//! found on screenshots by their colour; the payment QR code read from a
//! screenshot and paid through the CA's simulator. The kiosk's log names
//! each screen it shows (never what is on it), which tells the driver when
//! to look.

use crate::memory::{self, Breakdown};
use crate::x11::{Area, Shot, Xvfb};
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The theme's colours (ui/ui/theme.slint, normal mode).
const PRIMARY: u32 = 0x0a_4f_9c;
const SECONDARY: u32 = 0xdd_e8_f5;
const SURFACE: u32 = 0xff_ff_ff;
/// Below the header and the step bar: where a screen's own buttons are.
const CONTENT_TOP: u32 = 200;
const PIN: &str = "123456";

/// What the drive measured.
pub struct Renewal {
    /// The kiosk process (not the demo's CA service) on home, 1 s after
    /// the CA link came up.
    pub home: Sample,
    /// The same after 完成, 1 s after the done screen showed.
    pub after: Sample,
    /// Wall-clock figures (ms): name and value, in the order they happened.
    pub timings: Vec<(&'static str, f64)>,
    /// Screenshots of each screen on the way, and the printed receipt.
    pub shots: PathBuf,
    pub receipt_preview: Option<PathBuf>,
}

pub struct Sample {
    pub pss_kib: u64,
    pub threads: usize,
    pub breakdown: Breakdown,
    /// Resident KiB of the program's own file, by ELF section.
    pub file_split: Vec<(String, u64)>,
}

impl Sample {
    fn of(pid: u32) -> Self {
        let font = include_bytes!("../../../../ui/fonts/wqy-microhei.ttc");
        Self {
            pss_kib: memory::pss_kib(pid).unwrap_or(0),
            threads: memory::threads(pid),
            breakdown: memory::breakdown(pid),
            file_split: memory::program_file_split(
                pid,
                &[("the embedded CJK font", &font[..64], font.len())],
            ),
        }
    }
}

/// The kiosk's log (stderr of `kiosk demo`), read as it comes.
struct Log {
    lines: Arc<Mutex<Vec<(Instant, String)>>>,
}

impl Log {
    fn follow(stderr: impl std::io::Read + Send + 'static) -> Self {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push((Instant::now(), line));
            }
        });
        Self { lines }
    }

    /// Waits for a line holding every one of `words`, after line `from`;
    /// its index and when it was read.
    fn wait(&self, from: usize, words: &[&str]) -> (usize, Instant) {
        let start = Instant::now();
        loop {
            {
                let lines = self.lines.lock().unwrap();
                if let Some((i, (at, _))) = lines
                    .iter()
                    .enumerate()
                    .skip(from)
                    .find(|(_, (_, l))| words.iter().all(|w| l.contains(w)))
                {
                    return (i + 1, *at);
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the kiosk never logged {words:?}; its log:\n{}",
                self.tail()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn tail(&self) -> String {
        let lines = self.lines.lock().unwrap();
        let start = lines.len().saturating_sub(30);
        lines[start..]
            .iter()
            .map(|(_, l)| l.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// `kiosk demo` in its own process group, ended with it.
struct Demo {
    child: Child,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        std::thread::sleep(Duration::from_millis(500));
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

/// `kiosk demo --fresh` in `dir` on the bench's X server: the demo, its
/// log, the kiosk process's id, and the log line from which the kiosk shows
/// home with the CA link up (it may come before or after the first frame).
fn start_demo(kiosk: &Path, xvfb: &Xvfb, dir: &Path) -> (Demo, Log, u32, usize) {
    let mut child = Command::new(kiosk)
        .args(["demo", "--fresh", "--dir"])
        .arg(dir.join("demo"))
        .env("DISPLAY", &xvfb.display)
        .env("SLINT_BACKEND", "winit-software")
        .env("KIOSK_LOG", "info")
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log = Log::follow(child.stderr.take().unwrap());
    let demo = Demo { child };
    let (at, _) = log.wait(0, &["first frame drawn"]);
    let pid = *memory::children(demo.child.id(), |args| {
        args.get(1).is_some_and(|a| a == "--config")
    })
    .first()
    .expect("the kiosk process under `kiosk demo`");
    let (online, _) = log.wait(0, &["CA link", "online=Some(true)"]);
    (demo, log, pid, at.max(online))
}

/// One whole renewal of the demo key by the release binary `kiosk`.
pub fn renewal(kiosk: &Path, xvfb: &Xvfb, dir: &Path) -> Renewal {
    let shots = dir.join("screens");
    std::fs::create_dir_all(&shots).unwrap();
    let (demo, log, pid, at) = start_demo(kiosk, xvfb, dir);
    std::thread::sleep(Duration::from_secs(1));
    let home = Sample::of(pid);
    keep_smaps(pid, &dir.join("kiosk-home.smaps"));
    let mut timings = Vec::new();
    let save = |shot: &Shot, name: &str| shot.save_png(&shots.join(format!("{name}.png")));

    // 更新证书: the one large primary tile on home.
    let shot = xvfb.screenshot();
    save(&shot, "1-home");
    xvfb.tap(largest(&shot, PRIMARY, "the 更新证书 tile").centre());
    let (at, _) = log.wait(at, &["screen=Certificates"]);
    let shot = settled(xvfb);
    save(&shot, "2-certificates");
    xvfb.tap(largest(&shot, PRIMARY, "更新此证书").centre());
    let (mut at, _) = log.wait(at, &["screen=Pin"]);

    // The PIN pad: found again before every digit (a pad may move).
    for digit in PIN.chars() {
        let shot = settled(xvfb);
        let key = pin_key(&shot, digit);
        xvfb.tap(key.centre());
        std::thread::sleep(Duration::from_millis(150));
    }
    let shot = settled(xvfb);
    save(&shot, "3-pin");
    let ok = largest(&shot, PRIMARY, "确定 on the PIN pad");
    let tapped = Instant::now();
    xvfb.tap(ok.centre());
    let before_confirm = at;
    let (next, confirm_at) = log.wait(at, &["screen=Confirm"]);
    at = next;
    timings.push((
        "确定 on the PIN pad → 确认信息 shown",
        ms(confirm_at - tapped),
    ));

    // 确认并提交, once the details on file have filled the form (before,
    // the same button names the first empty field).
    let (next, _) = log.wait(before_confirm, &["holder details looked up"]);
    at = at.max(next);
    let submit = wait_for(xvfb, "确认并提交 enabled", |shot| {
        shot.areas(PRIMARY, 2000)
            .into_iter()
            .filter(|a| a.top > CONTENT_TOP && a.width > 500)
            .max_by_key(|a| a.pixels)
    });
    timings.push((
        "确认信息 shown → 确认并提交 enabled",
        ms(confirm_at.elapsed()),
    ));
    let _ = submit;
    // The unit's name typed on the keyboard (pinyin, a candidate picked):
    // the pinyin engine and its dictionary come up, as for a customer
    // whose details are not on file.
    type_unit_name(xvfb, &save);
    let submit = wait_for(xvfb, "确认并提交 after typing", |shot| {
        shot.areas(PRIMARY, 2000)
            .into_iter()
            .filter(|a| a.top > CONTENT_TOP && a.width > 500)
            .max_by_key(|a| a.pixels)
    });
    let shot = xvfb.screenshot();
    save(&shot, "4-confirm");
    let tapped = Instant::now();
    xvfb.tap(submit.centre());
    let (at, _) = log.wait(at, &["screen=Payment"]);
    let page = wait_for(xvfb, "the payment QR code", |shot| {
        kiosk_camera::qr::decode_qr(
            &kiosk_domain::ports::camera::Frame::new(shot.width, shot.height, shot.rgb()).unwrap(),
        )
        .into_iter()
        .next()
    });
    timings.push((
        "确认并提交 → payment QR code readable",
        ms(tapped.elapsed()),
    ));
    save(&xvfb.screenshot(), "5-payment");

    let paid = Instant::now();
    pay(&page);
    let (at, done_at) = log.wait(at, &["screen=Done"]);
    timings.push((
        "paid at the CA → 完成 shown (key pair, issuance, install)",
        ms(done_at - paid),
    ));
    let sum: f64 = timings
        .iter()
        .filter(|(name, _)| !name.contains("enabled"))
        .map(|(_, v)| v)
        .sum();
    timings.push((
        "the kiosk's own waits, 确定 to 完成 (sum of the above)",
        sum,
    ));
    let _ = at;
    std::thread::sleep(Duration::from_secs(1));
    save(&xvfb.screenshot(), "6-done");
    let after = Sample::of(pid);
    keep_smaps(pid, &dir.join("kiosk-after.smaps"));
    let receipt_preview = newest_png(&dir.join("demo/receipts"));
    drop(demo);
    Renewal {
        home,
        after,
        timings,
        shots,
        receipt_preview,
    }
}

/// On 确认信息: touches 单位名称 (the third field), types `shanxi` on the
/// keyboard's letter keys, picks the first candidate and closes the
/// keyboard with 完成.
fn type_unit_name(xvfb: &Xvfb, save: &dyn Fn(&Shot, &str)) {
    type_pinyin(xvfb, 2, "shanxi", "", "4-typing", save);
}

/// The kiosk's mappings, kept beside the screenshots for a closer look.
fn keep_smaps(pid: u32, path: &Path) {
    if let Ok(smaps) = std::fs::read(format!("/proc/{pid}/smaps")) {
        let _ = std::fs::write(path, smaps);
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A screenshot once two in a row are the same (animations done).
fn settled(xvfb: &Xvfb) -> Shot {
    let mut last = xvfb.screenshot();
    loop {
        std::thread::sleep(Duration::from_millis(50));
        let shot = xvfb.screenshot();
        if shot.pixels == last.pixels {
            return shot;
        }
        last = shot;
    }
}

/// Screenshots until `find` finds what it looks for (30 s at most).
fn wait_for<T>(xvfb: &Xvfb, what: &str, find: impl Fn(&Shot) -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(found) = find(&xvfb.screenshot()) {
            return found;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{what}: not on the screen"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The largest area of `colour` below the step bar.
fn largest(shot: &Shot, colour: u32, what: &str) -> Area {
    shot.areas(colour, 2000)
        .into_iter()
        .filter(|a| a.top > CONTENT_TOP)
        .max_by_key(|a| a.pixels)
        .unwrap_or_else(|| panic!("{what}: not on the screen"))
}

/// Keys in rows, top to bottom, each row left to right: keys whose tops are
/// within `within` pixels of the row's first are in that row.
fn in_rows(mut keys: Vec<Area>, within: u32) -> Vec<Vec<Area>> {
    keys.sort_by_key(|a| (a.top / within, a.left));
    let mut rows: Vec<Vec<Area>> = Vec::new();
    for key in keys {
        match rows.last_mut() {
            Some(row) if row[0].top.abs_diff(key.top) < within => row.push(key),
            _ => rows.push(vec![key]),
        }
    }
    rows
}

/// The key for `digit` on the PIN pad: the pad's keys are squares of the
/// secondary colour in rows of three (1-2-3, 4-5-6, 7-8-9, then 0 in the
/// middle of the last row).
fn pin_key(shot: &Shot, digit: char) -> Area {
    let keys: Vec<Area> = shot
        .areas(SECONDARY, 2000)
        .into_iter()
        .filter(|a| {
            a.top > CONTENT_TOP
                && (80..400).contains(&a.width)
                && a.width.abs_diff(a.height) < a.width / 5
        })
        .collect();
    let rows = in_rows(keys, 40);
    assert!(rows.len() >= 4, "no PIN pad on the screen: {rows:?}");
    let n = digit.to_digit(10).unwrap() as usize;
    if n == 0 {
        // The middle column, in the last row.
        let middle = rows[0][1].centre().0;
        *rows[3]
            .iter()
            .min_by_key(|a| a.centre().0.abs_diff(middle))
            .unwrap()
    } else {
        rows[(n - 1) / 3][(n - 1) % 3]
    }
}

/// Pays the order whose payment page `page` is, as a phone would: the page,
/// then its button (a POST to the same address).
fn pay(page: &str) {
    for args in [vec!["-fsS", page], vec!["-fsS", "-X", "POST", page]] {
        let out = Command::new("curl")
            .args(&args)
            .output()
            .expect("curl (Debian curl)");
        assert!(
            out.status.success(),
            "paying through the CA's simulator: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn newest_png(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
}

/// What the application drive measured.
pub struct ApplicationDrive {
    /// The kiosk process 1 s after 提交成功 showed (four documents and the
    /// face taken, the order kept and its receipt printed, offline).
    pub after: Sample,
    /// Wall-clock figures (ms).
    pub timings: Vec<(&'static str, f64)>,
    /// The live view's cost: (what, share of one core in percent) for the
    /// `viewfinder` thread and for the whole kiosk over the same seconds.
    pub live_view_cpu: Vec<(&'static str, f64)>,
    pub shots: PathBuf,
}

/// One whole application by the release binary `kiosk`: every field typed
/// (the unit's name in pinyin on the on-screen keyboard, the rest on a
/// plugged-in keyboard), four documents seen in the camera's live view and
/// photographed, the face consent given, the face seen live with its
/// guidance and photographed, its upload allowed; then the CA goes away and
/// 提交申请 keeps the order offline and prints its receipt.
pub fn application(kiosk: &Path, xvfb: &Xvfb, dir: &Path) -> ApplicationDrive {
    let shots = dir.join("screens");
    std::fs::create_dir_all(&shots).unwrap();
    let camera = dir.join("demo/receipts");
    let (demo, log, pid, mut at) = start_demo(kiosk, xvfb, dir);
    let save = |shot: &Shot, name: &str| shot.save_png(&shots.join(format!("{name}.png")));
    let mut timings = Vec::new();
    let next_page = |xvfb: &Xvfb| {
        xvfb.tap(wide_primary(&settled(xvfb), "下一步").centre());
        std::thread::sleep(Duration::from_millis(300));
    };

    // 申请证书及印章: the first tile of the secondary colour on home.
    let shot = settled(xvfb);
    let tile = shot
        .areas(SECONDARY, 2000)
        .into_iter()
        .filter(|a| a.top > CONTENT_TOP && a.width > 300 && a.height > 300)
        .min_by_key(|a| (a.top, a.left))
        .expect("the 申请证书及印章 tile");
    xvfb.tap(tile.centre());
    (at, _) = log.wait(at, &["screen=ApplyAgreement"]);
    xvfb.tap(largest(&settled(xvfb), PRIMARY, "同意并继续").centre());
    (at, _) = log.wait(at, &["screen=ApplyForm"]);
    // 证书用途: the CA's one project, chosen already.
    next_page(xvfb);
    // 单位信息: the name in pinyin, then the rest typed.
    type_pinyin(
        xvfb,
        0,
        "shanxi",
        "焦煤集团有限责任公司",
        "a1-typing",
        &save,
    );
    fill(
        xvfb,
        &[
            (1, "91110108551385082Q"),
            (2, "山西省太原市小店区示例路1号"),
        ],
    );
    save(&settled(xvfb), "a1-unit");
    next_page(xvfb);
    // 经办人信息.
    fill(
        xvfb,
        &[(0, "李四"), (1, "11010519491231002X"), (2, "13800138000")],
    );
    next_page(xvfb);
    // 印章持有人: 添加交易员, the first wide button of the secondary colour.
    let add = settled(xvfb)
        .areas(SECONDARY, 2000)
        .into_iter()
        .filter(|a| a.top > CONTENT_TOP && (300..700).contains(&a.width))
        .min_by_key(|a| (a.top, a.left))
        .expect("添加交易员");
    xvfb.tap(add.centre());
    std::thread::sleep(Duration::from_millis(300));
    fill(xvfb, &[(0, "王五")]);
    next_page(xvfb);
    // 开票信息: title and taxpayer number from the unit; the e-mail.
    fill(xvfb, &[(2, "li.si@example.com")]);
    next_page(xvfb);
    // 领取方式: by mail to the handler, filled from the unit.
    next_page(xvfb);
    (at, _) = log.wait(at, &["screen=ApplyCapture"]);

    // 上传附件: each 拍摄 (the top-most small primary button) opens the
    // live view; 拍照 takes it.
    let mut documents = 0;
    loop {
        let shot = settled(xvfb);
        let Some(button) = shot
            .areas(PRIMARY, 2000)
            .into_iter()
            .filter(|a| a.top > CONTENT_TOP && a.width < 300)
            .min_by_key(|a| a.top)
        else {
            break;
        };
        xvfb.tap(button.centre());
        let (next, _) = log.wait(at, &["live view on"]);
        at = next;
        std::thread::sleep(Duration::from_millis(800));
        let live = settled(xvfb);
        if documents == 0 {
            save(&live, "a2-live-document");
        }
        xvfb.tap(wide_primary(&live, "拍照").centre());
        let (next, _) = log.wait(at, &["capture kept"]);
        at = next;
        documents += 1;
        assert!(documents <= 6, "拍摄 never went away");
    }
    assert_eq!(documents, 4, "four documents for one seal holder");
    save(&settled(xvfb), "a3-documents");
    next_page(xvfb);
    (at, _) = log.wait(at, &["screen=ApplyIdentity"]);

    // 人脸识别授权, then the face: only the handler in front of the camera.
    xvfb.tap(largest(&settled(xvfb), PRIMARY, "同意拍摄面部照片").centre());
    std::thread::sleep(Duration::from_millis(300));
    let held = dir.join("held");
    std::fs::create_dir_all(&held).unwrap();
    for entry in std::fs::read_dir(&camera).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "jpg" || e == "png") {
            std::fs::rename(&path, held.join(entry.file_name())).unwrap();
        }
    }
    let face = kiosk_tests::camera::face();
    std::fs::write(
        camera.join("face.jpg"),
        kiosk_camera::document::encode_jpeg(&face, 92).unwrap(),
    )
    .unwrap();
    xvfb.tap(largest(&settled(xvfb), PRIMARY, "开始拍摄").centre());
    (at, _) = log.wait(at, &["live view on", "Face"]);
    std::thread::sleep(Duration::from_secs(1));
    // The live view's cost over 3 s: its thread, and the whole kiosk.
    let (thread0, all0, t0) = (
        cpu_ticks(pid, Some("viewfinder")),
        cpu_ticks(pid, None),
        Instant::now(),
    );
    std::thread::sleep(Duration::from_secs(3));
    let (thread1, all1, seconds) = (
        cpu_ticks(pid, Some("viewfinder")),
        cpu_ticks(pid, None),
        t0.elapsed().as_secs_f64(),
    );
    let share = |ticks: u64| ticks as f64 / ticks_per_second() / seconds * 100.0;
    let live_view_cpu = vec![
        (
            "the live view's thread (frames read, face check, scaled, mirrored)",
            share(thread1 - thread0),
        ),
        (
            "the whole kiosk meanwhile (the screen repainted at each frame)",
            share(all1 - all0),
        ),
    ];
    let live = settled(xvfb);
    save(&live, "a4-live-face");
    xvfb.tap(wide_primary(&live, "拍照").centre());
    (at, _) = log.wait(at, &["capture kept", "Face"]);
    std::thread::sleep(Duration::from_millis(300));
    xvfb.tap(largest(&settled(xvfb), PRIMARY, "同意发送给CA核验").centre());
    std::thread::sleep(Duration::from_millis(800));
    next_page(xvfb);
    (at, _) = log.wait(at, &["screen=ApplyReview"]);

    // The CA goes away; 提交申请 offline, until the receipt is printed
    // (its preview written by the file printer).
    for ca in memory::children(demo.child.id(), |args| {
        args.first().is_some_and(|a| a.ends_with("ca-service"))
    }) {
        let _ = Command::new("kill")
            .args(["-KILL", &ca.to_string()])
            .status();
    }
    (at, _) = log.wait(at, &["CA link", "online=Some(false)"]);
    let receipts_before = receipt_previews(&camera);
    let shot = settled(xvfb);
    save(&shot, "a5-review");
    let tapped = Instant::now();
    xvfb.tap(wide_primary(&shot, "提交申请").centre());
    let (_, submitted) = log.wait(at, &["screen=ApplySubmitted"]);
    timings.push((
        "提交申请 → 提交成功 shown, offline (order and attachments kept, queued)",
        ms(submitted - tapped),
    ));
    let start = Instant::now();
    while receipt_previews(&camera) <= receipts_before {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no receipt printed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    timings.push(("提交申请 → receipt printed, offline", ms(tapped.elapsed())));
    std::thread::sleep(Duration::from_secs(1));
    save(&xvfb.screenshot(), "a6-submitted");
    let after = Sample::of(pid);
    keep_smaps(pid, &dir.join("kiosk-after-application.smaps"));
    drop(demo);
    ApplicationDrive {
        after,
        timings,
        live_view_cpu,
        shots,
    }
}

/// The widest button of the primary colour below the step bar (a page's
/// 下一步, 拍照, 提交申请; not the keyboard's 完成).
fn wide_primary(shot: &Shot, what: &str) -> Area {
    shot.areas(PRIMARY, 2000)
        .into_iter()
        .filter(|a| a.top > CONTENT_TOP && a.width > 500)
        .max_by_key(|a| a.pixels)
        .unwrap_or_else(|| panic!("{what}: not on the screen"))
}

/// The page's text fields (white, field-high, wide), top to bottom.
fn fields(shot: &Shot) -> Vec<Area> {
    let mut fields: Vec<Area> = shot
        .areas(SURFACE, 2000)
        .into_iter()
        .filter(|a| a.top > CONTENT_TOP && a.width > 600 && (50..110).contains(&a.height))
        .collect();
    fields.sort_by_key(|a| a.top);
    fields
}

/// Types each `(field, text)` into the page's field of that index.
fn fill(xvfb: &Xvfb, entries: &[(usize, &str)]) {
    for (index, text) in entries {
        let found = fields(&settled(xvfb));
        let field = found
            .get(*index)
            .unwrap_or_else(|| panic!("field {index} of {found:?}"));
        xvfb.tap(field.centre());
        std::thread::sleep(Duration::from_millis(200));
        xvfb.type_text(text);
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Field `index`: `pinyin` on the on-screen keyboard's letter keys, its
/// first candidate picked, then `rest` typed (a plugged-in keyboard); the
/// keyboard closed with 完成. The keys are the white key-sized squares
/// below the form, in rows: candidates, digits, q-p, a-l, z-m ⌫ (⇧ is grey
/// while pinyin is typed), then 中 … 空格. The screen with the candidates
/// is saved as `shot`.
fn type_pinyin(
    xvfb: &Xvfb,
    index: usize,
    pinyin: &str,
    rest: &str,
    shot: &str,
    save: &dyn Fn(&Shot, &str),
) {
    let found = fields(&settled(xvfb));
    assert!(found.len() > index, "the form's fields: {found:?}");
    xvfb.tap(found[index].centre());
    let rows = |shot: &Shot| -> Vec<Vec<Area>> {
        let keys: Vec<Area> = shot
            .areas(SURFACE, 500)
            .into_iter()
            .filter(|a| a.top > CONTENT_TOP && a.width < 400 && (50..130).contains(&a.height))
            .collect();
        in_rows(keys, 20)
    };
    let keyboard = settled(xvfb);
    let found = rows(&keyboard);
    let n = found.len();
    assert!(n >= 5, "no keyboard on the screen: {found:?}");
    let (q_row, a_row, z_row) = (&found[n - 4], &found[n - 3], &found[n - 2]);
    // ⇧ is greyed out while pinyin is typed: the row is z-m and ⌫.
    assert!(
        q_row.len() == 10 && a_row.len() == 9 && z_row.len() >= 8,
        "{found:?}"
    );
    let key = |c: char| -> Area {
        if let Some(i) = "qwertyuiop".find(c) {
            q_row[i]
        } else if let Some(i) = "asdfghjkl".find(c) {
            a_row[i]
        } else {
            z_row[z_row.len() - 8 + "zxcvbnm".find(c).expect("a letter")]
        }
    };
    for c in pinyin.chars() {
        xvfb.tap(key(c).centre());
        std::thread::sleep(Duration::from_millis(150));
    }
    let candidates = settled(xvfb);
    save(&candidates, shot);
    let found = rows(&candidates);
    let n = found.len();
    assert!(n >= 6, "no candidates: {found:?}");
    xvfb.tap(found[n - 6][0].centre());
    std::thread::sleep(Duration::from_millis(150));
    if !rest.is_empty() {
        xvfb.type_text(rest);
    }
    let done = settled(xvfb)
        .areas(PRIMARY, 500)
        .into_iter()
        .filter(|a| a.width < 400)
        .max_by_key(|a| a.top)
        .expect("完成");
    xvfb.tap(done.centre());
    std::thread::sleep(Duration::from_millis(300));
}

/// How many receipt previews the file printer wrote into `dir`.
fn receipt_previews(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .filter(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.ends_with(".png") && !name.starts_with("0-")
            })
            .count()
    })
}

/// CPU time (clock ticks, user and system) of `pid`'s threads named
/// `thread`, or of the whole process.
fn cpu_ticks(pid: u32, thread: Option<&str>) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter(|task| {
            thread.is_none_or(|name| {
                std::fs::read_to_string(task.path().join("comm"))
                    .is_ok_and(|comm| comm.trim() == name)
            })
        })
        .filter_map(|task| std::fs::read_to_string(task.path().join("stat")).ok())
        .map(|stat| {
            // After the command's closing parenthesis: state is field 3,
            // utime 14 and stime 15.
            let fields: Vec<&str> = stat
                .rsplit_once(')')
                .map_or("", |(_, rest)| rest)
                .split_whitespace()
                .collect();
            let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<u64>().ok());
            field(14).unwrap_or(0) + field(15).unwrap_or(0)
        })
        .sum()
}

/// The kernel's clock ticks per second (`getconf CLK_TCK`).
fn ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}
