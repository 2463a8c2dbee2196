//! placeholder: the key-writer port is being written
