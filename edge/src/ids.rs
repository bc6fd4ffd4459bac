//! Lead ids: ULIDs (48-bit millisecond time + 80 random bits, Crockford
//! base32), so ids sort by arrival and never collide across isolates.

use crate::error::AppError;

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

pub fn ulid(unix_ms: u64) -> Result<String, AppError> {
    let mut random = [0u8; 10];
    getrandom::getrandom(&mut random)
        .map_err(|e| AppError::Internal(format!("no randomness for a lead id: {e}")))?;
    let random = random
        .iter()
        .fold(0u128, |acc, &b| (acc << 8) | u128::from(b));
    let mut bits = (u128::from(unix_ms & 0xFFFF_FFFF_FFFF) << 80) | random;
    // 128 bits in 26 characters of 5 bits each, last character first.
    let mut out = [b'0'; 26];
    for slot in out.iter_mut().rev() {
        // `bits & 31` is below 32, so the index is in range.
        *slot = CROCKFORD[(bits & 31) as usize];
        bits >>= 5;
    }
    Ok(out.iter().map(|&b| char::from(b)).collect())
}
