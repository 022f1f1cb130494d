// `sqlx::migrate!` embeds the migrations at compile time; cargo cannot see a new file in the folder by itself.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
