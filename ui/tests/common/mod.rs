pub mod scenes;
