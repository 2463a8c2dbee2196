//! The back office page in headless Chromium (Debian `chromium`): the page
//! renders the seeded orders and a kiosk's call for staff, and a person
//! approves one order and rejects another (with a typed reason) and goes
//! to the kiosk (前往处理) by clicking the page's own form buttons. The
//! browser is driven over the Chrome DevTools Protocol on a pipe
//! (`--remote-debugging-pipe`: fd 3 in, fd 4 out, NUL-separated JSON), so no
//! WebSocket client or driver binary is needed.
//!
//! The browser is a clerk's: it reaches the staff listener over mutual TLS
//! with a staff certificate in its own certificate store (an NSS database
//! in its home, made with `certutil` and `pk12util`), chosen by the
//! `AutoSelectCertificateForUrls` policy as a managed Chromium would be;
//! the policy directory is bound over `/etc/chromium` in a mount namespace
//! of the browser's own (`unshare`), so the machine's is never touched.
//! Without the certificate the same page does not load.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test, with its location"
)]

mod common;

use ca_service::{Listener, Options};
use common::*;
use kiosk_sync_wire::feed::StatusV1;
use kiosk_sync_wire::problem::ProblemCode;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

const CHROMIUM: &str = "chromium";

/// Flags for a throw-away headless browser (root in containers: no sandbox).
fn flags(profile: &std::path::Path) -> Vec<String> {
    vec![
        "--headless".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-extensions".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        format!("--user-data-dir={}", profile.display()),
    ]
}

fn require_chromium() {
    let found = Command::new(CHROMIUM)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "headless Chromium is needed for the back office test: apt-get install chromium"
    );
}

/// Runs `program` with `args` in `dir`, expecting success.
fn run(dir: &Path, program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e} (bash scripts/bootstrap.sh installs it)"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A clerk's browser: the CAs and certificates of one test (made with
/// `openssl`), the clerk's certificate in an NSS store in the browser's
/// home, and the policy that presents it to the staff listener.
struct Clerk {
    dir: tempfile::TempDir,
}

