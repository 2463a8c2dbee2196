//! Compiles the Slint screens with the English translation bundled, no
//! default translation context (msgids are the zh-CN texts), and debug info
//! so that tests can find elements by accessible label.

use slint_build::{CompilerConfiguration, DefaultTranslationContext};

fn main() -> Result<(), slint_build::CompileError> {
    let config = CompilerConfiguration::new()
        .with_bundled_translations("lang")
        .with_default_translation_context(DefaultTranslationContext::None)
        .with_debug_info(true);
    slint_build::compile_with_config("ui/index.slint", config)?;
    println!("cargo:rerun-if-changed=lang");
    Ok(())
}
