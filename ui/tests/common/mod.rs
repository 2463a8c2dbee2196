#![forbid(unsafe_code)]
pub mod scenes;