impl Clerk {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join("ext.cnf"),
            "[server]\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n\
             [client]\nextendedKeyUsage=clientAuth\n",
        )
        .unwrap();
        let key = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        for (name, cn) in [
            ("server-ca", "CA service root"),
            ("staff-ca", "CA staff CA"),
        ] {
            let (k, c, subj) = (
                format!("{name}.key"),
                format!("{name}.pem"),
                format!("/CN={cn}"),
            );
            let mut args = vec!["req", "-x509"];
            args.extend(key);
            args.extend(["-keyout", &k, "-out", &c, "-subj", &subj, "-days", "2"]);
            run(d, "openssl", &args);
        }
        for (name, cn, ca, ext) in [
            ("server", "127.0.0.1", "server-ca", "server"),
            ("clerk", "clerk-01", "staff-ca", "client"),
        ] {
            let (k, r, c) = (
                format!("{name}.key"),
                format!("{name}.csr"),
                format!("{name}.pem"),
            );
            let subj = format!("/CN={cn}");
            let mut args = vec!["req"];
            args.extend(key);
            args.extend(["-keyout", &k, "-out", &r, "-subj", &subj]);
            run(d, "openssl", &args);
            let (ca_pem, ca_key) = (format!("{ca}.pem"), format!("{ca}.key"));
            run(
                d,
                "openssl",
                &[
                    "x509",
                    "-req",
                    "-in",
                    &r,
                    "-CA",
                    &ca_pem,
                    "-CAkey",
                    &ca_key,
                    "-CAcreateserial",
                    "-out",
                    &c,
                    "-days",
                    "1",
                    "-extfile",
                    "ext.cnf",
                    "-extensions",
                    ext,
                ],
            );
        }
        run(
            d,
            "openssl",
            &[
                "pkcs12",
                "-export",
                "-in",
                "clerk.pem",
                "-inkey",
                "clerk.key",
                "-out",
                "clerk.p12",
                "-passout",
                "pass:",
            ],
        );
        let nss = d.join("home/.pki/nssdb");
        std::fs::create_dir_all(&nss).unwrap();
        let db = format!("sql:{}", nss.display());
        run(d, "certutil", &["-N", "-d", &db, "--empty-password"]);
        run(
            d,
            "certutil",
            &[
                "-A",
                "-d",
                &db,
                "-n",
                "CA service root",
                "-t",
                "C,,",
                "-i",
                "server-ca.pem",
            ],
        );
        run(d, "pk12util", &["-i", "clerk.p12", "-d", &db, "-W", ""]);
        Self { dir }
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.dir.path().join(name)).unwrap()
    }

    /// Chromium's managed policy for the staff listener at `origin`, in a
    /// directory that stands for `/etc/chromium`.
    fn policy(&self, origin: &str) -> PathBuf {
        let etc = self.dir.path().join("etc-chromium");
        std::fs::create_dir_all(etc.join("policies/managed")).unwrap();
        let pattern = json!({"pattern": origin, "filter": {"ISSUER": {"CN": "CA staff CA"}}});
        let policy = json!({"AutoSelectCertificateForUrls": [pattern.to_string()]});
        std::fs::write(
            etc.join("policies/managed/kiosk-ca-staff.json"),
            policy.to_string(),
        )
        .unwrap();
        etc
    }

    /// A shell command line that runs `chromium_args` as this clerk: the
    /// clerk's home, the policy bound over `/etc/chromium` in a private
    /// mount namespace (a user namespace too when not root).
    fn command(&self, origin: &str, chromium_args: &str) -> String {
        let etc = self.policy(origin);
        // Root binds over /etc/chromium in a mount namespace; anyone else
        // in a user namespace of their own first.
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        let unshare = if root {
            "unshare --mount --propagation private"
        } else {
            "unshare --user --map-root-user --mount --propagation private"
        };
        format!(
            "env HOME={home} {unshare} sh -c 'mount --bind {etc} /etc/chromium && exec {CHROMIUM} {chromium_args}'",
            home = self.dir.path().join("home").display(),
            etc = etc.display(),
        )
    }
}

