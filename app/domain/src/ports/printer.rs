//! placeholder: the receipt-printer port is being written
