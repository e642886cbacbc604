fn main() {
    // A custom capabilities pattern makes tauri-build skip its own rerun hint.
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    tauri_build::try_build(
        tauri_build::Attributes::new().capabilities_path_pattern("./src-tauri/capabilities/**/*"),
    )
    .expect("tauri-build failed: check tauri.conf.json and src-tauri/capabilities");
}
