use super::*;

fn load(text: &str) -> Result<Config> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kiosk.toml");
    std::fs::write(&path, text).unwrap();
    Config::load(Some(&path))
}

#[test]
fn the_embedded_defaults_are_valid() {
    let config = Config::load(Some(Path::new("/dev/null"))).unwrap();
    assert_eq!(config.kiosk_code.to_string(), "DEM");
    assert_eq!(config.camera, CameraSource::None);
    assert_eq!(config.ui.orientation.size(), (1080, 1920));
    assert_eq!(config.ui.lang, Lang::ZhCn);
    assert_eq!(config.ca, None);
    assert_eq!(config.store.retention, time::Duration::days(30));
    assert_eq!(config.renewal.old_certificate, RetirePolicy::Keep);
    assert_eq!(config.renewal.price, Fen(30_000));
    assert_eq!(config.printer.uri, None);
    assert_eq!(config.printer.paper, Paper::Mm80);
    assert_eq!(
        config.store.database,
        PathBuf::from("/var/lib/kiosk/store/kiosk.db")
    );
    assert_ne!(
        config.store.database.parent(),
        config.store.key_file.parent(),
        "the key must not sit beside the database"
    );
}

#[test]
fn a_file_overrides_some_keys_and_keeps_the_rest() {
    let config = load("kiosk_code = \"TYA\"\n[store]\nretention_days = 7\n").unwrap();
    assert_eq!(config.kiosk_code.to_string(), "TYA");
    assert_eq!(config.store.retention, time::Duration::days(7));
    assert_eq!(
        config.store.key_file,
        PathBuf::from("/var/lib/kiosk/keys/store.key")
    );
}

#[test]
fn a_data_dir_given_on_the_command_line_moves_every_relative_path() {
    let config = Config::load_with(Some(Path::new("/dev/null")), Some(Path::new("/d"))).unwrap();
    assert_eq!(config.store.database, PathBuf::from("/d/store/kiosk.db"));
    assert_eq!(config.store.key_file, PathBuf::from("/d/keys/store.key"));
}

#[test]
fn key_models_are_checked_and_add_their_modules() {
    let config = load(
        "[[key_writer.models]]\nusb_id = \"096e:0703\"\nname = \"K\"\nmodule = \"/opt/k.so\"\n",
    )
    .unwrap();
    assert_eq!(config.key_writer.models[0].id.to_string(), "096e:0703");
    assert!(
        config
            .key_writer
            .modules
            .contains(&PathBuf::from("/opt/k.so"))
    );
    let err = load(
        "[[key_writer.models]]\nusb_id = \"096e0703\"\nname = \"K\"\nmodule = \"/opt/k.so\"\n",
    )
    .unwrap_err();
    assert!(format!("{err:#}").contains("VID:PID"), "{err:#}");
}

#[test]
fn typos_and_bad_values_are_errors() {
    assert!(load("[store]\nretension_days = 7\n").is_err());
    let err = load("kiosk_code = \"ab\"\n").unwrap_err();
    assert!(format!("{err:#}").contains("kiosk_code"));
    let err = load("[printer]\nuri = \"lpt:1\"\n").unwrap_err();
    assert!(err.to_string().contains("printer.uri"), "{err}");
    let err = load("[printer]\npaper = \"76mm\"\n").unwrap_err();
    assert!(err.to_string().contains("printer.paper"), "{err}");
    let err = load("clock_floor = \"yesterday\"\n").unwrap_err();
    assert!(err.to_string().contains("clock_floor"), "{err}");
}

#[test]
fn typed_values_come_out_parsed() {
    let config = load(
        "[printer]\nuri = \"tcp:192.0.2.10\"\npaper = \"58mm\"\npreview_dir = \"previews\"\n\
         [ui]\nlang = \"en\"\nidle_seconds = 30\nlarge_mode_idle_seconds = 60\nidle_warning_seconds = 5\n",
    )
    .unwrap();
    assert_eq!(
        config.printer.uri,
        Some(PrinterUri::Tcp {
            host: "192.0.2.10".to_owned(),
            port: 9100
        })
    );
    assert_eq!(config.printer.paper, Paper::Mm58);
    assert_eq!(
        config.printer.preview_dir,
        Some(PathBuf::from("/var/lib/kiosk/previews"))
    );
    assert_eq!(config.ui.lang, Lang::En);
    assert_eq!(config.ui.idle.idle, Duration::from_secs(30));
    assert_eq!(config.ui.idle.large_mode_idle, Duration::from_secs(60));
    assert_eq!(config.ui.idle.warning, Duration::from_secs(5));
}

#[test]
fn an_https_ca_needs_its_tls_files_and_plain_http_only_to_this_machine() {
    let err = load("[ca]\nurl = \"https://ca.example:8443\"\n").unwrap_err();
    assert!(err.to_string().contains("mutual TLS"), "{err}");
    let config = load(
        "data_dir = \"/d\"\n[ca]\nurl = \"https://ca.example:8443\"\ntls_roots = \"tls/roots.pem\"\ndevice_identity = \"/etc/kiosk/device.pem\"\n",
    )
    .unwrap();
    assert_eq!(
        config.ca.unwrap().tls,
        Some(TlsFiles {
            roots: PathBuf::from("/d/tls/roots.pem"),
            device_identity: PathBuf::from("/etc/kiosk/device.pem")
        })
    );
    assert!(load("[ca]\nurl = \"http://127.0.0.1:9\"\ntls_roots = \"r.pem\"\n").is_err());
    assert!(load("[ca]\nurl = \"ftp://ca\"\n").is_err());
    for loopback in [
        "http://127.0.0.1:9",
        "http://localhost:8080/",
        "http://[::1]:9",
        "http://127.1.2.3",
    ] {
        let config = load(&format!("[ca]\nurl = \"{loopback}\"\n")).unwrap();
        assert_eq!(config.ca.unwrap().tls, None, "{loopback}");
    }
    for elsewhere in [
        "http://192.168.1.10:8443",
        "http://ca.example.cn",
        "http://[2001:db8::1]:80",
        "http://127.0.0.1.example.cn",
    ] {
        let err = load(&format!("[ca]\nurl = \"{elsewhere}\"\n")).unwrap_err();
        assert!(
            err.to_string().contains("only to this machine"),
            "{elsewhere}: {err}"
        );
    }
}

#[test]
fn camera_sources_and_idle_times_are_checked() {
    let config = load("data_dir = \"/d\"\n[camera]\nsource = \"files:cam\"\n").unwrap();
    assert_eq!(config.camera, CameraSource::Files(PathBuf::from("/d/cam")));
    assert!(load("[camera]\nsource = \"v4l:x\"\n").is_err());
    let err = load("[ui]\nidle_seconds = 200\n").unwrap_err();
    assert!(err.to_string().contains("large_mode_idle_seconds"), "{err}");
    assert!(load("[ui]\nlang = \"fr\"\n").is_err());
}

#[test]
fn the_counters_place_is_one_short_line_or_nothing() {
    assert_eq!(load("").unwrap().ui.counter_location, None);
    let config = load("[ui]\ncounter_location = \" 一楼大厅 3 号窗口 \"\n").unwrap();
    assert_eq!(
        config.ui.counter_location.as_deref(),
        Some("一楼大厅 3 号窗口")
    );
    for bad in ["\"一楼\\n二楼\"", &format!("\"{}\"", "窗".repeat(41))] {
        let err = load(&format!("[ui]\ncounter_location = {bad}\n")).unwrap_err();
        assert!(err.to_string().contains("counter_location"), "{err}");
    }
}
