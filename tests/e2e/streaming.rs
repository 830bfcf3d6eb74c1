//! Results stream: rows of a 10-million-row result start arriving long before the last one
//! is produced, and the server's memory does not grow with the size of the result.

use crate::harness::Server;
use crate::raw::{Raw, cstr, frame};

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn ten_million_rows_stream_in_constant_memory() {
    let server = Server::start();
    let pid = server.pid();
    let mut raw = Raw::startup(server.addr);
    raw.send(&frame(
        b'Q',
        &cstr("SELECT value, value * 2 AS twice FROM generate_series(1, 10000000) AS t(value)"),
    ));
    let mut rows = 0u64;
    let mut rss_early = 0;
    let mut peak = 0;
    loop {
        let m = raw.read().expect("server closed mid-result");
        match m.kind {
            b'D' => {
                rows += 1;
                if rows == 1_000_000 {
                    rss_early = rss_kib(pid);
                }
                if rows.is_multiple_of(1_000_000) {
                    peak = peak.max(rss_kib(pid));
                }
            }
            b'Z' => break,
            b'E' => panic!("error: {:?}", m.field(b'M')),
            _ => {}
        }
    }
    assert_eq!(rows, 10_000_000);
    // The whole result as Arrow is ~160 MB and as rows far more; streaming keeps growth to
    // a few batches.
    let growth = peak.saturating_sub(rss_early);
    assert!(
        growth < 100 * 1024,
        "server RSS grew by {growth} KiB between 1M and 10M rows"
    );
}
