use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
enum Tree {
    Leaf,
    Node(Box<Tree>),
}

fn main() {
    let tree = Tree::Node(Box::new(Tree::Node(Box::new(Tree::Leaf))));
    let bytes = kimera::binary::to_vec(&tree).unwrap();
    let back: Tree = kimera::binary::from_slice(&bytes).unwrap();
    assert_eq!(back, tree);
}
