//! kf-loadgen: POSTs JSON bodies (one per line of a file, taken in a fixed permutation:
//! the first N requests use N different bodies) to one URL, either at a fixed rate (open loop; latency counted from
//! the intended send time) or as fast as `--connections` allow (closed loop), and
//! prints one JSON line: requests, answers by kind, rate, latency percentiles.
//!
//!   kf-loadgen --url http://127.0.0.1:8080/api/v1/check --bodies FILE \
//!              [--rate 5000] [--seconds 180] [--connections 64] [--count N]
//!              [--ok-marker '"valid":true']
//!
//! An answer counts as ok when its status is 200 and its body holds the marker.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

struct Args {
    url: String,
    bodies: Vec<Bytes>,
    rate: Option<f64>,
    seconds: f64,
    connections: usize,
    marker: Vec<u8>,
    /// Stop after this many requests (closed loop), whatever the time.
    count: Option<u64>,
}

fn args() -> Args {
    let mut a = Args {
        url: String::new(),
        bodies: Vec::new(),
        rate: None,
        seconds: 10.0,
        connections: 8,
        marker: b"\"valid\":true".to_vec(),
        count: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => a.url = value,
            "--bodies" => {
                let text = std::fs::read_to_string(&value).expect("the bodies file");
                a.bodies = text
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(|l| Bytes::from(l.to_owned()))
                    .collect();
            }
            "--rate" => a.rate = Some(value.parse().expect("--rate")),
            "--seconds" => a.seconds = value.parse().expect("--seconds"),
            "--connections" => a.connections = value.parse().expect("--connections"),
            "--ok-marker" => a.marker = value.into_bytes(),
            "--count" => a.count = Some(value.parse().expect("--count")),
            _ => panic!("unknown flag {flag}"),
        }
    }
    assert!(!a.url.is_empty() && !a.bodies.is_empty(), "--url and --bodies");
    a
}

#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    other_200: AtomicU64,
    refused: AtomicU64,
    errors: AtomicU64,
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let a = Arc::new(args());
    let uri: hyper::Uri = a.url.parse().expect("--url");
    let host = uri.host().expect("a host").to_owned();
    let port = uri.port_u16().unwrap_or(80);
    let path = uri.path().to_owned();
    let tally = Arc::new(Tally::default());
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now() + Duration::from_millis(200);
    let end = start + Duration::from_secs_f64(a.seconds);
    let mut tasks = Vec::new();
    for c in 0..a.connections {
        let (a, tally, next, host, path) = (a.clone(), tally.clone(), next.clone(), host.clone(), path.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies: Vec<u64> = Vec::new();
            let stream = TcpStream::connect((host.as_str(), port)).await.expect("connect");
            stream.set_nodelay(true).ok();
            let (mut sender, conn) = http1::handshake(TokioIo::new(stream)).await.expect("handshake");
            tokio::spawn(conn);
            let mut nonce: u64 = 0x9e37_79b9_7f4a_7c15u64.wrapping_mul(c as u64 + 1);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let intended = match a.rate {
                    Some(rate) => start + Duration::from_secs_f64(i as f64 / rate),
                    None => Instant::now().max(start),
                };
                if intended >= end || a.count.is_some_and(|n| i >= n) {
                    break;
                }
                tokio::time::sleep_until(intended.into()).await;
                nonce = nonce.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let body = a.bodies[(i as usize).wrapping_mul(7919) % a.bodies.len()].clone();
                let req = hyper::Request::post(path.as_str())
                    .header("host", host.as_str())
                    .header("content-type", "application/json")
                    .header("keyfold-nonce", format!("bench-{nonce:016x}-{c:04}"))
                    .body(Full::new(body))
                    .expect("a request");
                if sender.ready().await.is_err() {
                    tally.errors.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                match sender.send_request(req).await {
                    Ok(res) => {
                        let status = res.status().as_u16();
                        let body = res.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                        latencies.push(intended.elapsed().as_micros() as u64);
                        if status == 200 {
                            if body.windows(a.marker.len()).any(|w| w == a.marker.as_slice()) {
                                tally.ok.fetch_add(1, Ordering::Relaxed);
                            } else {
                                tally.other_200.fetch_add(1, Ordering::Relaxed);
                            }
                        } else {
                            tally.refused.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Err(_) => {
                        tally.errors.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                }
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("a connection task"));
    }
    let elapsed = start.elapsed().as_secs_f64().min(a.seconds).max(0.001);
    // (with --count the run ends when the last answer arrives)
    all.sort_unstable();
    let ok = tally.ok.load(Ordering::Relaxed);
    println!(
        "{{\"requests\":{},\"ok\":{},\"other_200\":{},\"refused\":{},\"errors\":{},\"seconds\":{:.2},\"ok_per_second\":{:.1},\"p50_ms\":{:.3},\"p99_ms\":{:.3},\"p999_ms\":{:.3},\"max_ms\":{:.3}}}",
        all.len(),
        ok,
        tally.other_200.load(Ordering::Relaxed),
        tally.refused.load(Ordering::Relaxed),
        tally.errors.load(Ordering::Relaxed),
        elapsed,
        ok as f64 / elapsed,
        percentile(&all, 0.5),
        percentile(&all, 0.99),
        percentile(&all, 0.999),
        percentile(&all, 1.0),
    );
}
