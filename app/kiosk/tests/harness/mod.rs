//! The kiosk on Slint's testing backend beside the reference CA service in
//! the same process, on a SoftHSM2 token: shared by the screen tests and the
//! footprint benchmark (`#[path]`-included by both).
#![allow(
    dead_code,
    clippy::float_arithmetic,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test harness: a failed unwrap is a failed test, with its location; Slint lengths are f32"
)]

use i_slint_backend_testing::{ElementHandle, ElementRoot, TestingBackend, TestingBackendOptions};
use kiosk::clock::SystemClock;
use kiosk::runtime::Command as FlowCommand;
use kiosk::ui_port::{UiPort, UiSender};
use kiosk_config::Config;
use kiosk_domain::ports::camera::Frame;
use kiosk_tests::faults::FaultyStore;
use kiosk_tests::softhsm::{PIN, TestToken};
use kiosk_ui::{KioskUi, Screen};
use slint::{ComponentHandle, LogicalSize};
use std::ops::ControlFlow;
use std::path::Path;
use std::process::Command;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::time::{Duration, Instant};

const CHILD: &str = "KIOSK_SCREENS_TEST_DIR";

/// Runs `test` in a child process of this test binary whose environment
/// points SoftHSM2 at a fresh token (one empty key, PIN [`PIN`]).
pub fn in_child_with_token(name: &str, test: impl FnOnce(&Path)) {
    if let Some(dir) = std::env::var_os(CHILD) {
        test(Path::new(&dir));
        return;
    }
    let token = TestToken::blank();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env("SOFTHSM2_CONF", &token.conf)
        .env(CHILD, &token.dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child test failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
}

/// The reference CA service in this process (demo issuance on).
pub struct Ca {
    runtime: tokio::runtime::Runtime,
    /// The kiosk listener (the kiosk's CA URL, and the public pages).
    pub url: String,
    /// The staff listener (the back office and the staff API).
    pub staff_url: String,
    /// The service itself, for fault injection.
    pub service: ca_service::Service,
    stop: Vec<tokio::sync::oneshot::Sender<()>>,
}

impl Ca {
    pub fn start(data: &Path, port: u16) -> Self {
        Self::start_with(data, port, ca_service::Options::default())
    }

    /// The same with `options` (demo issuance on).
    pub fn start_with(data: &Path, port: u16, options: ca_service::Options) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let options = ca_service::Options {
            demo: true,
            ..options
        };
        let service = ca_service::Service::open(data, options).unwrap();
        let mut urls = Vec::new();
        let mut stop = Vec::new();
        for (kind, port) in [
            (ca_service::Listener::Kiosk, port),
            (ca_service::Listener::Staff, 0),
        ] {
            let listener = runtime
                .block_on(tokio::net::TcpListener::bind(("127.0.0.1", port)))
                .unwrap();
            urls.push(format!("http://{}", listener.local_addr().unwrap()));
            let (stopper, stopped) = tokio::sync::oneshot::channel::<()>();
            stop.push(stopper);
            let router = service.router(kind);
            runtime.spawn(async move {
                ca_service::run(listener, router, async {
                    let _ = stopped.await;
                })
                .await
            });
        }
        let staff_url = urls.pop().unwrap();
        let url = urls.pop().unwrap();
        Self {
            runtime,
            url,
            staff_url,
            service,
            stop,
        }
    }

    /// A page of the service, as a phone would open it.
    pub fn page(&self, url: &str) -> String {
        let url = url.to_owned();
        self.runtime.block_on(async move {
            let shown = reqwest::get(&url).await.unwrap();
            assert!(shown.status().is_success(), "{url}: {}", shown.status());
            shown.text().await.unwrap()
        })
    }

    /// The last SMS code the gateway simulator sent to `mobile` for
    /// `purpose`.
    pub fn sms_code(&self, mobile: &str, purpose: &str) -> String {
        let (_, _, body) = self.fetch(&format!("{}/v1/admin/sms", self.staff_url));
        let sent: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
        let text = sent
            .iter()
            .find(|m| m["mobile"] == mobile && m["purpose"] == purpose)
            .unwrap_or_else(|| panic!("no {purpose} code for {mobile}"))["text"]
            .as_str()
            .unwrap()
            .to_owned();
        text.chars().filter(char::is_ascii_digit).take(6).collect()
    }

    /// A resource of the service: its status, content type and bytes.
    pub fn fetch(&self, url: &str) -> (u16, String, Vec<u8>) {
        let url = url.to_owned();
        self.runtime.block_on(async move {
            let r = reqwest::get(&url).await.unwrap();
            let status = r.status().as_u16();
            let kind = r
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            (status, kind, r.bytes().await.unwrap().to_vec())
        })
    }

    /// Submits a back office form as a member of staff's browser would,
    /// with the CSRF token its page carries (redirects not followed): the
    /// status of the answer.
    pub fn post_form(&self, url: &str, form: &[(&str, &str)]) -> u16 {
        let url = url.to_owned();
        let token = self.service.csrf_token(&ca_service::Caller::Local).unwrap();
        let form: Vec<(String, String)> = form
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .chain([("csrf".to_owned(), token)])
            .collect();
        self.runtime.block_on(async move {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            client
                .post(&url)
                .form(&form)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    }

    /// Sends `body` as JSON to `url`: the answer's status.
    pub fn post_json(&self, url: &str, body: &serde_json::Value) -> u16 {
        let (url, body) = (url.to_owned(), body.clone());
        self.runtime.block_on(async move {
            reqwest::Client::new()
                .post(&url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    }

    /// Pays through the simulator page, as the customer's phone would.
    pub fn pay(&self, page: &str) {
        let page = page.to_owned();
        self.runtime.block_on(async move {
            let client = reqwest::Client::new();
            let shown = client.get(&page).send().await.unwrap();
            assert!(
                shown.status().is_success(),
                "payment page: {}",
                shown.status()
            );
            let html = shown.text().await.unwrap();
            assert!(html.contains("确认支付"), "{html}");
            let paid = client.post(&page).send().await.unwrap();
            assert!(paid.status().is_success(), "pay: {}", paid.status());
        });
    }
}

impl Ca {
    /// Staff record a payment taken at the counter for `number`, once the
    /// order has reached the CA.
    pub fn record_counter_payment(&self, number: &str, amount_fen: i64) {
        let start = Instant::now();
        while self.service.storage().order(number).unwrap().is_none() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "order never reached the CA"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let url = format!("{}/v1/admin/orders/{number}/payments", self.staff_url);
        self.runtime.block_on(async move {
            let body = serde_json::json!({
                "method": "counter",
                "amount_fen": amount_fen,
                "reference": "TILL-0042",
            });
            let done = reqwest::Client::new()
                .post(&url)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert!(
                done.status().is_success(),
                "counter payment: {}",
                done.status()
            );
        });
    }

    /// An application picked up at the hall as another kiosk sent it,
    /// reviewed, paid at the counter and made ready (已制证) in the back
    /// office: its number (the fixtures' handler mobile follows it).
    pub fn seed_on_site_ready(&self, seq: u32) -> String {
        let number = kiosk_domain::fixtures::order_number(seq).to_string();
        let d = kiosk_domain::fixtures::application_details();
        let document = serde_json::json!({
            "number": number,
            "created_at": "2026-11-23T10:00:00Z",
            "amount_fen": 50_000,
            "details": {
                "kind": "application",
                "agreement_version": d.agreement_version,
                "project_code": d.project.code.as_str(),
                "unit_name": d.unit.name.as_str(),
                "unit_uscc": d.unit.uscc.as_str(),
                "unit_address": d.unit.address.as_str(),
                "handler_name": d.handler.name.as_str(),
                "handler_resident_id": d.handler.resident_id.as_str(),
                "handler_mobile": d.handler.mobile.as_str(),
                "seal_holders": [
                    {"role": "trader", "name": "王五", "enterprise_number": null, "user_number": "U1001"},
                    {"role": "settler", "name": "赵六", "enterprise_number": "E2002", "user_number": null}
                ],
                "invoice": {
                    "title": d.invoice.title.as_str(),
                    "taxpayer_id": d.invoice.taxpayer_id.as_str(),
                    "email": d.invoice.email.as_str()
                },
                "pickup": {"method": "on_site"}
            },
            "attachments": []
        });
        let base = self.url.clone();
        let staff = self.staff_url.clone();
        let n = number.clone();
        self.runtime.block_on(async move {
            let http = reqwest::Client::new();
            let put = http
                .put(format!("{base}/v1/orders/{n}"))
                .header("idempotency-key", format!("{seq:032x}"))
                .json(&document)
                .send()
                .await
                .unwrap();
            assert_eq!(put.status().as_u16(), 201, "{}", put.text().await.unwrap());
            for url in [
                format!("{base}/v1/orders/{n}/submit"),
                format!("{staff}/v1/admin/orders/{n}/approve"),
            ] {
                let r = http
                    .post(&url)
                    .json(&serde_json::json!({}))
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success(), "{url}: {}", r.status());
            }
        });
        self.record_counter_payment(&number, 50_000);
        assert_eq!(
            self.post_form(
                &format!("{}/admin/orders/{number}/status", self.staff_url),
                &[("to", "certificate_made")],
            ),
            303
        );
        let at_ca = self.service.storage().order(&number).unwrap().unwrap();
        assert_eq!(at_ca.status.as_str(), "certificate_made");
        number
    }

    /// The CA issues the invoice of a paid order; its invoice number.
    pub fn issue_invoice(&self, number: &str) -> String {
        let url = format!("{}/v1/admin/orders/{number}/invoice", self.staff_url);
        self.runtime.block_on(async move {
            let issued = reqwest::Client::new()
                .post(&url)
                .json(&serde_json::json!({}))
                .send()
                .await
                .unwrap();
            assert!(issued.status().is_success(), "invoice: {}", issued.status());
            let invoice: serde_json::Value = issued.json().await.unwrap();
            invoice["invoice_number"].as_str().unwrap().to_owned()
        })
    }
}

impl Drop for Ca {
    fn drop(&mut self) {
        for stop in self.stop.drain(..) {
            let _ = stop.send(());
        }
    }
}

/// The kiosk's parts on the testing backend: the real ports, the store's
/// writes behind a switch ([`Kiosk::disk`]) that breaks them (a full disk).
pub struct Kiosk {
    pub ui: Rc<KioskUi>,
    pub port: UiPort,
    commands: mpsc::Sender<FlowCommand>,
    flow: Option<std::thread::JoinHandle<()>>,
    sync: Option<kiosk::sync_task::SyncTask>,
    io: Option<tokio::runtime::Runtime>,
    /// On: every store write fails.
    pub disk: Arc<AtomicBool>,
}

impl Kiosk {
    pub fn start(config: &Config) -> Self {
        let _ =
            slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
                mock_time: false,
                threading: false,
                renderer_name: Some("software".into()),
            })));
        let ui = Rc::new(KioskUi::new().unwrap());
        ui.window()
            .window()
            .set_size(LogicalSize::new(1080.0, 1920.0));
        ui.window().show().unwrap();
        // As the binary does: staff mode where a staff CA is configured.
        ui.set_staff_mode(!config.staff.ca_certificates.is_empty());
        let (update_tx, update_rx) = mpsc::channel();
        let port = UiPort::new(update_rx, Rc::clone(&ui))
            .keeping_picks_in(config.in_data_dir(Path::new("keyboard-picks.txt")));
        let (commands, command_rx) = mpsc::channel();
        let events = commands.clone();
        ui.on_event(move |e| {
            let _ = events.send(FlowCommand::Ui(e));
        });
        let real = kiosk::wiring::ports(config).unwrap();
        let store = FaultyStore::new(real.store, None);
        let disk = store.breaker();
        let ports = kiosk::wiring::Ports {
            store,
            writer: real.writer,
            ca: real.ca,
            printer: real.printer,
        };
        let parts = kiosk::wiring::assemble(
            config,
            ports,
            UiSender::new(update_tx, false),
            commands.clone(),
            Arc::new(SystemClock),
        )
        .unwrap();
        let flow = parts.flow;
        let flow = std::thread::spawn(move || flow.run(&command_rx));
        Self {
            ui,
            port,
            commands,
            flow: Some(flow),
            sync: parts.sync,
            io: Some(parts.io),
            disk,
        }
    }

    /// Applies the flow's updates until `screen` shows (or fails after 60 s).
    pub fn wait_for(&self, screen: Screen) {
        let start = Instant::now();
        loop {
            self.port.pump();
            if self.ui.screen() == screen {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "waited for {screen:?}, still on {:?}",
                self.ui.screen()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Taps the element labelled `label` once it is on screen and enabled
    /// (a button waiting for the CA's answer is shown disabled; a tap on it
    /// would do nothing, as for a customer). Fails after 30 s.
    pub fn touch(&self, label: &str) {
        let start = Instant::now();
        loop {
            let element = ElementHandle::find_by_accessible_label(self.ui.window(), label)
                .find(|e| e.accessible_enabled() != Some(false));
            if let Some(element) = element {
                element.invoke_accessible_default_action();
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no enabled element labelled {label:?} on {:?}",
                self.ui.screen()
            );
            std::thread::sleep(Duration::from_millis(20));
            self.port.pump();
        }
    }

    /// Whether any element on screen says `text` (texts are their own
    /// accessible labels).
    pub fn shows(&self, text: &str) -> bool {
        self.ui
            .window()
            .root_element()
            .visit_descendants(|e| {
                let says = |s: Option<slint::SharedString>| s.is_some_and(|s| s.contains(text));
                if says(e.accessible_label()) || says(e.accessible_value()) {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            })
            .is_some()
    }

    /// Applies updates until `text` shows (or fails after 30 s).
    pub fn wait_text(&self, text: &str) {
        let start = Instant::now();
        while !self.shows(text) {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{text:?} never showed on {:?}",
                self.ui.screen()
            );
            std::thread::sleep(Duration::from_millis(20));
            self.port.pump();
        }
    }

    /// Touches the field labelled `label` (the keyboard opens for it).
    pub fn focus(&self, label: &str) {
        self.port.pump();
        // Laid out as shown: a part that appeared with the last update (a
        // page's instructions above its form) is only placed when drawn.
        let _ = self.ui.window().window().take_snapshot();
        let field = ElementHandle::find_by_accessible_label(self.ui.window(), label)
            .find(|e| {
                e.accessible_role() == Some(i_slint_backend_testing::AccessibleRole::TextInput)
            })
            .unwrap_or_else(|| panic!("no field labelled {label:?}"));
        // A touch at its middle (the testing backend's mock click moves a
        // mock clock this kiosk, on real time, does not have).
        let (p, s) = (field.absolute_position(), field.size());
        let position = slint::LogicalPosition::new(p.x + s.width / 2.0, p.y + s.height / 2.0);
        let window = self.ui.window().window();
        let button = slint::platform::PointerEventButton::Left;
        window.dispatch_event(slint::platform::WindowEvent::PointerPressed { position, button });
        window.dispatch_event(slint::platform::WindowEvent::PointerReleased { position, button });
        assert!(self.shows_label("键盘"), "the keyboard opens for {label:?}");
    }

    fn shows_label(&self, label: &str) -> bool {
        ElementHandle::find_by_accessible_label(self.ui.window(), label)
            .next()
            .is_some()
    }

    /// Taps each character of `keys` on the on-screen keyboard.
    pub fn keys(&self, keys: &str) {
        for key in keys.chars() {
            self.touch(&key.to_string());
        }
    }

    /// Types `pinyin` on the letter keys, then picks from the candidate
    /// bar (paging on) the longest candidate that starts what is still
    /// wanted, until `want` is typed.
    pub fn pinyin(&self, pinyin: &str, want: &str) {
        self.keys(pinyin);
        let bar = self.ui.window().global::<kiosk_ui::KeyboardAdapter>();
        let mut left = want.to_owned();
        let mut pages = 0;
        while !left.is_empty() {
            use slint::Model;
            let best = bar
                .get_candidates()
                .iter()
                .map(|c| c.to_string())
                .filter(|c| left.starts_with(c.as_str()))
                .max_by_key(|c| c.chars().count());
            match best {
                Some(best) => {
                    self.touch(&best);
                    left = left[best.len()..].to_owned();
                    pages = 0;
                }
                None => {
                    pages += 1;
                    assert!(pages < 20, "{left:?} never offered for {pinyin:?}");
                    self.touch("下一页");
                }
            }
        }
    }

    pub fn type_pin(&self, pin: &str) {
        for digit in pin.chars() {
            self.touch(&digit.to_string());
        }
        self.touch("确定");
    }

    /// The payment QR code on the screen, read from a screenshot as a
    /// phone would (waits until the CA's QR code is shown).
    pub fn read_qr(&self) -> String {
        let start = Instant::now();
        loop {
            self.port.pump();
            let shot = self.ui.window().window().take_snapshot().unwrap();
            let (w, h) = (shot.width(), shot.height());
            let rgb: Vec<u8> = shot
                .as_slice()
                .iter()
                .flat_map(|p| [p.r, p.g, p.b])
                .collect();
            let codes = kiosk_camera::qr::decode_qr(&Frame::new(w, h, rgb).unwrap());
            if let Some(code) = codes.into_iter().next() {
                return code;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no QR code on the payment screen"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Saves what the screen shows as a PNG (for a failing test's author).
    pub fn screenshot(&self, path: &Path) {
        self.port.pump();
        let shot = self.ui.window().window().take_snapshot().unwrap();
        let rgb: Vec<u8> = shot
            .as_slice()
            .iter()
            .flat_map(|p| [p.r, p.g, p.b])
            .collect();
        image::save_buffer(
            path,
            &rgb,
            shot.width(),
            shot.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    }

    /// A power cut: the flow thread is stopped where it is (its journal
    /// holds the last state), the sync runtime dropped.
    pub fn cut_power(mut self) {
        let _ = self.commands.send(FlowCommand::Stop);
        if let Some(flow) = self.flow.take() {
            flow.join().unwrap();
        }
        drop(self.sync.take());
        if let Some(io) = self.io.take() {
            io.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

pub fn config(dir: &Path, ca_url: &str) -> Config {
    config_with(dir, ca_url, "")
}

/// The same with `extra` TOML appended (e.g. a `[ui]` table).
pub fn config_with(dir: &Path, ca_url: &str, extra: &str) -> Config {
    config_as(dir, ca_url, "TYA", extra)
}

/// The configuration of the kiosk with this code, its files in `dir`,
/// trusting the CA's root (`ca-root.der` in its data directory).
pub fn config_as(dir: &Path, ca_url: &str, kiosk_code: &str, extra: &str) -> Config {
    config_trusting(dir, ca_url, kiosk_code, extra, &["ca-root.der"])
}

/// The same, trusting the root files `roots`.
pub fn config_trusting(
    dir: &Path,
    ca_url: &str,
    kiosk_code: &str,
    extra: &str,
    roots: &[&str],
) -> Config {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("kiosk.toml");
    std::fs::write(
        &path,
        format!(
            "kiosk_code = \"{kiosk_code}\"\ndata_dir = \"{data}\"\n\
             [ca]\nurl = \"{ca_url}\"\ncertificate_roots = {roots:?}\npayment_poll_seconds = 1\n\
             [printer]\nuri = \"file:{data}/receipts.escpos\"\npreview_dir = \"receipts\"\nfollow_url_base = \"{ca_url}/track?order=\"\n\
             [camera]\nsource = \"files:receipts\"\n\
             [key_writer]\nmodules = [\"{module}\"]\n",
            data = dir.join("kiosk").display(),
            module = kiosk_tests::softhsm::MODULE,
            roots = roots,
        ) + extra,
    )
    .unwrap();
    Config::load(Some(&path)).unwrap()
}

/// The configuration of a kiosk that serves the demonstration key: its
/// certificate is the demonstration CA's, and so is every renewal of it,
/// so the kiosk trusts that root too (`kiosk::demo::provision_key` writes
/// both).
pub fn demo_config(dir: &Path, ca_url: &str, kiosk_code: &str, extra: &str) -> Config {
    let roots = ["ca-root.der", "ca-demo-root.der"];
    config_trusting(dir, ca_url, kiosk_code, extra, &roots)
}

/// The CA service in `dir/ca` and the kiosk's configuration (with `extra`
/// TOML), the token holding the demo certificate: a world ready to renew.
pub fn world(dir: &Path, extra: &str) -> (Ca, Config) {
    let ca = Ca::start(&dir.join("ca"), 0);
    let config = demo_config(dir, &ca.url, "TYA", extra);
    kiosk::demo::provision_key(&config, &ca.staff_url, PIN).unwrap();
    (ca, config)
}

/// The customer's way from home to 确认信息.
pub fn up_to_confirm(kiosk: &Kiosk) {
    kiosk.wait_for(Screen::Home);
    kiosk.touch("更新证书");
    kiosk.wait_for(Screen::Certificates);
    assert!(kiosk.shows("演示科技有限公司"), "the certificate's holder");
    kiosk.touch("更新此证书");
    kiosk.wait_for(Screen::Pin);
    kiosk.type_pin(PIN);
    kiosk.wait_for(Screen::Confirm);
}

/// The customer's way from home to the payment screen.
pub fn up_to_payment(kiosk: &Kiosk) {
    up_to_confirm(kiosk);
    kiosk.touch("确认并提交");
    kiosk.wait_for(Screen::Payment);
}

/// The blank key's PIN, as staff set it (the test token's).
pub const PIN_FOR_TESTS: &str = PIN;

/// `pkcs11-tool`'s listing of the token's objects of `kind` (`cert`, `data`).
pub fn objects_on_token(kind: &str) -> String {
    let out = Command::new("pkcs11-tool")
        .args([
            "--module",
            kiosk_tests::softhsm::MODULE,
            "--login",
            "--pin",
            PIN,
        ])
        .args(["--list-objects", "--type", kind])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn labels_on_token() -> String {
    let out = Command::new("pkcs11-tool")
        .args([
            "--module",
            kiosk_tests::softhsm::MODULE,
            "--login",
            "--pin",
            PIN,
        ])
        .args(["--list-objects", "--type", "cert"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}
