//! The RPC example's server over real loopback sockets: many concurrent clients get the right
//! reply to every request, and connections sending garbage, oversized or truncated frames are
//! answered or closed cleanly while the others keep being served; and a soak of a thousand
//! connections, a share of them hostile, in bounded time and memory.

#[path = "../examples/support/rpc.rs"]
mod rpc;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use kimera::codec::KimeraCodec;
use kimera::Binary;
use rpc::{Add, Answer, Divide, Echo, Response, RpcError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::FramedRead;

const CLIENTS: u64 = 32;
const REQUESTS: u64 = 100;

async fn start_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(rpc::serve(listener));
    addr
}

/// The frame of request number `n` of client `c`, and the reply it must get.
fn request(c: u64, n: u64) -> (Vec<u8>, Response) {
    let id = c * 1_000_000 + n;
    let (a, b) = (c as i64 * 7 - 100, n as i64 % 5);
    let (envelope, result) = match n % 3 {
        0 => (
            kimera::binary::to_vec(&Add { id, a, b }),
            Ok(Answer::Number(a + b)),
        ),
        1 => (
            kimera::binary::to_vec(&Divide { id, a, b }),
            match b {
                0 => Err(RpcError::DivisionByZero),
                b => Ok(Answer::Number(a / b)),
            },
        ),
        _ => {
            let text = format!("client {c} request {n}");
            // Some requests in JSON: a stream may mix both backends.
            let echo = Echo {
                id,
                text: text.clone(),
            };
            (kimera::json::to_vec(&echo), Ok(Answer::Text(text)))
        }
    };
    (framed(&envelope.unwrap()), Response { id, result })
}

