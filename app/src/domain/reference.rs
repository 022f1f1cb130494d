//! How a request is named: a short number a person can read out on the phone, and a long secret token that
//! makes the customer's status link unguessable.

use rand::Rng;

/// No 0/O, 1/I/L, 2/Z, 5/S, 8/B: every letter survives being read aloud on a bad line.
const READABLE: &[u8] = b"34679ACDEFGHJKMNPQRTUVWXY";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestNumber(String);

impl RequestNumber {
    /// `RC-` and `len` readable characters. Uniqueness is the store's job (a unique index; retry on collision).
    pub fn random(rng: &mut impl Rng, len: usize) -> RequestNumber {
        let body: String = (0..len).map(|_| READABLE[rng.random_range(0..READABLE.len())] as char).collect();
        RequestNumber(format!("RC-{body}"))
    }

    /// A number as someone types or reads it: `RC-7K3Q`, `rc 7k3q` or just `7K3Q`.
    pub fn parse(s: &str) -> Option<RequestNumber> {
        let upper = s.trim().to_uppercase();
        let body = upper.strip_prefix("RC").unwrap_or(&upper).trim_start_matches([' ', '-']);
        ((4..=5).contains(&body.len()) && body.bytes().all(|b| READABLE.contains(&b)))
            .then(|| RequestNumber(format!("RC-{body}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 160 random bits, URL-safe: the only key to a customer's status page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusToken(String);

impl StatusToken {
    pub fn random(rng: &mut impl Rng) -> StatusToken {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567"; // 5 bits a character
        StatusToken((0..32).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect())
    }

    /// A token from a URL, if it has the shape of one; anything else cannot name a request.
    pub fn parse(s: &str) -> Option<StatusToken> {
        (s.len() == 32 && s.bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)))
            .then(|| StatusToken(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_unambiguous() {
        let mut rng = rand::rng();
        for _ in 0..1000 {
            let n = RequestNumber::random(&mut rng, 4);
            assert_eq!(n.as_str().len(), 7);
            assert!(n.as_str().starts_with("RC-"));
            assert!(!n.as_str()[3..].contains(['0', 'O', '1', 'I', 'L', '2', 'Z', '5', 'S', '8', 'B']));
        }
    }

    #[test]
    fn tokens_carry_at_least_128_bits_and_parse_back() {
        let mut rng = rand::rng();
        let t = StatusToken::random(&mut rng);
        assert!(t.as_str().len() * 5 >= 128);
        assert_eq!(StatusToken::parse(t.as_str()), Some(t.clone()));
        assert_ne!(StatusToken::random(&mut rng), t);
    }

    #[test]
    fn malformed_tokens_do_not_parse() {
        assert!(StatusToken::parse("short").is_none());
        assert!(StatusToken::parse(&"A".repeat(32)).is_none());
        assert!(StatusToken::parse(&"a".repeat(33)).is_none());
        assert!(StatusToken::parse("../../../../etc/passwd0000000000").is_none());
    }
}
