//! The bench's own X server: an Xvfb screen, its screenshots (`xwd`), taps
//! on it (`xdotool`), and what is where on a screenshot (areas of one
//! colour), so that the kiosk is driven by what it shows, as a customer
//! would, not by fixed coordinates.

use std::collections::HashSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const WIDTH: u32 = 1080;
pub const HEIGHT: u32 = 1920;

/// An Xvfb server of our own on a free display, black root.
pub struct Xvfb {
    child: Child,
    pub display: String,
}

impl Xvfb {
    pub fn start() -> Self {
        let n = (90..200)
            .find(|n| {
                !Path::new(&format!("/tmp/.X{n}-lock")).exists()
                    && !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
            })
            .expect("a free X display");
        let display = format!(":{n}");
        let child = Command::new("Xvfb")
            .args([
                &display,
                "-screen",
                "0",
                &format!("{WIDTH}x{HEIGHT}x24"),
                "-nolisten",
                "tcp",
                "-br",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb (Debian xvfb)");
        let socket = format!("/tmp/.X11-unix/X{n}");
        let start = Instant::now();
        while !Path::new(&socket).exists() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "Xvfb never started"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let x = Self { child, display };
        // The socket can exist a moment before the server answers.
        while Command::new("xwd")
            .args(["-root", "-silent", "-display", &x.display])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_or(true, |s| !s.success())
        {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "Xvfb never answered"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        x
    }

    /// The whole screen through `xwd` (Debian `x11-apps`).
    pub fn screenshot(&self) -> Shot {
        let out = Command::new("xwd")
            .args(["-root", "-silent", "-display", &self.display])
            .output()
            .expect("xwd (Debian x11-apps)");
        assert!(out.status.success(), "xwd failed");
        Shot::from_xwd(&out.stdout)
    }

    /// A finger on (x, y) of the screen (`xdotool`, Debian `xdotool`).
    pub fn tap(&self, (x, y): (u32, u32)) {
        let status = Command::new("xdotool")
            .args(["mousemove", &x.to_string(), &y.to_string(), "click", "1"])
            .env("DISPLAY", &self.display)
            .status()
            .expect("xdotool (Debian xdotool)");
        assert!(status.success(), "xdotool failed");
    }
}

impl Xvfb {
    /// Keys typed on a keyboard plugged into the kiosk (`xdotool type`):
    /// what a field takes as typed, without the on-screen keyboard.
    pub fn type_text(&self, text: &str) {
        let status = Command::new("xdotool")
            .args(["type", "--delay", "120", text])
            .env("DISPLAY", &self.display)
            .status()
            .expect("xdotool (Debian xdotool)");
        assert!(status.success(), "xdotool failed");
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        // SIGTERM, so that Xvfb removes its lock file and socket.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// Pixels of an XWD dump (32 bits per pixel at depth 24) as 0xRRGGBB.
pub struct Shot {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u32>,
}

/// A connected area of one colour on a screenshot.
#[derive(Debug, Clone, Copy)]
pub struct Area {
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
    /// Pixels of the colour (holes such as a label's glyphs are not counted).
    pub pixels: u32,
}

impl Area {
    pub fn centre(&self) -> (u32, u32) {
        (self.left + self.width / 2, self.top + self.height / 2)
    }
}

impl Shot {
    fn from_xwd(bytes: &[u8]) -> Self {
        let field = |i: usize| {
            let b = &bytes[i * 4..i * 4 + 4];
            u32::from_be_bytes([b[0], b[1], b[2], b[3]])
        };
        let header = field(0) as usize;
        let (width, height) = (field(4), field(5));
        // Depth 24 in 32 or (once some client asked for it) 24 bits per
        // pixel, lines of `line` bytes either way.
        let line = field(12) as usize;
        let step = field(11) as usize / 8;
        assert!(
            field(3) == 24 && (step == 3 || step == 4) && line >= step * width as usize,
            "xwd: expected depth 24 in 3 or 4 bytes per pixel"
        );
        let ncolors = field(19) as usize;
        let start = header + ncolors * 12;
        let pixels = bytes[start..]
            .chunks_exact(line)
            .take(height as usize)
            .flat_map(|row| {
                row.chunks_exact(step)
                    .take(width as usize)
                    .map(|b| u32::from_le_bytes([b[0], b[1], b[2], 0]))
            })
            .collect();
        Self {
            width,
            height,
            pixels,
        }
    }

    /// Whether an app shows: most of the screen differs from the blank
    /// root, with at least `colours` colours, so that text was drawn (an
    /// unpainted window is one flat colour).
    pub fn shows_app(&self, blank: &[u32], colours: usize) -> bool {
        let changed = self
            .pixels
            .iter()
            .zip(blank)
            .filter(|(a, b)| a != b)
            .count();
        if changed * 2 < self.pixels.len() {
            return false;
        }
        let seen: HashSet<u32> = self.pixels.iter().step_by(7).copied().collect();
        seen.len() >= colours
    }

    /// Every connected area of exactly `colour` (4-neighbours) of at least
    /// `min_pixels`.
    pub fn areas(&self, colour: u32, min_pixels: u32) -> Vec<Area> {
        let (w, h) = (self.width as usize, self.height as usize);
        let mut seen = vec![false; w * h];
        let mut found = Vec::new();
        let mut stack = Vec::new();
        for start in 0..w * h {
            if seen[start] || self.pixels[start] != colour {
                continue;
            }
            seen[start] = true;
            stack.push(start);
            let (mut x0, mut y0, mut x1, mut y1, mut n) = (w, h, 0, 0, 0u32);
            while let Some(i) = stack.pop() {
                let (x, y) = (i % w, i / w);
                x0 = x0.min(x);
                x1 = x1.max(x);
                y0 = y0.min(y);
                y1 = y1.max(y);
                n += 1;
                let mut visit = |j: usize| {
                    if !seen[j] && self.pixels[j] == colour {
                        seen[j] = true;
                        stack.push(j);
                    }
                };
                if x > 0 {
                    visit(i - 1);
                }
                if x + 1 < w {
                    visit(i + 1);
                }
                if y > 0 {
                    visit(i - w);
                }
                if y + 1 < h {
                    visit(i + w);
                }
            }
            if n >= min_pixels {
                found.push(Area {
                    left: x0 as u32,
                    top: y0 as u32,
                    width: (x1 - x0 + 1) as u32,
                    height: (y1 - y0 + 1) as u32,
                    pixels: n,
                });
            }
        }
        found
    }

    /// The screen as RGB bytes (for the QR decoder and PNG files).
    pub fn rgb(&self) -> Vec<u8> {
        self.pixels
            .iter()
            .flat_map(|p| {
                let [_, r, g, b] = p.to_be_bytes();
                [r, g, b]
            })
            .collect()
    }

    pub fn save_png(&self, path: &Path) {
        image::RgbImage::from_raw(self.width, self.height, self.rgb())
            .expect("a whole screen")
            .save(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}
