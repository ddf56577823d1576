//! Rename detection as `git diff` does it, so that counts match git's to the line.
//!
//! libgit2 scores similarity differently from git, so a file that git calls "deleted and added"
//! libgit2 may call "renamed", and the counts differ. This pairs deleted and added files with
//! git's own rule: exact matches first, then git's similarity estimate (byte spans hashed as in
//! `diffcore-delta.c`), a pair kept when its score reaches 50% (git's default `-M`).

use std::collections::HashMap;

/// git's scale for similarity scores; 50% is `MAX_SCORE / 2`.
const MAX_SCORE: u64 = 60_000;
const MINIMUM_SCORE: u64 = MAX_SCORE / 2;
/// git's default `diff.renameLimit`: above limit² candidate pairs, only exact renames are found.
const RENAME_LIMIT: usize = 1000;
const HASHBASE: u32 = 107_927;

/// A deleted or added regular file, with its content.
pub struct Side {
    /// Its index in the caller's list of rows.
    pub row: usize,
    pub content: Vec<u8>,
    pub regular: bool,
    pub binary: bool,
}

/// Pairs deleted with added files as git would; returns (deleted row, added row) pairs.
pub fn pair(deleted: &[Side], added: &[Side]) -> Vec<(usize, usize)> {
    let mut used_src = vec![false; deleted.len()];
    let mut used_dst = vec![false; added.len()];
    let mut pairs = Vec::new();

    // Exact renames first, as git does.
    for (d, dst) in added.iter().enumerate() {
        if let Some(s) =
            (0..deleted.len()).find(|&s| !used_src[s] && deleted[s].content == dst.content)
        {
            used_src[s] = true;
            used_dst[d] = true;
            pairs.push((deleted[s].row, dst.row));
        }
    }

    let sources: Vec<usize> = (0..deleted.len())
        .filter(|&s| !used_src[s] && deleted[s].regular)
        .collect();
    let targets: Vec<usize> = (0..added.len())
        .filter(|&d| !used_dst[d] && added[d].regular)
        .collect();
    if sources.is_empty()
        || targets.is_empty()
        || sources.len() * targets.len() > RENAME_LIMIT * RENAME_LIMIT
    {
        return pairs;
    }
    let src_hashes: Vec<HashMap<u32, u64>> = sources
        .iter()
        .map(|&s| spans(&deleted[s].content, !deleted[s].binary))
        .collect();
    let mut scored = Vec::new();
    for (ti, &d) in targets.iter().enumerate() {
        let dst = &added[d];
        let dst_hashes = spans(&dst.content, !dst.binary);
        for (si, &s) in sources.iter().enumerate() {
            let score = similarity(
                &deleted[s].content,
                &src_hashes[si],
                &dst.content,
                &dst_hashes,
            );
            if score >= MINIMUM_SCORE {
                scored.push((score, ti, si));
            }
        }
    }
    // Best scores first; ties in the order git visits them.
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    for (_, ti, si) in scored {
        let (d, s) = (targets[ti], sources[si]);
        if used_dst[d] || used_src[s] {
            continue;
        }
        used_dst[d] = true;
        used_src[s] = true;
        pairs.push((deleted[s].row, added[d].row));
    }
    pairs
}

/// git's `estimate_similarity`: bytes copied from source to destination over the larger size.
fn similarity(
    src: &[u8],
    src_hashes: &HashMap<u32, u64>,
    dst: &[u8],
    dst_hashes: &HashMap<u32, u64>,
) -> u64 {
    let max_size = src.len().max(dst.len()) as u64;
    let base_size = src.len().min(dst.len()) as u64;
    let delta_size = max_size - base_size;
    // Sizes too different to reach the minimum score are skipped without hashing.
    if max_size * (MAX_SCORE - MINIMUM_SCORE) < delta_size * MAX_SCORE {
        return 0;
    }
    if dst.is_empty() {
        return 0;
    }
    let copied: u64 = src_hashes
        .iter()
        .map(|(hash, src_count)| (*src_count).min(dst_hashes.get(hash).copied().unwrap_or(0)))
        .sum();
    copied * MAX_SCORE / max_size
}

/// git's `hash_chars`: spans ending at a newline or after 64 bytes, hashed, with byte counts.
fn spans(buf: &[u8], is_text: bool) -> HashMap<u32, u64> {
    let mut table: HashMap<u32, u64> = HashMap::new();
    let (mut accum1, mut accum2, mut n): (u32, u32, u64) = (0, 0, 0);
    let mut i = 0;
    while i < buf.len() {
        let c = u32::from(buf[i]);
        i += 1;
        // A CR in a CRLF pair is ignored in text.
        if is_text && c == u32::from(b'\r') && i < buf.len() && buf[i] == b'\n' {
            continue;
        }
        let old_1 = accum1;
        accum1 = (accum1 << 7) ^ (accum2 >> 25);
        accum2 = (accum2 << 7) ^ (old_1 >> 25);
        accum1 = accum1.wrapping_add(c);
        n += 1;
        if n < 64 && c != u32::from(b'\n') {
            continue;
        }
        let hash = accum1.wrapping_add(accum2.wrapping_mul(0x61)) % HASHBASE;
        *table.entry(hash).or_default() += n;
        n = 0;
        accum1 = 0;
        accum2 = 0;
    }
    if n > 0 {
        let hash = accum1.wrapping_add(accum2.wrapping_mul(0x61)) % HASHBASE;
        *table.entry(hash).or_default() += n;
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(row: usize, text: &str) -> Side {
        Side {
            row,
            content: text.as_bytes().to_vec(),
            regular: true,
            binary: false,
        }
    }

    #[test]
    fn half_kept_is_not_a_rename_and_most_kept_is() {
        let full: String = (1..=100).map(|i| format!("{i}\n")).collect();
        let half: String = (1..=50).map(|i| format!("{i}\n")).collect();
        let most: String = (1..=95).map(|i| format!("{i}\n")).collect();
        assert!(pair(&[side(0, &full)], &[side(1, &half)]).is_empty());
        assert_eq!(pair(&[side(0, &full)], &[side(1, &most)]), vec![(0, 1)]);
    }

    #[test]
    fn exact_matches_pair_first() {
        let a = "same\ncontent\n";
        assert_eq!(
            pair(&[side(0, "other\n"), side(1, a)], &[side(2, a)]),
            vec![(1, 2)]
        );
    }
}
