//! Prints the TypeScript declarations of the BFF's JSON (`cargo run -p proconnect-types
//! --features ts --example ts_bindings`).

fn main() {
    print!("{}", proconnect_types::typescript::bindings());
}
