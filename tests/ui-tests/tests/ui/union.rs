use kimera::Kimera;

#[derive(Kimera)]
union Bits {
    int: u32,
    float: f32,
}

fn main() {}
