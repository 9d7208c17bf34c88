//! Bytes written as lowercase hexadecimal, as digests, fingerprints, serial numbers and random
//! tokens are shown. One place, without a formatter call per byte: the Gateway writes the
//! digest of every bearer token it is shown this way.

/// `bytes` as lowercase hexadecimal, two digits a byte.
pub fn lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::lower;

    #[test]
    fn every_byte_is_two_lowercase_digits_as_the_formatter_writes_them() {
        let every: Vec<u8> = (0..=255).collect();
        let formatted: String = every.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(lower(&every), formatted);
        assert_eq!(lower(&[]), "");
        assert_eq!(lower(&[0x0f, 0xa0]), "0fa0");
    }
}
