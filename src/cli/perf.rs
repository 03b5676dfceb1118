//! Process measurements for `--perf`: CPU time and peak memory, from
//! `getrusage` on Unix. Elsewhere CPU time falls back to wall time since the
//! first call, and peak memory is not reported.

/// User plus system CPU time of this process \[s\], all threads.
#[cfg(unix)]
pub(crate) fn cpu_seconds() -> f64 {
    let u = rusage();
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 * 1e-6;
    t(u.ru_utime) + t(u.ru_stime)
}

/// Wall time since the first call \[s\]: no portable CPU clock here.
#[cfg(not(unix))]
pub(crate) fn cpu_seconds() -> f64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed().as_secs_f64()
}

/// Peak resident memory of this process \[bytes\], where the system says.
/// On Linux from `VmHWM`: `getrusage`'s peak survives `execve`, so a
/// process started by a large parent would report the parent's.
#[cfg(unix)]
pub(crate) fn peak_rss_bytes() -> Option<u64> {
    if cfg!(target_os = "linux")
        && let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(kb) = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    {
        return Some(kb * 1024);
    }
    let max = u64::try_from(rusage().ru_maxrss).ok()?;
    // macOS and iOS report bytes; Linux and the BSDs report KiB.
    Some(if cfg!(target_vendor = "apple") { max } else { max * 1024 })
}

/// Peak resident memory: not measured on this system.
#[cfg(not(unix))]
pub(crate) fn peak_rss_bytes() -> Option<u64> {
    None
}

#[cfg(unix)]
fn rusage() -> libc::rusage {
    // SAFETY: getrusage only writes into the struct we own.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    }
}
