//! `cargo xtask`: one entry point for what CI runs.
//!
//! ```text
//! cargo xtask ci [ARGS...]     fmt check, clippy, cargo-deny, tests (what CI runs)
//! cargo xtask fmt              format the whole workspace
//! cargo xtask soak [ARGS...]   long soak tests (#[ignore]d), release build
//! cargo xtask image-check      the OS image's host checks (also run by `ci`)
//! cargo xtask image-e2e        the OS image under QEMU, end to end (minutes)
//! ```
//!
//! `ci` runs its steps in order and stops at the first one that fails, naming
//! it and its exit status. Extra arguments after `ci` are passed to
//! `cargo test`, e.g. `cargo xtask ci -- --nocapture`.
//!
//! Soak tests are long-running tests marked `#[ignore]`: `cargo test` and
//! `cargo xtask ci` skip them; only `cargo xtask soak` runs them, as
//! `cargo test --workspace --release -- --ignored`. Arguments after `soak` and
//! before a `--` go to `cargo test`; arguments after the `--` go to the test
//! harness, e.g. `cargo xtask soak -p kiosk-store -- power_loss --nocapture`
//! (with `-p`, `--workspace` is left out so that only those packages run).
//!
//! Cargo is taken from `$CARGO` when set (it is, under `cargo run`), else
//! `cargo` from `PATH`. Every command runs from the workspace root.

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

mod image;

const USAGE: &str = "\
usage: cargo xtask <command> [args...]

commands:
  ci [ARGS...]     what CI runs, in order, stopping at the first failure:
                     cargo fmt --all --check
                     cargo clippy --workspace --all-targets --locked -- -D warnings
                     cargo fetch --locked
                     cargo deny --offline check licenses bans
                     cargo test --workspace --locked [ARGS...]
                     bash image/tests/host-checks.sh   (cargo xtask image-check)
                   e.g. `cargo xtask ci -- --nocapture`
  fmt              cargo fmt --all
  soak [ARGS...]   long soak tests, which are #[ignore]d everywhere else:
                     cargo test --workspace --release [ARGS...] -- --ignored [HARNESS ARGS...]
                   args before a `--` go to cargo test (`-p NAME` replaces --workspace),
                   args after it to the test harness
  image-check      the OS image's host checks: bash image/tests/host-checks.sh
  image-e2e [ARGS...]
                   build the image, boot it under QEMU, updates and rollback:
                     bash image/tests/qemu-e2e.sh [ARGS...]
  help             this text";

/// One command run as a step of a task.
#[derive(Debug)]
struct Step {
    /// Short name used in progress and failure messages.
    name: &'static str,
    /// Arguments to cargo.
    args: Vec<OsString>,
    /// Extra environment for the command.
    envs: Vec<(&'static str, &'static str)>,
    /// Shown when the step fails, if set.
    hint: Option<&'static str>,
    /// Whether this step runs `cargo test`, whose result lines are added up.
    counts_tests: bool,
}

impl Step {
    fn new<I, S>(name: &'static str, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        Self {
            name,
            args: args.into_iter().map(Into::into).collect(),
            envs: Vec::new(),
            hint: None,
            counts_tests: false,
        }
    }

    fn counting_tests(mut self) -> Self {
        self.counts_tests = true;
        self
    }

    fn env(mut self, key: &'static str, value: &'static str) -> Self {
        self.envs.push((key, value));
        self
    }

    fn hint(mut self, hint: &'static str) -> Self {
        self.hint = Some(hint);
        self
    }

    /// The command line as a person would type it.
    fn display(&self) -> String {
        let mut words: Vec<String> = self.envs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        words.push("cargo".to_owned());
        words.extend(self.args.iter().map(|a| a.to_string_lossy().into_owned()));
        words.join(" ")
    }
}

