//! Check digits (Doc 9303-3 §4.9).
//!
//! Each character gets a value (`0`-`9` = 0-9, `A`-`Z` = 10-35, filler `<` = 0), is multiplied
//! by the repeating weights 7, 3, 1, and the sum is taken modulo 10.

/// The repeating weights of Doc 9303-3 §4.9.
const WEIGHTS: [u32; 3] = [7, 3, 1];

/// The Doc 9303-3 §4.9 value of one MRZ character; `None` outside `A-Z 0-9 <`.
pub fn char_value(c: char) -> Option<u32> {
    match c {
        '<' => Some(0),
        '0'..='9' | 'A'..='Z' => c.to_digit(36),
        _ => None,
    }
}

/// True for the characters an MRZ may contain (Doc 9303-3 §4.3): `A-Z`, `0-9` and `<`.
pub fn is_mrz_char(c: char) -> bool {
    char_value(c).is_some()
}

/// The check digit (0-9) of `field` (Doc 9303-3 §4.9, weights 7, 3, 1); `None` if `field`
/// contains a character outside `A-Z 0-9 <`.
pub fn check_digit(field: &str) -> Option<u8> {
    let mut sum: u32 = 0;
    for (c, w) in field.chars().zip(WEIGHTS.iter().cycle()) {
        // Each term is < 36 * 7, and reducing mod 10 keeps the sum small for any length.
        sum = (sum + char_value(c)? * w) % 10;
    }
    u8::try_from(sum).ok()
}

/// The check digit of `field` as the printed character `'0'..='9'`.
pub fn check_digit_char(field: &str) -> Option<char> {
    check_digit(field).and_then(|d| char::from_digit(u32::from(d), 10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(char_value('<'), Some(0));
        assert_eq!(char_value('7'), Some(7));
        assert_eq!(char_value('A'), Some(10));
        assert_eq!(char_value('Z'), Some(35));
        assert_eq!(char_value('a'), None);
        assert_eq!(char_value(' '), None);
        assert_eq!(char_value('É'), None);
    }

    #[test]
    fn doc9303_3_examples() {
        // Doc 9303 Part 3 §4.9 check-digit examples (single field and composite for TD3/TD1/TD2)
        assert_eq!(check_digit("520727"), Some(3));
        assert_eq!(check_digit("AB2134<<<"), Some(5));
        assert_eq!(check_digit(""), Some(0));
        assert_eq!(check_digit("ab"), None);
        assert_eq!(check_digit_char("L898902C<"), Some('3'));
    }
}
