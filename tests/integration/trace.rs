//! `capsim trace`: the journeys of a fixed seed are pinned by a snapshot, so
//! any change to the engine's order of events or random streams shows up
//! here (set CAPSIM_UPDATE_SNAPSHOTS=1 to accept an intended change).

use std::path::Path;
use std::process::Command;

#[test]
fn trace_of_a_fixed_seed_matches_the_snapshot() {
    let out = Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(["trace", "models/web-3tier.toml", "--requests", "8"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    // The journey shows every kind of hop a class should see.
    for needle in
        ["request 8 of `web`", "thread at app#", "calls cache.get", "p = 0.200): call db.read", "response sent"]
    {
        assert!(text.contains(needle), "`{needle}` missing from:\n{text}");
    }
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/trace-web-3tier.txt");
    if std::env::var_os("CAPSIM_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&snapshot, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&snapshot).expect("snapshot exists (CAPSIM_UPDATE_SNAPSHOTS=1 writes it)");
    assert_eq!(text, expected, "the trace changed; if intended, rerun with CAPSIM_UPDATE_SNAPSHOTS=1");
}

#[test]
fn trace_follows_forwards_and_rejections() {
    let out = Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(["trace", "models/closed-users.toml", "-n", "2"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("forwards to db.query (thread freed)"), "{text}");
    let out = Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(["trace", "models/cache-ttl.toml", "-n", "2000"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("cache `prices` key") && text.contains(": miss") && text.contains(": hit"),
        "no cache hit and miss"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args([
            "trace",
            "models/mmc.toml",
            "-n",
            "40",
            "--set",
            "services.app.queue_limit=0",
            "--set",
            "workload.main.rate=400/s",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("rejected, the queue is full (503)"), "{text}");
    assert!(text.contains("request failed (rejected)"), "{text}");
}

#[test]
fn trace_in_steady_state_shows_pool_acquires_and_waits() {
    let out = Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(["trace", "models/pool-exhaustion.toml", "-n", "3000", "--at", "30s"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("request 1 of `web` arrives at t = 30"), "{}", &text[..200]);
    assert!(text.contains("takes a connection of pool `db_conns`"));
    assert!(text.contains("waits for a connection of pool `db_conns`"));
    assert!(text.contains("gets a connection of pool `db_conns` after waiting"));
}
