//! License keys: 16 characters from a 32-character alphabet without look-alikes (no 0/O,
//! 1/I), 80 bits from the operating system's generator, grouped `ABCD-EFGH-JKLM-NPQR`.

use rand::{RngCore, TryRngCore};

pub const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const GROUPS: usize = 4;
const GROUP_LEN: usize = 4;

/// A new random key, formatted in groups.
pub fn generate() -> String {
    let mut bytes = [0u8; GROUPS * GROUP_LEN];
    rand::rngs::OsRng.unwrap_err().fill_bytes(&mut bytes);
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| ALPHABET[(b & 31) as usize] as char)
        .collect();
    chars
        .chunks(GROUP_LEN)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The stored search form of a key or key prefix: dashes and spaces removed, upper case.
pub fn normalize(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_grouped_unambiguous_and_distinct() {
        let a = generate();
        assert_eq!(a.len(), 19);
        assert_eq!(a.split('-').count(), 4);
        assert!(a.chars().all(|c| c == '-' || ALPHABET.contains(&(c as u8))));
        assert!(!a.contains(['0', 'O', '1', 'I']));
        let mut sorted = ALPHABET.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 32, "32 distinct characters: 5 bits each");
        assert_ne!(a, generate());
    }

    #[test]
    fn normalising_drops_dashes_and_case() {
        assert_eq!(normalize(" abcd-efgh "), "ABCDEFGH");
    }
}