/// One well-behaved client: half its requests one at a time, half pipelined.
async fn good_client(addr: SocketAddr, c: u64) -> u64 {
    let socket = TcpStream::connect(addr).await.unwrap();
    let (read, mut write) = socket.into_split();
    let mut replies = FramedRead::new(read, KimeraCodec::<Response, Binary>::binary());
    let half = REQUESTS / 2;
    for n in 0..half {
        let (frame, expected) = request(c, n);
        write.write_all(&frame).await.unwrap();
        assert_eq!(replies.next().await.unwrap().unwrap(), expected);
    }
    let mut expected = Vec::new();
    let mut bytes = Vec::new();
    for n in half..REQUESTS {
        let (frame, reply) = request(c, n);
        bytes.extend(frame);
        expected.push(reply);
    }
    write.write_all(&bytes).await.unwrap();
    for reply in expected {
        assert_eq!(replies.next().await.unwrap().unwrap(), reply);
    }
    REQUESTS
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_clients_get_every_reply() {
    let addr = start_server().await;
    let clients = (0..CLIENTS).map(|c| tokio::spawn(good_client(addr, c)));
    let run = futures_util::future::join_all(clients);
    let results = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("all clients finish within a minute");
    let total: u64 = results.into_iter().map(|r| r.unwrap()).sum();
    assert_eq!(total, CLIENTS * REQUESTS);
    eprintln!("rpc: {CLIENTS} concurrent clients, {total} requests, every reply checked");
}

/// Reads replies until the server closes the connection (bounded in time).
async fn replies_until_closed(socket: TcpStream) -> Vec<Response> {
    let mut replies = FramedRead::new(socket, KimeraCodec::<Response, Binary>::binary());
    let mut out = Vec::new();
    let read_all = async {
        while let Some(reply) = replies.next().await {
            out.push(reply.expect("the server's replies are well-formed"));
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read_all)
        .await
        .expect("the server closes the connection");
    out
}

fn is_bad_request(reply: &Response, needle: &str) -> bool {
    matches!(&reply.result, Err(RpcError::BadRequest { message }) if message.contains(needle))
        && reply.id == 0
}

fn framed(envelope: &[u8]) -> Vec<u8> {
    let mut out = (envelope.len() as u32).to_le_bytes().to_vec();
    out.extend_from_slice(envelope);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frames_are_answered_or_closed_and_the_server_goes_on() {
    let addr = start_server().await;
    // Good clients run all along.
    let good = tokio::spawn(async move {
        let mut n = 0;
        for c in 0..8 {
            n += good_client(addr, 1000 + c).await;
        }
        n
    });
    let mut bad_frames = 0;

    // A frame of garbage, then a frame of an unhandled type: each answered, and the same
    // connection still serves a good request.
    let mut socket = TcpStream::connect(addr).await.unwrap();
    socket.write_all(&framed(b"0123456789")).await.unwrap();
    socket
        .write_all(&framed(&kimera::binary::to_vec("not a request").unwrap()))
        .await
        .unwrap();
    bad_frames += 2;
    socket
        .write_all(&framed(
            &kimera::binary::to_vec(&Add { id: 7, a: 1, b: 2 }).unwrap(),
        ))
        .await
        .unwrap();
    socket.shutdown().await.unwrap();
    let replies = replies_until_closed(socket).await;
    assert_eq!(replies.len(), 3, "{replies:?}");
    assert!(
        is_bad_request(&replies[0], "not a Kimera"),
        "{:?}",
        replies[0]
    );
    assert!(
        is_bad_request(&replies[1], "no registered type is named `str`"),
        "{:?}",
        replies[1]
    );
    assert_eq!(replies[2].result, Ok(Answer::Number(3)));

    // An oversized frame (a 1 GiB length): refused from its prefix, answered, closed.
    let mut socket = TcpStream::connect(addr).await.unwrap();
    socket.write_all(&(1u32 << 30).to_le_bytes()).await.unwrap();
    socket.write_all(&[0; 100]).await.unwrap();
    bad_frames += 1;
    let replies = replies_until_closed(socket).await;
    assert_eq!(replies.len(), 1);
    assert!(
        is_bad_request(
            &replies[0],
            "a frame of 1073741824 bytes is over the maximum of 65536 bytes, and too long to skip"
        ),
        "{:?}",
        replies[0]
    );

    // Not Kimera at all (an HTTP request): its first four bytes read as a huge length.
    let mut socket = TcpStream::connect(addr).await.unwrap();
    socket
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    bad_frames += 1;
    let replies = replies_until_closed(socket).await;
    assert_eq!(replies.len(), 1);
    assert!(
        is_bad_request(&replies[0], "over the maximum of 65536 bytes"),
        "{:?}",
        replies[0]
    );

    // A frame cut off by the end of the stream: the server says so (if it still can) and
    // closes.
    let mut socket = TcpStream::connect(addr).await.unwrap();
    let whole = framed(
        &kimera::binary::to_vec(&Echo {
            id: 9,
            text: "x".repeat(50),
        })
        .unwrap(),
    );
    socket.write_all(&whole[..whole.len() / 2]).await.unwrap();
    socket.shutdown().await.unwrap();
    bad_frames += 1;
    let replies = replies_until_closed(socket).await;
    assert_eq!(replies.len(), 1);
    assert!(
        is_bad_request(&replies[0], "truncated input"),
        "{replies:?}"
    );

    // A client that connects and goes away, and one that sends nothing: the server is unmoved.
    drop(TcpStream::connect(addr).await.unwrap());
    let mut idle = TcpStream::connect(addr).await.unwrap();

    let served = tokio::time::timeout(Duration::from_secs(60), good)
        .await
        .expect("good clients finish")
        .unwrap();
    assert_eq!(served, 8 * REQUESTS);
    // The idle connection is still open: nothing to read yet.
    let mut byte = [0u8; 1];
    let pending = tokio::time::timeout(Duration::from_millis(50), idle.read(&mut byte)).await;
    assert!(
        pending.is_err(),
        "the server leaves an idle connection open"
    );
    // And a new client is served after all that.
    let mut client = rpc::connect(addr).await.unwrap();
    client.send(&Divide { id: 1, a: 9, b: 3 }).await.unwrap();
    assert_eq!(
        client.next().await.unwrap().unwrap().result,
        Ok(Answer::Number(3))
    );
    eprintln!(
        "rpc: {bad_frames} bad frames on 4 connections answered or closed; {served} requests \
         of 8 good clients served meanwhile"
    );
}

/// The process's resident memory at its peak so far, in KiB (Linux), if the system says.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What one soak connection did, by kind.
#[derive(Default)]
struct Soak {
    answered: u64,
    refused: u64,
    closed: u64,
}

/// One of the soak test's misbehaving connections: `kind` 0 dribbles a frame (slowloris), 1
/// claims an oversized frame, 2 sends garbage, 3 sends a request and half-closes.
async fn hostile_client(addr: SocketAddr, kind: u64, seed: u64) -> Soak {
    let mut socket = TcpStream::connect(addr).await.unwrap();
    let mut soak = Soak::default();
    match kind {
        0 => {
            // A 100-byte frame, a byte at a time, then gone before it is whole.
            socket.write_all(&100u32.to_le_bytes()).await.unwrap();
            for _ in 0..10 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if socket.write_all(&[0]).await.is_err() {
                    break;
                }
            }
            return soak;
        }
        1 => {
            socket.write_all(&(1u32 << 20).to_le_bytes()).await.unwrap();
            let _ = socket.write_all(&[7; 4096]).await;
        }
        2 => {
            let garbage: Vec<u8> = (0..200u64)
                .map(|i| {
                    (seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(i.wrapping_mul(1442695040888963407))
                        >> 33) as u8
                })
                .collect();
            let _ = socket.write_all(&garbage).await;
            let _ = socket.shutdown().await;
        }
        _ => {
            let (frame, expected) = request(seed, 0);
            socket.write_all(&frame).await.unwrap();
            socket.shutdown().await.unwrap();
            let replies = replies_until_closed(socket).await;
            assert_eq!(
                replies,
                [expected],
                "a half-closed client's request is answered"
            );
            soak.answered += 1;
            soak.closed += 1;
            return soak;
        }
    }
    let replies = replies_until_closed(socket).await;
    assert!(replies.len() <= 2, "{replies:?}");
    soak.refused += replies
        .iter()
        .filter(|r| matches!(r.result, Err(RpcError::BadRequest { .. })))
        .count() as u64;
    soak.closed += 1;
    soak
}

/// A thousand connections over loopback, at most 200 at a time, four in ten of them hostile
/// (slowloris, oversized frames, garbage, half-closed sockets): every well-behaved request is
/// answered, every hostile connection is refused or closed, and memory stays bounded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_connections_a_share_of_them_hostile() {
    const CONNECTIONS: u64 = 1000;
    const GOOD_REQUESTS: u64 = 5;
    let addr = start_server().await;
    let before = peak_rss_kib();
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(200));
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|i| {
            let slots = slots.clone();
            tokio::spawn(async move {
                let _slot = slots.acquire_owned().await.unwrap();
                match i % 10 {
                    kind @ 0..=3 => (false, hostile_client(addr, kind, i).await),
                    _ => {
                        let socket = TcpStream::connect(addr).await.unwrap();
                        let (read, mut write) = socket.into_split();
                        let mut replies =
                            FramedRead::new(read, KimeraCodec::<Response, Binary>::binary());
                        for n in 0..GOOD_REQUESTS {
                            let (frame, expected) = request(2000 + i, n);
                            write.write_all(&frame).await.unwrap();
                            assert_eq!(replies.next().await.unwrap().unwrap(), expected);
                        }
                        let soak = Soak {
                            answered: GOOD_REQUESTS,
                            ..Soak::default()
                        };
                        (true, soak)
                    }
                }
            })
        })
        .collect();
    let results = tokio::time::timeout(
        Duration::from_secs(120),
        futures_util::future::join_all(tasks),
    )
    .await
    .expect("the soak ends within two minutes");
    let (mut good, mut answered, mut refused, mut closed) = (0, 0, 0, 0);
    for result in results {
        let (is_good, soak) = result.expect("no client failed");
        good += u64::from(is_good);
        answered += soak.answered;
        refused += soak.refused;
        closed += soak.closed;
    }
    assert_eq!(good, CONNECTIONS * 6 / 10);
    assert_eq!(answered, good * GOOD_REQUESTS + CONNECTIONS / 10);
    // Oversized and garbage connections are each told why (garbage whose first four bytes
    // are a short length may instead be cut off), and closed with the half-closed ones.
    assert!(refused >= CONNECTIONS / 10, "{refused} refusals");
    assert_eq!(closed, 3 * CONNECTIONS / 10);
    if let (Some(before), Some(after)) = (before, peak_rss_kib()) {
        let grown = after.saturating_sub(before);
        assert!(grown < 64 << 10, "peak memory grew by {grown} KiB");
        eprintln!(
            "rpc soak: {CONNECTIONS} connections, {answered} requests answered, {refused} \
             hostile frames refused, {closed} hostile connections closed; peak RSS {after} KiB \
             (+{grown} KiB)"
        );
    }
}
