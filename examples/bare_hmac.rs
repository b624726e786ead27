//! The floor for `rake bench`'s signature rows: HMAC-SHA256 of `len` bytes with the `hmac` and
//! `sha2` crates directly, no Ruby and none of the gem's own code, timed for about `seconds`.
//! Usage: `cargo run --release --example bare_hmac -- <seconds> <len>`; prints `ns_per_op=<f64>`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;

fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1.0);
    let len: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(3500);
    let body = vec![b'x'; len];
    let key = b"bench-secret";
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut ops: u64 = 0;
    while start.elapsed() < budget {
        for _ in 0..256 {
            let mut mac = Hmac::<Sha256>::new_from_slice(black_box(key)).expect("any key length");
            mac.update(black_box(&body));
            black_box(mac.finalize().into_bytes());
        }
        ops += 256;
    }
    let ns = start.elapsed().as_nanos() as f64 / ops as f64;
    println!("ns_per_op={ns:.1}");
}
