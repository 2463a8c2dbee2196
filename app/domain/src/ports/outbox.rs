//! placeholder: the outbox port is being written
