//! The serial transport against a real pty pair made by socat: the driver
//! opens one end, a simulated printer (serialport too) serves the other.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use common::{FOLLOW, HEALTHY, PAPER_OUT, SimPrinter, contains, ctx};
use kiosk_domain::fixtures;
use kiosk_domain::lang::Lang;
use kiosk_domain::ports::printer::{PaperState, ReceiptPrinter, receipt_for};
use kiosk_domain::ports::{DeviceError, DeviceErrorKind};
use kiosk_printer::decode::{Item, decode};
use kiosk_printer::{EscPosPrinter, PrinterProfile, PrinterUri};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A socat pty pair: `printer` for the driver, `host` for the simulated printer.
struct Socat {
    child: Child,
    dir: tempfile::TempDir,
}

impl Socat {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let link = |name: &str| format!("pty,raw,echo=0,link={}", dir.path().join(name).display());
        let child = Command::new("socat")
            .args(["-d", "-d", &link("printer"), &link("host")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("socat must be installed (apt-get install socat)");
        let socat = Self { child, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !(socat.printer().exists() && socat.host().exists()) {
            assert!(Instant::now() < deadline, "socat made no ptys");
            std::thread::sleep(Duration::from_millis(20));
        }
        socat
    }

    fn printer(&self) -> PathBuf {
        self.dir.path().join("printer")
    }

    fn host(&self) -> PathBuf {
        self.dir.path().join("host")
    }

    fn uri(&self) -> PrinterUri {
        format!("serial:{}?baud=115200", self.printer().display())
            .parse()
            .unwrap()
    }

    fn sim(&self, answers: Option<common::Answers>) -> SimPrinter {
        SimPrinter::start(open_host(&self.host()), answers)
    }
}

impl Drop for Socat {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn open_host(path: &Path) -> Box<dyn serialport::SerialPort> {
    serialport::new(path.to_str().unwrap(), 115_200)
        .timeout(Duration::from_millis(150))
        .open()
        .unwrap()
}

#[test]
fn prints_renewal_and_application_receipts_over_a_serial_line() {
    let socat = Socat::start();
    let sim = socat.sim(Some(HEALTHY));
    let mut printer = EscPosPrinter::open(&socat.uri(), PrinterProfile::mm58()).unwrap();
    let status = printer.status().unwrap();
    assert_eq!(status.paper, PaperState::Ok);
    assert_eq!(status.online, Some(true));

    let renewal = fixtures::renewal_order(17);
    let application = fixtures::application_order(18);
    printer
        .print(&receipt_for(&renewal, &ctx(Lang::ZhCn)))
        .unwrap();
    printer
        .print(&receipt_for(&application, &ctx(Lang::ZhCn)))
        .unwrap();
    drop(printer);
    let bytes = sim.finish();

    // Nothing personal left the kiosk in clear.
    assert!(!contains(&bytes, fixtures::MOBILE.as_bytes()));
    assert!(!contains(&bytes, fixtures::RESIDENT_ID.as_bytes()));

    let decoded = decode(&bytes).unwrap();
    // The explicit status() call, then one status check before each receipt.
    let queries: Vec<&Item> = decoded
        .items
        .iter()
        .filter(|i| matches!(i, Item::StatusQuery(_)))
        .collect();
    assert_eq!(queries.len(), 9);
    assert_eq!(
        decoded.items[..3],
        [
            Item::StatusQuery(1),
            Item::StatusQuery(2),
            Item::StatusQuery(4)
        ]
    );

    let texts = decoded.texts();
    let has = |line: &str| texts.iter().any(|t| t == line);
    for line in [
        "数字证书更新回执",
        "订单号",
        renewal.number.as_str(),
        "金额 ¥300.00",
        "订单状态 待支付",
        "持有单位 山西示例煤业有限公司",
        "证书序列号 1A2B3C4D",
        "联系人 张*",
        "联系电话 138****8000",
        "安装状态 待安装",
        "数字证书申请回执",
        application.number.as_str(),
        "订单状态 待审核",
        "金额 ¥500.00",
        "经办人 李*",
        "身份证号 110***********002X",
        "手机号码 138****8000",
        "电子印章 1枚",
        "领取方式 邮寄领取",
        "终端编号 TYA-01",
        "服务热线 0351-0000000",
    ] {
        assert!(has(line), "{line:?} not printed: {texts:#?}");
    }
    // The order number is printed large.
    let number = decoded
        .lines()
        .find(|l| l.text == renewal.number.as_str())
        .unwrap();
    assert!(number.bold && number.width == 2 && number.height == 2);

    let qrs: Vec<String> = decoded.qrs().map(|q| q.payload.clone()).collect();
    assert_eq!(
        qrs,
        [
            format!("{FOLLOW}{}", renewal.number),
            format!("{FOLLOW}{}", application.number)
        ]
    );
    assert!(decoded.qrs().all(|q| q.model == 2 && q.level == 'M'));
    assert_eq!(decoded.cuts(), 2);
    assert_eq!(decoded.items.last(), Some(&Item::Cut));
}

#[test]
fn paper_out_is_reported_before_anything_is_printed() {
    let socat = Socat::start();
    let sim = socat.sim(Some(PAPER_OUT));
    let mut printer = EscPosPrinter::open(&socat.uri(), PrinterProfile::mm80()).unwrap();
    let err = printer
        .print(&receipt_for(&fixtures::renewal_order(1), &ctx(Lang::ZhCn)))
        .unwrap_err();
    assert_eq!(err.kind(), DeviceErrorKind::PaperOut);
    drop(printer);
    // Only the status queries went out.
    assert_eq!(sim.finish(), b"\x10\x04\x01\x10\x04\x02\x10\x04\x04");
}

#[test]
fn a_printer_that_does_not_answer_is_absent() {
    let socat = Socat::start();
    let sim = socat.sim(None);
    let mut printer = EscPosPrinter::open(&socat.uri(), PrinterProfile::mm80()).unwrap();
    let err = printer.status().unwrap_err();
    assert_eq!(err.kind(), DeviceErrorKind::Absent);
    drop(printer);
    assert_eq!(sim.finish(), b"\x10\x04\x01");
}

#[test]
fn a_port_in_use_is_busy_and_a_missing_one_absent() {
    let socat = Socat::start();
    let _first = EscPosPrinter::open(&socat.uri(), PrinterProfile::mm80()).unwrap();
    let err = EscPosPrinter::open(&socat.uri(), PrinterProfile::mm80()).unwrap_err();
    assert_eq!(err.kind(), DeviceErrorKind::Busy, "{err}");
    let missing: PrinterUri = format!("serial:{}", socat.dir.path().join("nope").display())
        .parse()
        .unwrap();
    let err = EscPosPrinter::open(&missing, PrinterProfile::mm80()).unwrap_err();
    assert_eq!(err.kind(), DeviceErrorKind::Absent, "{err}");
}
