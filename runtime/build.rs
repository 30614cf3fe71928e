fn main() {
	#[cfg(feature = "std")]
	{
		// The cargo target directory lies outside the checkout (scripts/env.sh), where the wasm
		// builder cannot find the workspace's Cargo.lock by walking up from its output directory:
		// point it at the workspace, so that the wasm runtime builds with the committed lock.
		// The manifest directory is read when the script runs, not when it is compiled: cargo
		// reuses a compiled build script across checkouts of the same workspace.
		if std::env::var_os("WASM_BUILD_WORKSPACE_HINT").is_none() {
			if let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR") {
				let workspace = std::path::Path::new(&dir).join("..");
				std::env::set_var("WASM_BUILD_WORKSPACE_HINT", workspace);
			}
		}
		substrate_wasm_builder::WasmBuilder::build_using_defaults();
	}
}
