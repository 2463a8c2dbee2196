//! Random identifiers: payment ids, simulator references, SMS codes. From
//! the operating system's generator, never from the clock, so they cannot
//! be guessed from the time of a request.

/// `bytes` random bytes as lower-case hex.
pub(crate) fn hex(bytes: usize) -> Result<String, getrandom::Error> {
    let mut buf = vec![0_u8; bytes];
    getrandom::fill(&mut buf)?;
    Ok(kiosk_sync_wire::hex::encode(&buf))
}

/// Six decimal digits, uniformly (rejection sampling: no modulo bias).
pub(crate) fn six_digits() -> Result<String, getrandom::Error> {
    const LIMIT: u32 = u32::MAX - u32::MAX % 1_000_000;
    loop {
        let mut buf = [0_u8; 4];
        getrandom::fill(&mut buf)?;
        let n = u32::from_le_bytes(buf);
        if n < LIMIT {
            return Ok(format!("{:06}", n % 1_000_000));
        }
    }
}
