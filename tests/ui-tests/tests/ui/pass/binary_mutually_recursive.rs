use kimera::Kimera;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
struct Dir {
    name: String,
    entries: Vec<Entry>,
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
enum Entry {
    File(String),
    Dir(#[kimera(recursive)] Box<Dir>),
}

fn main() {
    let root = Dir {
        name: "root".into(),
        entries: vec![
            Entry::File("a".into()),
            Entry::Dir(Box::new(Dir {
                name: "sub".into(),
                entries: vec![Entry::File("b".into())],
            })),
        ],
    };
    let bytes = kimera::binary::to_vec(&root).unwrap();
    let back: Dir = kimera::binary::from_slice(&bytes).unwrap();
    assert_eq!(back, root);
}