/// Serves `ca`'s staff listener over mutual TLS with the clerk's CAs.
async fn staff_tls(ca: &Running, clerk: &Clerk) -> (std::net::SocketAddr, oneshot::Sender<()>) {
    let tls = ca_service::tls::server_config(
        &clerk.read("server.pem"),
        &clerk.read("server.key"),
        &clerk.read("staff-ca.pem"),
        Listener::Staff,
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let router = ca.service.router(Listener::Staff);
    tokio::spawn(async move {
        ca_service::run_tls(listener, router, tls, Listener::Staff, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    (addr, stop)
}

/// The Chrome DevTools Protocol over the browser's pipe.
struct Cdp {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
    next_id: u64,
}

impl Cdp {
    fn launch(clerk: &Clerk, origin: &str, profile: &std::path::Path) -> Self {
        // The shell moves the pipes to the descriptors Chromium expects;
        // `timeout` bounds a hung browser.
        let chromium = clerk.command(
            origin,
            &format!(
                "{} --remote-debugging-pipe about:blank",
                flags(profile).join(" ")
            ),
        );
        let mut child = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "exec 3<&0 4>&1 </dev/null >/dev/null; exec timeout 30 {chromium}"
            ))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let input = child.stdin.take().unwrap();
        let output = BufReader::new(child.stdout.take().unwrap());
        Self {
            child,
            input,
            output,
            next_id: 0,
        }
    }

    /// Sends a command and returns its `result`, skipping events.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let mut message = json!({"id": self.next_id, "method": method, "params": params});
        if let Some(s) = session {
            message["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&message).unwrap();
        bytes.push(0);
        self.input.write_all(&bytes).unwrap();
        self.input.flush().unwrap();
        loop {
            let mut buf = Vec::new();
            let n = self.output.read_until(0, &mut buf).unwrap();
            assert!(n > 0, "the browser went away during {method}");
            buf.pop();
            let answer: Value = serde_json::from_slice(&buf).unwrap();
            if answer["id"] == json!(self.next_id) {
                assert!(answer.get("error").is_none(), "{method}: {answer}");
                return answer["result"].clone();
            }
        }
    }

    /// Evaluates `expression` in the page and returns its value.
    fn eval(&mut self, session: &str, expression: &str) -> Value {
        let r = self.call(
            Some(session),
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        );
        r["result"]["value"].clone()
    }

    /// Waits until `expression` is true in the page.
    fn wait_for(&mut self, session: &str, expression: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.eval(session, expression) != json!(true) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {expression}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A real mouse click at the middle of the element `id`.
    fn click(&mut self, session: &str, id: &str) {
        let rect = self.eval(
            session,
            &format!(
                "(() => {{ const e = document.getElementById('{id}'); e.scrollIntoView(); \
                 const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()"
            ),
        );
        let (x, y) = (rect[0].clone(), rect[1].clone());
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                Some(session),
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            );
        }
    }
}

impl Drop for Cdp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_back_office_lists_orders_and_a_person_approves_and_rejects_in_chromium() {
    require_chromium();
    let ca = start(demo()).await;
    let approve = seed_application(&ca, 1).await;
    let reject = seed_application(&ca, 2).await;
    // Some payment state and an SMS to show.
    let due = kiosk_domain::fixtures::application_order(1).amount;
    let r = ca
        .post_json(
            "/v1/payments",
            &json!({"order_number": approve, "amount_fen": due.0}),
        )
        .await;
    assert_eq!(r.status(), 201);
    ca.post_json(
        "/v1/sms/codes",
        &json!({"mobile": "13800138000", "purpose": "register", "uscc": kiosk_domain::fixtures::USCC}),
    )
    .await;
    // A customer at kiosk TYA calls for staff from the PIN pad.
    let call = "00000000000000c1";
    let r = ca
        .http
        .put(ca.url(&format!("/v1/kiosks/TYA/staff-calls/{call}")))
        .json(&json!({"screen": "pin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let clerk = std::sync::Arc::new(Clerk::new());
    let (staff, _stop) = staff_tls(&ca, &clerk).await;
    let origin = format!("https://127.0.0.1:{}", staff.port());
    let url = format!("{origin}/admin");
    let profile = tempfile::tempdir().unwrap();

    // 1. The rendered DOM, as `chromium --headless --dump-dom` sees it:
    //    with the clerk's certificate, and without (no page at all).
    let dump = |with_certificate: bool, profile: PathBuf| {
        let (clerk, origin, url) = (clerk.clone(), origin.clone(), url.clone());
        tokio::task::spawn_blocking(move || {
            let args = format!("{} --dump-dom {url}", flags(&profile).join(" "));
            let line = if with_certificate {
                clerk.command(&origin, &args)
            } else {
                format!("{CHROMIUM} {args}")
            };
            let out = Command::new("timeout")
                .args(["30", "bash", "-c", &line])
                .stderr(Stdio::null())
                .output()
                .unwrap();
            String::from_utf8(out.stdout).unwrap()
        })
    };
    let stranger = dump(false, profile.path().join("stranger")).await.unwrap();
    assert!(!stranger.contains("CA后台"), "{stranger}");
    let dom = dump(true, profile.path().join("dump")).await.unwrap();
    assert!(dom.contains("CA后台"), "{dom}");
    assert!(
        dom.contains(&format!("<tr id=\"order-{approve}\">")),
        "{dom}"
    );
    assert!(dom.contains("待审核"));
    assert!(dom.contains(&format!("待支付 {due}")), "{dom}");
    assert!(dom.contains("13800138000"));
    assert!(dom.contains("呼叫工作人员"), "{dom}");
    assert!(
        dom.contains(&format!(
            "<tr id=\"call-TYA-{call}\"><td>TYA</td><td>输入PIN码</td>"
        )),
        "{dom}"
    );

    // 2. A person clicks 通过 on one order, types a reason and clicks 不通过
    //    on the other.
    let cdp_profile = profile.path().join("cdp");
    let (a, r) = (approve.clone(), reject.clone());
    tokio::task::spawn_blocking(move || {
        let mut cdp = Cdp::launch(&clerk, &origin, &cdp_profile);
        let target = cdp.call(None, "Target.createTarget", json!({"url": url}));
        let attached = cdp.call(
            None,
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        let session = attached["sessionId"].as_str().unwrap().to_owned();
        let s = session.as_str();
        cdp.wait_for(
            s,
            &format!(
                "document.readyState === 'complete' && !!document.getElementById('approve-{a}')"
            ),
        );
        cdp.click(s, &format!("approve-{a}"));
        cdp.wait_for(
            s,
            &format!(
                "document.readyState === 'complete' && !document.getElementById('approve-{a}') \
                 && !!document.getElementById('reject-{r}')"
            ),
        );
        cdp.click(s, &format!("reason-{r}"));
        cdp.call(
            Some(s),
            "Input.insertText",
            json!({"text": "营业执照照片不清晰"}),
        );
        cdp.click(s, &format!("reject-{r}"));
        cdp.wait_for(
            s,
            &format!(
                "document.readyState === 'complete' && !document.getElementById('reject-{r}')"
            ),
        );
        let shown = cdp.eval(
            s,
            &format!("document.querySelector('#order-{a} .status').textContent"),
        );
        assert_eq!(shown, json!("审核通过/待支付"));
        let page = cdp.eval(s, "document.body.innerText");
        assert!(page.as_str().unwrap().contains("营业执照照片不清晰"));
        // 前往处理: the clerk takes the kiosk's call.
        cdp.click(s, &format!("ack-call-TYA-{call}"));
        cdp.wait_for(
            s,
            &format!(
                "document.readyState === 'complete' && !document.getElementById('ack-call-TYA-{call}')"
            ),
        );
        let shown = cdp.eval(
            s,
            &format!("document.querySelector('#call-TYA-{call} .status').textContent"),
        );
        assert_eq!(shown, json!("已由 clerk-01 前往处理"));
    })
    .await
    .unwrap();

    // The kiosk hears that someone is coming.
    let state: Value = ca
        .get(&format!("/v1/kiosks/TYA/staff-calls/{call}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(state["state"], "acknowledged");

    // The decisions reached the feed the kiosks read.
    let feed = ca.service.storage().feed(0, 100, None).unwrap();
    let last = |n: &str| feed.iter().rev().find(|e| e.number == n).unwrap().clone();
    assert_eq!(last(&approve).status, StatusV1::AwaitingPayment);
    let rejected = last(&reject);
    assert_eq!(rejected.status, StatusV1::Rejected);
    assert_eq!(rejected.reason.as_deref(), Some("营业执照照片不清晰"));
    // The order's own page gives the reviewer's reason too.
    let page = ca
        .get(&format!("/admin/orders/{reject}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("不通过原因：营业执照照片不清晰"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_office_forms_refuse_bad_input_with_a_page() {
    let ca = start(Options::default()).await;
    let number = seed_application(&ca, 3).await;
    let empty = ca
        .post_form(
            &format!("/admin/orders/{number}/reject"),
            &[("reason", "  ")],
        )
        .await;
    assert_eq!(empty.status(), 422);
    assert!(empty.text().await.unwrap().contains("操作未完成"));
    let approved = ca
        .post_form(&format!("/admin/orders/{number}/approve"), &[])
        .await;
    assert_eq!(approved.status(), 303);
    assert_eq!(approved.headers()["location"], "/admin");
    // Twice: the status table refuses.
    let again = ca
        .post_form(&format!("/admin/orders/{number}/approve"), &[])
        .await;
    assert_eq!(again.status(), 409);
    let unknown = ca.post_form("/admin/remittances/rem_x/confirm", &[]).await;
    assert_eq!(unknown.status(), 404);
    // Markup typed by a customer is shown as text.
    ca.post_json(
        &format!("/v1/orders/{}/remittance", number),
        &json!({"payer_name": "<b>张三</b>", "bank_reference": "B<1>", "amount_fen": 100}),
    )
    .await;
    let html = ca.get("/admin").await.text().await.unwrap();
    assert!(html.contains("&lt;b&gt;张三&lt;/b&gt;"));
    assert!(!html.contains("<b>张三"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_office_forms_need_their_token_and_the_staff_listener_its_host() {
    let ca = start(Options {
        staff_hosts: vec!["ca-office.example.cn".to_owned()],
        ..Options::default()
    })
    .await;
    let number = seed_application(&ca, 4).await;
    let approve = ca.staff_url(&format!("/admin/orders/{number}/approve"));
    // A page on another site makes the clerk's browser post the form: it
    // cannot read the token, so it sends none, or a guess.
    let none = ca.http.post(&approve).send().await.unwrap();
    expect_problem(none, 403, ProblemCode::Forbidden).await;
    let guessed = ca
        .http
        .post(&approve)
        .form(&[("csrf", "0".repeat(64))])
        .send()
        .await
        .unwrap();
    expect_problem(guessed, 403, ProblemCode::Forbidden).await;
    // Another member of staff's token is not this one's either.
    let other = ca
        .service
        .csrf_token(&ca_service::Caller::Staff("王芳".to_owned()))
        .unwrap();
    let theirs = ca
        .http
        .post(&approve)
        .form(&[("csrf", other.as_str())])
        .send()
        .await
        .unwrap();
    expect_problem(theirs, 403, ProblemCode::Forbidden).await;
    let record = ca.service.storage().order(&number).unwrap().unwrap();
    assert_eq!(
        record.status.as_str(),
        "pending_review",
        "nothing was decided"
    );

    // The page writes this clerk's token into every form it shows.
    let token = ca.service.csrf_token(&ca_service::Caller::Local).unwrap();
    let html = ca.get("/admin").await.text().await.unwrap();
    assert!(
        html.contains(&format!("name=\"csrf\" value=\"{token}\"")),
        "{html}"
    );
    assert!(!html.contains("@csrf@"));
    assert_eq!(
        ca.post_form(&format!("/admin/orders/{number}/approve"), &[])
            .await
            .status(),
        303
    );

    // The staff API is no easier: a cross-site form (urlencoded, or no
    // body at all) cannot approve an application; only JSON, which a page
    // cannot send to another site without a preflight, is heard.
    let other = seed_application(&ca, 5).await;
    let api = ca.staff_url(&format!("/v1/admin/orders/{other}/approve"));
    let forged = ca.http.post(&api).form(&[("x", "1")]).send().await.unwrap();
    expect_problem(forged, 415, ProblemCode::UnsupportedMediaType).await;
    let bare = ca.http.post(&api).send().await.unwrap();
    expect_problem(bare, 415, ProblemCode::UnsupportedMediaType).await;
    let plain = ca
        .http
        .post(&api)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    expect_problem(plain, 415, ProblemCode::UnsupportedMediaType).await;
    let record = ca.service.storage().order(&other).unwrap().unwrap();
    assert_eq!(record.status.as_str(), "pending_review");
    assert_eq!(
        ca.post_json(&format!("/v1/admin/orders/{other}/approve"), &json!({}))
            .await
            .status(),
        200
    );

    // DNS rebinding: a name that is not the back office's is refused; IP
    // addresses, localhost and the configured name are served.
    let as_host = |host: &'static str| {
        let (http, url) = (ca.http.clone(), ca.staff_url("/admin"));
        async move { http.get(url).header("host", host).send().await.unwrap() }
    };
    expect_problem(as_host("evil.example").await, 403, ProblemCode::Forbidden).await;
    for host in [
        "ca-office.example.cn:8444",
        "localhost:8444",
        "127.0.0.1:8444",
    ] {
        assert_eq!(as_host(host).await.status(), 200, "{host}");
    }
}
