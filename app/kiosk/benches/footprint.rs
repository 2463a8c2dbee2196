//! Placeholder until the footprint benchmark lands.
fn main() {}
