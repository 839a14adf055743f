//! A client of `rpc_server`: requests of several types, typed replies and typed errors.
//!
//! ```sh
//! cargo run --example rpc_client --features tokio,binary [ADDR]   # default 127.0.0.1:7878
//! ```

#[path = "support/rpc.rs"]
mod rpc;

use futures_util::{SinkExt, StreamExt};
use rpc::{Add, Divide, Echo, RpcError};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7878".to_owned())
        .parse()?;
    let mut client = rpc::connect(addr).await?;

    client.send(&Add { id: 1, a: 40, b: 2 }).await?;
    client.send(&Divide { id: 2, a: 1, b: 0 }).await?;
    client
        .send(&Echo {
            id: 3,
            text: "hello over Kimera frames".into(),
        })
        .await?;
    client
        .send(&Add {
            id: 4,
            a: i64::MAX,
            b: 1,
        })
        .await?;
    for _ in 0..4 {
        let response = client
            .next()
            .await
            .ok_or("the server closed the connection")??;
        match response.result {
            Ok(answer) => println!("#{}: {answer:?}", response.id),
            Err(RpcError::BadRequest { message }) => {
                println!("#{}: bad request: {message}", response.id)
            }
            Err(error) => println!("#{}: error {error:?}", response.id),
        }
    }
    Ok(())
}
