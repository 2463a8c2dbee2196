//! placeholder: the camera port is being written