/// Runs steps one after another from the workspace root.
#[derive(Debug)]
struct Runner {
    cargo: OsString,
    root: PathBuf,
    timings: Vec<(&'static str, Duration)>,
    tests: TestCount,
}

/// The sum of every `test result:` line cargo test printed.
#[derive(Debug, Default, Clone, Copy)]
struct TestCount {
    passed: u64,
    failed: u64,
    ignored: u64,
}

impl TestCount {
    /// Adds a line like `test result: ok. 12 passed; 0 failed; 1 ignored; ...`.
    fn add_line(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        for part in rest.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(what), Some(n)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(n) = n.parse::<u64>() else { continue };
            match what {
                "passed" => self.passed += n,
                "failed" => self.failed += n,
                "ignored" => self.ignored += n,
                _ => {}
            }
        }
    }
}

impl Runner {
    fn new() -> Result<Self> {
        let cargo = env::var_os("CARGO")
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| OsString::from("cargo"));
        Ok(Self {
            cargo,
            root: workspace_root()?,
            timings: Vec::new(),
            tests: TestCount::default(),
        })
    }

    fn run(&mut self, step: &Step) -> Result<()> {
        let shown = step.display();
        eprintln!("\n==> [{}] {shown}", step.name);
        let start = Instant::now();
        let mut command = Command::new(&self.cargo);
        command
            .args(&step.args)
            .envs(step.envs.iter().copied())
            .current_dir(&self.root);
        let status = if step.counts_tests {
            self.run_counting(&mut command)
        } else {
            command.status()
        }
        .with_context(|| {
            format!(
                "step `{}` could not start `{}` (is cargo on PATH?)",
                step.name,
                Path::new(&self.cargo).display()
            )
        })?;
        let elapsed = start.elapsed();
        self.timings.push((step.name, elapsed));
        if status.success() {
            eprintln!("<== [{}] ok in {elapsed:.1?}", step.name);
            return Ok(());
        }
        eprintln!("<== [{}] FAILED in {elapsed:.1?}", step.name);
        let mut msg = format!(
            "step `{}` failed ({}): {shown}",
            step.name,
            describe(status)
        );
        if let Some(hint) = step.hint {
            msg.push_str("\n  hint: ");
            msg.push_str(hint);
        }
        bail!(msg)
    }

    /// Runs `cargo test`, passing its output through and adding up results.
    /// Output that is not UTF-8 passes through as it is; the child is always
    /// waited for, even if copying its output fails.
    fn run_counting(&mut self, command: &mut Command) -> std::io::Result<ExitStatus> {
        use std::io::{BufRead, BufReader, Write};
        let mut child = command.stdout(std::process::Stdio::piped()).spawn()?;
        let mut copy = || -> std::io::Result<()> {
            let Some(stdout) = child.stdout.take() else {
                return Ok(());
            };
            let mut reader = BufReader::new(stdout);
            let mut out = std::io::stdout().lock();
            let mut line = Vec::new();
            while reader.read_until(b'\n', &mut line)? > 0 {
                self.tests.add_line(&String::from_utf8_lossy(&line));
                out.write_all(&line)?;
                line.clear();
            }
            out.flush()
        };
        let copied = copy();
        let status = child.wait()?;
        copied?;
        Ok(status)
    }

    fn summary(&self) {
        let total: Duration = self.timings.iter().map(|(_, d)| *d).sum();
        eprintln!("\nxtask: all steps passed in {total:.1?}");
        for (name, elapsed) in &self.timings {
            eprintln!("  {name:<8} {elapsed:.1?}");
        }
        let t = self.tests;
        if t.passed + t.failed + t.ignored > 0 {
            // The last line: every test of every crate, added up.
            println!(
                "tests: {} passed, {} failed, {} skipped",
                t.passed, t.failed, t.ignored
            );
        }
    }
}

/// "exit status 101", or the signal that killed it.
fn describe(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("killed by signal {signal}");
        }
    }
    status.to_string()
}

/// The workspace root: the parent of this crate's directory.
fn workspace_root() -> Result<PathBuf> {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .with_context(|| format!("{} has no parent directory", manifest_dir.display()))
}

