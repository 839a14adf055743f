//! The protocol and server of the RPC example, shared by `rpc_server`, `rpc_client` and the
//! integration test `tests/rpc.rs`.
//!
//! Requests of several types travel as frames of binary envelopes; the server routes each to
//! its handler with a `Dispatcher` and answers every one with a `Response` carrying the
//! request's id and a result or a typed error.

#![allow(dead_code)] // Each including crate uses a part.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use kimera::codec::{FrameCodec, KimeraCodec, Mixed};
use kimera::registry::Dispatcher;
use kimera::{Binary, Kimera};
use serde::{Deserialize, Serialize};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::codec::{FramedRead, FramedWrite};

/// The largest request the server reads: requests are small, and a peer announcing more is
/// refused before anything is allocated for it.
pub const MAX_REQUEST: u32 = 64 << 10;

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "rpc.Add")]
pub struct Add {
    pub id: u64,
    pub a: i64,
    pub b: i64,
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "rpc.Divide")]
pub struct Divide {
    pub id: u64,
    pub a: i64,
    pub b: i64,
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "rpc.Echo")]
pub struct Echo {
    pub id: u64,
    pub text: String,
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "rpc.Response")]
pub struct Response {
    /// The request's id; 0 when the request could not be read at all.
    pub id: u64,
    pub result: Result<Answer, RpcError>,
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "rpc.Answer")]
pub enum Answer {
    Number(i64),
    Text(String),
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "rpc.Error")]
pub enum RpcError {
    Overflow,
    DivisionByZero,
    /// The request was not a request this server knows: Kimera's message says why.
    BadRequest {
        message: String,
    },
}

fn number(id: u64, n: Option<i64>, error: RpcError) -> Response {
    Response {
        id,
        result: n.map(Answer::Number).ok_or(error),
    }
}

fn bad_request(err: &kimera::Error) -> Response {
    Response {
        id: 0,
        result: Err(RpcError::BadRequest {
            message: err.to_string(),
        }),
    }
}

/// At most this many connections are served at once; more wait to be accepted.
pub const MAX_CONNECTIONS: usize = 512;

/// A connection that sends no request for this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Accepts connections on `listener` and serves each in its own task, for ever: a failed
/// accept (out of file descriptors, say) is waited out, not fatal.
pub async fn serve(listener: TcpListener) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        match listener.accept().await {
            Ok((socket, _)) => {
                tokio::spawn(async move {
                    // A connection's failure is its own: the others go on.
                    let _ = handle(socket).await;
                    drop(slot);
                });
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Answers every request of one connection. A frame holding no valid request gets a
/// `BadRequest` reply and the connection goes on; a frame that breaks the stream (oversized,
/// cut off) gets one and the connection is closed, as is a connection idle for
/// [`IDLE_TIMEOUT`].
pub async fn handle(socket: TcpStream) -> kimera::Result<()> {
    let (read, write) = socket.into_split();
    let mut requests = FramedRead::new(read, FrameCodec::new().with_max_frame_len(MAX_REQUEST));
    let mut replies = FramedWrite::new(write, KimeraCodec::<Response, Binary>::binary());
    let mut dispatcher = Dispatcher::new()
        .on(|r: Add| number(r.id, r.a.checked_add(r.b), RpcError::Overflow))
        .on(|r: Divide| {
            let error = match r.b {
                0 => RpcError::DivisionByZero,
                _ => RpcError::Overflow, // i64::MIN / -1
            };
            number(r.id, r.a.checked_div(r.b), error)
        })
        .on(|r: Echo| Response {
            id: r.id,
            result: Ok(Answer::Text(r.text)),
        });
    loop {
        let frame = match tokio::time::timeout(IDLE_TIMEOUT, requests.next()).await {
            Ok(Some(frame)) => frame,
            Ok(None) | Err(_) => return Ok(()),
        };
        match frame {
            Ok(envelope) => {
                let response = dispatcher
                    .dispatch(&envelope)
                    .unwrap_or_else(|err| bad_request(&err));
                replies.send(&response).await?;
            }
            Err(err) => {
                let _ = replies.send(&bad_request(&err)).await;
                return Err(err);
            }
        }
    }
}

/// A client connection: sends requests of any type, reads responses.
pub type Client = tokio_util::codec::Framed<TcpStream, KimeraCodec<Response, Binary, Mixed>>;

/// Connects to the server at `addr`.
pub async fn connect(addr: std::net::SocketAddr) -> std::io::Result<Client> {
    let socket = TcpStream::connect(addr).await?;
    Ok(tokio_util::codec::Framed::new(
        socket,
        KimeraCodec::binary().sending(),
    ))
}
