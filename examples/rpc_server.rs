//! A typed request/response server over TCP: Kimera frames, a `Dispatcher` per connection.
//!
//! ```sh
//! cargo run --example rpc_server --features tokio,binary   # listens on 127.0.0.1:7878
//! cargo run --example rpc_client --features tokio,binary   # in another terminal
//! ```

#[path = "support/rpc.rs"]
mod rpc;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7878".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on {}", listener.local_addr()?);
    rpc::serve(listener).await;
    Ok(())
}
