use kimera::Kimera;
use serde::{Deserialize, Serialize};

// A key given twice, in one attribute or across two, is refused (a later value would win
// silently); `alias` may repeat.
#[derive(Serialize, Deserialize, Kimera)]
#[kimera(name = "shop.Order", version = 2, alias = "a.Order", alias = "b.Order", version = 3)]
struct Order {
    id: u64,
}

#[derive(Serialize, Deserialize, Kimera)]
#[kimera(name = "shop.Line")]
#[kimera(name = "shop.Item")]
struct Line {
    id: u64,
}

#[derive(Serialize, Deserialize, Kimera)]
struct Tree {
    #[kimera(recursive)]
    #[kimera(recursive)]
    children: Vec<Tree>,
}

fn main() {}
