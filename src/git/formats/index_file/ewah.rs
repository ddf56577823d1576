//! The EWAH bitmaps of a split index's `link` extension (which shared entries are deleted, which
//! replaced), read and written as git's `ewah/` does.
//!
//! On disk: the number of bits (u32), the number of 64-bit words (u32), the words (big-endian),
//! and the position of the last run-length word (u32). The words are runs: a run-length word
//! (bit 0 the running bit, bits 1–32 how many words of that bit follow, bits 33–63 how many
//! literal words follow it), then its literal words.

use super::{IndexFileError, Result};

/// The positions of the set bits of the bitmap at the start of `data`, and the bytes after it.
pub(crate) fn read(data: &[u8]) -> Result<(Vec<usize>, &[u8])> {
    let bad = || IndexFileError::Malformed("a bitmap of the split index");
    let word32 = |at: usize| -> Result<u32> {
        data.get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(bad)
    };
    let bits = word32(0)? as usize;
    let count = word32(4)? as usize;
    let words_end = 8usize
        .checked_add(count.checked_mul(8).ok_or_else(bad)?)
        .ok_or_else(bad)?;
    let words: Vec<u64> = data
        .get(8..words_end)
        .ok_or_else(bad)?
        .chunks_exact(8)
        .map(|w| u64::from_be_bytes(w.try_into().unwrap_or_default()))
        .collect();
    word32(words_end)?;
    let rest = &data[words_end + 4..];
    let mut set = Vec::new();
    let mut at = 0usize;
    let mut position = 0usize;
    while at < words.len() {
        let rlw = words[at];
        let running = rlw & 1 == 1;
        let run = ((rlw >> 1) & 0xFFFF_FFFF) as usize;
        let literals = (rlw >> 33) as usize;
        at += 1;
        if running {
            let end = position + run * 64;
            set.extend((position..end).take_while(|&p| p < bits));
        }
        position += run * 64;
        for _ in 0..literals {
            let word = *words.get(at).ok_or_else(bad)?;
            at += 1;
            set.extend(
                (0..64)
                    .filter(|bit| word & (1u64 << bit) != 0)
                    .map(|bit| position + bit),
            );
            position += 64;
        }
    }
    if set.last().is_some_and(|&last| last >= bits) {
        return Err(bad());
    }
    Ok((set, rest))
}

/// The bitmap with these bits set (sorted, without repeats), as git writes it: one run-length
/// word of no run, then every word as a literal.
pub(crate) fn write(set: &[usize], out: &mut Vec<u8>) {
    let bits = set.last().map_or(0, |last| last + 1);
    let mut literals = vec![0u64; bits.div_ceil(64)];
    for &bit in set {
        literals[bit / 64] |= 1u64 << (bit % 64);
    }
    out.extend_from_slice(&(bits as u32).to_be_bytes());
    out.extend_from_slice(&(literals.len() as u32 + 1).to_be_bytes());
    out.extend_from_slice(&((literals.len() as u64) << 33).to_be_bytes());
    for word in &literals {
        out.extend_from_slice(&word.to_be_bytes());
    }
    // The run-length word is the first.
    out.extend_from_slice(&0u32.to_be_bytes());
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_bitmap_reads_back_what_was_written() {
        for set in [vec![], vec![0], vec![1, 5, 63, 64, 200], (0..300).collect()] {
            let mut bytes = Vec::new();
            super::write(&set, &mut bytes);
            bytes.extend_from_slice(b"rest");
            let (read, rest) = super::read(&bytes).expect("reads");
            assert_eq!(read, set);
            assert_eq!(rest, b"rest");
        }
    }

    #[test]
    fn a_run_of_ones_is_read() {
        // 2 bits of size 130: a run of two words of ones (128 bits), then one literal word (bit 1).
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&130u32.to_be_bytes());
        bytes.extend_from_slice(&2u32.to_be_bytes());
        bytes.extend_from_slice(&((1u64 << 33) | (2 << 1) | 1).to_be_bytes());
        bytes.extend_from_slice(&2u64.to_be_bytes());
        bytes.extend_from_slice(&0u32.to_be_bytes());
        let (read, _) = super::read(&bytes).expect("reads");
        assert_eq!(read, (0..128).chain([129]).collect::<Vec<_>>());
    }
}
