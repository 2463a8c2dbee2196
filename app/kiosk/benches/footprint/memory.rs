//! Memory of a running process from `/proc`: PSS in total, summed over a
//! process tree, and split by what the memory is (`/proc/PID/smaps`).

use std::collections::{BTreeMap, HashSet};

pub fn pss_kib(pid: u32) -> Option<u64> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    rollup
        .lines()
        .find(|l| l.starts_with("Pss:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse().ok())
}

pub fn threads(pid: u32) -> usize {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Threads:"))
                .and_then(|n| n.trim().parse().ok())
        })
        .unwrap_or(0)
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(1))
        .and_then(|p| p.parse().ok())
}

fn pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
        .collect()
}

pub fn cmdline(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| {
            c.split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The children of `parent` whose command line satisfies `pick`.
pub fn children(parent: u32, pick: impl Fn(&[String]) -> bool) -> Vec<u32> {
    pids()
        .into_iter()
        .filter(|pid| parent_of(*pid) == Some(parent) && pick(&cmdline(*pid)))
        .collect()
}

/// PSS (KiB) summed over `root` and its descendants, plus any process whose
/// command line holds `marker` (Chromium helpers that left the tree), and
/// how many processes that was.
pub fn pss_of_tree(root: u32, marker: Option<&str>) -> (u64, usize) {
    let mut parent = BTreeMap::new();
    let mut ours: HashSet<u32> = HashSet::from([root]);
    for pid in pids() {
        if let Some(ppid) = parent_of(pid) {
            parent.insert(pid, ppid);
        }
        if marker.is_some_and(|marker| cmdline(pid).iter().any(|a| a.contains(marker))) {
            ours.insert(pid);
        }
    }
    loop {
        let before = ours.len();
        for (pid, ppid) in &parent {
            if ours.contains(ppid) {
                ours.insert(*pid);
            }
        }
        if ours.len() == before {
            break;
        }
    }
    let kb: u64 = ours.iter().filter_map(|pid| pss_kib(*pid)).sum();
    let count = ours.iter().filter(|pid| pss_kib(**pid).is_some()).count();
    (kb, count)
}

/// What a process's memory is, in KiB of PSS per kind.
pub type Breakdown = BTreeMap<&'static str, u64>;

/// The kinds, in the order the table shows them.
pub const KINDS: [&str; 7] = [
    "the program's own file (code, read-only data)",
    "shared libraries (.so)",
    "fonts (mapped files)",
    "PKCS#11 module (SoftHSM2 and its libraries)",
    "X11 shared memory (the window's pixels)",
    "heap and anonymous memory (malloc arenas, thread stacks, buffers)",
    "other mappings",
];

/// PSS split by mapping, read from `/proc/PID/smaps`.
pub fn breakdown(pid: u32) -> Breakdown {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let exe = std::fs::read_link(format!("/proc/{pid}/exe"))
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let mut out: Breakdown = KINDS.iter().map(|k| (*k, 0)).collect();
    let mut kind = KINDS[6];
    for line in smaps.lines() {
        let first = line.split_whitespace().next().unwrap_or_default();
        if first.contains('-') && !first.ends_with(':') {
            // A mapping's header: address perms offset dev inode [path].
            let path = line.split_whitespace().nth(5).unwrap_or_default();
            kind = kind_of(path, &exe);
        } else if let Some(kb) = line.strip_prefix("Pss:") {
            let kb: u64 = kb
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            *out.entry(kind).or_default() += kb;
        }
    }
    out
}

fn kind_of(path: &str, exe: &str) -> &'static str {
    let lower = path.to_ascii_lowercase();
    if path.is_empty() || path == "[heap]" || path.starts_with("[stack") || path == "[anon]" {
        KINDS[5]
    } else if path == exe {
        KINDS[0]
    } else if lower.contains("softhsm") || lower.contains("libcrypto") || lower.contains("libssl") {
        // SoftHSM2 loads OpenSSL's libcrypto; the kiosk itself does not link it.
        KINDS[3]
    } else if lower.ends_with(".ttf") || lower.ends_with(".ttc") || lower.ends_with(".otf") {
        KINDS[2]
    } else if path.starts_with("/SYSV") || path.starts_with("/memfd:") || path.contains("shm") {
        KINDS[4]
    } else if lower.contains(".so") {
        KINDS[1]
    } else {
        KINDS[6]
    }
}

/// Resident pages (KiB) of the program's own file in `pid`, by ELF section
/// (`/proc/PID/pagemap` says which pages are in memory; the section headers
/// of the file on disk say what they hold). `embedded` names byte strings
/// to find in the file (e.g. an embedded font's first bytes, with its
/// length), reported apart from the section that holds them.
pub fn program_file_split(
    pid: u32,
    embedded: &[(&'static str, &[u8], usize)],
) -> Vec<(String, u64)> {
    let Ok(exe) = std::fs::read_link(format!("/proc/{pid}/exe")) else {
        return Vec::new();
    };
    let Ok(file) = std::fs::read(&exe) else {
        return Vec::new();
    };
    resident_by_section(pid, &exe, &file, embedded)
}

/// File-offset ranges of the loaded ELF sections: (name, start, end).
fn sections(file: &[u8]) -> Vec<(String, u64, u64)> {
    let u16_at = |o: usize| u16::from_le_bytes([file[o], file[o + 1]]) as usize;
    let u32_at = |o: usize| u32::from_le_bytes(file[o..o + 4].try_into().unwrap());
    let u64_at = |o: usize| u64::from_le_bytes(file[o..o + 8].try_into().unwrap());
    assert_eq!(&file[..4], b"\x7fELF", "an ELF file");
    let shoff = u64_at(0x28) as usize;
    let (shentsize, shnum, shstrndx) = (u16_at(0x3a), u16_at(0x3c), u16_at(0x3e));
    let strtab = u64_at(shoff + shstrndx * shentsize + 0x18) as usize;
    (0..shnum)
        .filter_map(|i| {
            let h = shoff + i * shentsize;
            let (kind, flags) = (u32_at(h + 4), u64_at(h + 8));
            // SHF_ALLOC, and not NOBITS (.bss, .tbss: no file bytes).
            if flags & 2 == 0 || kind == 8 {
                return None;
            }
            let name_at = strtab + u32_at(h) as usize;
            let end = file[name_at..].iter().position(|b| *b == 0)?;
            let name = String::from_utf8_lossy(&file[name_at..name_at + end]).into_owned();
            let (offset, size) = (u64_at(h + 0x18), u64_at(h + 0x20));
            Some((name, offset, offset + size))
        })
        .collect()
}

fn resident_by_section(
    pid: u32,
    exe: &std::path::Path,
    file: &[u8],
    embedded: &[(&'static str, &[u8], usize)],
) -> Vec<(String, u64)> {
    use std::io::{Read, Seek, SeekFrom};
    // Every copy of each embedded blob.
    let mut ranges: Vec<(String, u64, u64)> = embedded
        .iter()
        .flat_map(|(name, head, len)| {
            let copies: Vec<usize> = file
                .windows(head.len())
                .enumerate()
                .filter(|(_, w)| w == head)
                .map(|(at, _)| at)
                .collect();
            let n = copies.len();
            copies.into_iter().enumerate().map(move |(i, at)| {
                let label = if n > 1 {
                    format!("{name} (copy {} of {n})", i + 1)
                } else {
                    (*name).to_owned()
                };
                (label, at as u64, (at + len) as u64)
            })
        })
        .collect();
    ranges.extend(sections(file));
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
    let Ok(mut pagemap) = std::fs::File::open(format!("/proc/{pid}/pagemap")) else {
        return Vec::new();
    };
    let exe = exe.display().to_string();
    let mut kib: BTreeMap<String, u64> = BTreeMap::new();
    for line in maps.lines().filter(|l| l.ends_with(&exe)) {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(_), Some(offset)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let Some((start, end)) = range.split_once('-') else {
            continue;
        };
        let (Ok(start), Ok(end), Ok(offset)) = (
            u64::from_str_radix(start, 16),
            u64::from_str_radix(end, 16),
            u64::from_str_radix(offset, 16),
        ) else {
            continue;
        };
        let pages = (end - start) / 4096;
        let mut words = vec![0u8; pages as usize * 8];
        if pagemap.seek(SeekFrom::Start(start / 4096 * 8)).is_err()
            || pagemap.read_exact(&mut words).is_err()
        {
            continue;
        }
        for (i, word) in words.chunks_exact(8).enumerate() {
            let word = u64::from_le_bytes(word.try_into().unwrap());
            if word >> 63 == 0 {
                continue;
            }
            let file_at = offset + i as u64 * 4096;
            // The first range that holds the page's first byte: embedded
            // blobs come before the sections that contain them.
            let name = ranges
                .iter()
                .find(|(_, a, b)| {
                    (*a..*b).contains(&file_at) || (file_at..file_at + 4096).contains(a)
                })
                .map_or("(between sections)", |(n, _, _)| n.as_str());
            *kib.entry(name.to_owned()).or_default() += 4;
        }
    }
    let mut out: Vec<(String, u64)> = kib.into_iter().collect();
    out.sort_by_key(|e| std::cmp::Reverse(e.1));
    out
}