fn ci(extra: Vec<OsString>) -> Result<()> {
    let mut test_args: Vec<OsString> = ["test", "--workspace", "--locked"]
        .into_iter()
        .map(OsString::from)
        .collect();
    test_args.extend(extra);

    let steps = [
        Step::new("fmt", ["fmt", "--all", "--check"])
            .hint("run `cargo xtask fmt` to format the workspace"),
        Step::new(
            "clippy",
            [
                "clippy",
                "--workspace",
                "--all-targets",
                "--locked",
                "--",
                "-D",
                "warnings",
            ],
        )
        .hint("fix the lints above; --locked also fails when Cargo.lock is missing or stale (commit it)"),
        // cargo-deny reads every crate of every platform from the local cache
        // (--offline): fetch them all first, not only the ones this host builds.
        Step::new("fetch", ["fetch", "--locked"]),
        // The advisory database cannot be fetched here; licenses and bans need
        // only the local cargo metadata, and --offline keeps that offline too.
        Step::new("deny", ["deny", "--offline", "check", "licenses", "bans"])
            .hint("config is deny.toml; `bash scripts/bootstrap.sh` installs cargo-deny"),
        Step::new("test", test_args)
            .env("RUST_BACKTRACE", "1")
            .counting_tests(),
    ];

    let mut runner = Runner::new()?;
    for step in &steps {
        runner.run(step)?;
    }
    image::check()?;
    runner.summary();
    Ok(())
}

fn fmt() -> Result<()> {
    let mut runner = Runner::new()?;
    runner.run(&Step::new("fmt", ["fmt", "--all"]))?;
    Ok(())
}

fn soak(extra: Vec<OsString>) -> Result<()> {
    let (cargo_extra, harness_extra) = match extra.iter().position(|a| a == "--") {
        Some(i) => (extra[..i].to_vec(), extra[i + 1..].to_vec()),
        None => (extra, Vec::new()),
    };
    // `-p NAME` narrows the run to some packages; with --workspace it would not.
    let picks_packages = cargo_extra.iter().any(|a| {
        a.to_str()
            .is_some_and(|a| a.starts_with("-p") || a.starts_with("--package"))
    });
    let mut args: Vec<OsString> = vec!["test".into()];
    if !picks_packages {
        args.push("--workspace".into());
    }
    args.push("--release".into());
    args.extend(cargo_extra);
    args.push("--".into());
    args.push("--ignored".into());
    args.extend(harness_extra);

    let mut runner = Runner::new()?;
    runner.run(
        &Step::new("soak", args)
            .env("RUST_BACKTRACE", "1")
            .counting_tests(),
    )?;
    runner.summary();
    Ok(())
}

fn real_main() -> Result<()> {
    let mut args = env::args_os().skip(1);
    let Some(command) = args.next() else {
        eprintln!("{USAGE}");
        bail!("no command given");
    };
    let rest: Vec<OsString> = args.collect();
    match command.to_str() {
        Some("ci") => ci(rest),
        Some("fmt") => {
            if !rest.is_empty() {
                bail!("`cargo xtask fmt` takes no arguments");
            }
            fmt()
        }
        Some("soak") => soak(rest),
        Some("image-check") => {
            if !rest.is_empty() {
                bail!("`cargo xtask image-check` takes no arguments");
            }
            image::check()
        }
        Some("image-e2e") => image::e2e(rest),
        Some("help" | "-h" | "--help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => {
            eprintln!("{USAGE}");
            bail!("unknown command {:?}", command)
        }
    }
}

fn main() -> ExitCode {
    match real_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("\nxtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TestCount;

    #[test]
    fn adds_up_cargo_test_result_lines() {
        let mut count = TestCount::default();
        count.add_line("test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s");
        count.add_line(
            "test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out",
        );
        count.add_line("running 5 tests");
        assert_eq!((count.passed, count.failed, count.ignored), (15, 2, 1));
    }
}
