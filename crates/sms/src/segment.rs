//! Choosing an SMS encoding by content and splitting long texts into
//! concatenated parts (issue 6: SMPP `data_coding`, UDH concatenation, and the
//! segment count billing records).
//!
//! Pure functions, no I/O:
//! - [`Encoding::for_text`]: GSM 03.38 7-bit when every character is in the
//!   default alphabet or its basic extension table, UCS-2 otherwise.
//! - [`segments`]: the encoded payload of each part (without UDH) and the count.
//! - [`udh`]: the 6-byte concatenation header (IEI 0x00, 8-bit reference).
//! - [`count_segments`]: the number of parts, for billing.
//! - [`decode`]: the inverse of one part's payload (for receivers and tests).
//!
//! # Payload formats
//! - **GSM 7-bit** payloads are returned **unpacked**: one septet per byte
//!   (values `0x00..=0x7F`), an extension-table character as the escape `0x1B`
//!   followed by its code. This is what SMPP `data_coding = 0x00` (SMSC default
//!   alphabet) takes in `short_message`; the SMSC does the packing.
//! - **UCS-2** payloads are UTF-16 big-endian; characters outside the Basic
//!   Multilingual Plane are surrogate pairs (2 code units, 4 bytes).
//!
//! # Limits
//! A text fitting one part takes up to 160 septets (GSM) or 70 UTF-16 code
//! units (140 octets, UCS-2). Longer texts are split into parts of at most 153
//! septets or 67 code units each, leaving room for the 6-byte UDH. An escape
//! pair or a surrogate pair is never split across parts, so a part may be one
//! unit shorter than the limit.
//!
//! The empty text is one part with an empty payload (`count == 1`): sending it
//! still costs one message.

/// GSM 03.38 default alphabet, indexed by septet. Index `0x1B` is the escape
/// to the extension table and never matches a character (see [`gsm7_code`]).
const GSM7_BASIC: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\u{1B}', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// The escape septet announcing a character of the extension table.
const GSM7_ESCAPE: u8 = 0x1B;

/// GSM 03.38 basic extension table: (code after the escape, character).
const GSM7_EXTENSION: [(u8, char); 10] = [
    (0x0A, '\u{0C}'), // form feed
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x65, '€'),
];

/// Septets in one unconcatenated GSM 7-bit message.
pub const GSM7_SINGLE: usize = 160;
/// Septets per part of a concatenated GSM 7-bit message (6-byte UDH).
pub const GSM7_PART: usize = 153;
/// UTF-16 code units in one unconcatenated UCS-2 message (140 octets).
pub const UCS2_SINGLE: usize = 70;
/// UTF-16 code units per part of a concatenated UCS-2 message (6-byte UDH).
pub const UCS2_PART: usize = 67;

/// How a text is encoded on the air interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// GSM 03.38 default alphabet plus the basic extension table.
    Gsm7,
    /// UCS-2 / UTF-16 big-endian.
    Ucs2,
}

impl Encoding {
    /// GSM 7-bit if every character has a GSM 03.38 code, UCS-2 otherwise.
    pub fn for_text(text: &str) -> Encoding {
        if text.chars().all(|c| gsm7_code(c).is_some()) {
            Encoding::Gsm7
        } else {
            Encoding::Ucs2
        }
    }

    /// The SMPP 3.4 `data_coding` value: `0x00` (SMSC default alphabet) for
    /// GSM 7-bit, `0x08` for UCS-2.
    pub fn data_coding(self) -> u8 {
        match self {
            Encoding::Gsm7 => 0x00,
            Encoding::Ucs2 => 0x08,
        }
    }

    fn limits(self) -> (usize, usize) {
        match self {
            Encoding::Gsm7 => (GSM7_SINGLE, GSM7_PART),
            Encoding::Ucs2 => (UCS2_SINGLE, UCS2_PART),
        }
    }
}

/// A text encoded and split into parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segmented {
    /// The encoding chosen for the whole text.
    pub encoding: Encoding,
    /// The encoded payload of each part, without UDH (see the module docs for
    /// the byte format). Never empty: the empty text is one empty part.
    pub parts: Vec<Vec<u8>>,
    /// `parts.len()`, the number of messages billed.
    pub count: u32,
}

/// The GSM 03.38 septets of one character: one for the default alphabet, the
/// escape and a code for the extension table, `None` if it has no code.
fn gsm7_code(c: char) -> Option<([u8; 2], usize)> {
    if c != '\u{1B}' {
        if let Some(i) = GSM7_BASIC.iter().position(|&b| b == c) {
            return Some(([i as u8, 0], 1));
        }
    }
    GSM7_EXTENSION
        .iter()
        .find(|&&(_, e)| e == c)
        .map(|&(code, _)| ([GSM7_ESCAPE, code], 2))
}

/// Encodes one character; its length in units (septets or UTF-16 code units)
/// is `bytes.len()` for GSM 7-bit and `bytes.len() / 2` for UCS-2.
fn encode_char(encoding: Encoding, c: char, out: &mut Vec<u8>) -> usize {
    match encoding {
        Encoding::Gsm7 => {
            let (septets, n) = gsm7_code(c).expect("Gsm7 chosen only for GSM text");
            out.extend_from_slice(&septets[..n]);
            n
        }
        Encoding::Ucs2 => {
            let mut units = [0u16; 2];
            let units = c.encode_utf16(&mut units);
            for u in units.iter() {
                out.extend_from_slice(&u.to_be_bytes());
            }
            units.len()
        }
    }
}

/// Encodes `text` with the encoding its content calls for and splits it into
/// parts within the standard limits, never splitting an escape pair or a
/// surrogate pair.
pub fn segments(text: &str) -> Segmented {
    let encoding = Encoding::for_text(text);
    let (single, per_part) = encoding.limits();

    let mut encoded = Vec::new();
    // Units taken by each character, in order.
    let mut widths = Vec::with_capacity(text.len());
    for c in text.chars() {
        widths.push(encode_char(encoding, c, &mut encoded));
    }
    let total: usize = widths.iter().sum();
    let bytes_per_unit = match encoding {
        Encoding::Gsm7 => 1,
        Encoding::Ucs2 => 2,
    };

    let parts = if total <= single {
        vec![encoded]
    } else {
        let mut parts = Vec::with_capacity(total.div_ceil(per_part));
        let (mut start, mut units) = (0usize, 0usize);
        let mut offset = 0usize;
        for w in widths {
            if units + w > per_part {
                parts.push(encoded[start..offset].to_vec());
                start = offset;
                units = 0;
            }
            units += w;
            offset += w * bytes_per_unit;
        }
        parts.push(encoded[start..offset].to_vec());
        parts
    };

    let count = u32::try_from(parts.len()).unwrap_or(u32::MAX);
    Segmented {
        encoding,
        parts,
        count,
    }
}

/// The number of messages `text` is billed as.
pub fn count_segments(text: &str) -> u32 {
    segments(text).count
}

/// The 6-byte User Data Header of a concatenated part: UDHL 5, IEI 0x00
/// (concatenated short messages, 8-bit reference), IEDL 3, then the reference
/// shared by all parts of one text, the total number of parts and this part's
/// 1-based sequence number. Callers keep `1 <= seq <= total`; more than 255
/// parts cannot be expressed.
pub fn udh(reference: u8, total: u8, seq: u8) -> [u8; 6] {
    debug_assert!(seq >= 1 && seq <= total, "seq {seq} of {total}");
    [0x05, 0x00, 0x03, reference, total, seq]
}

/// Decodes one part's payload (in the format [`segments`] returns). `None` if
/// it is not valid: a septet above `0x7F`, an unknown or dangling escape, an
/// odd UCS-2 length, or an unpaired surrogate.
pub fn decode(encoding: Encoding, payload: &[u8]) -> Option<String> {
    match encoding {
        Encoding::Gsm7 => {
            let mut text = String::with_capacity(payload.len());
            let mut bytes = payload.iter();
            while let Some(&b) = bytes.next() {
                if b == GSM7_ESCAPE {
                    let code = *bytes.next()?;
                    let &(_, c) = GSM7_EXTENSION.iter().find(|&&(e, _)| e == code)?;
                    text.push(c);
                } else {
                    text.push(*GSM7_BASIC.get(usize::from(b))?);
                }
            }
            Some(text)
        }
        Encoding::Ucs2 => {
            if !payload.len().is_multiple_of(2) {
                return None;
            }
            let units = payload
                .chunks_exact(2)
                .map(|p| u16::from_be_bytes([p[0], p[1]]));
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) {
        let s = segments(text);
        let joined: String = s
            .parts
            .iter()
            .map(|p| decode(s.encoding, p).expect("each part decodes on its own"))
            .collect();
        assert_eq!(joined, text);
        assert_eq!(s.count as usize, s.parts.len());
        assert_eq!(count_segments(text), s.count);
    }

    /// UTF-16 code units of one UCS-2 part.
    fn units(part: &[u8]) -> usize {
        part.len() / 2
    }

    #[test]
    fn ascii_160_is_one_part_161_is_two() {
        let t160 = "a".repeat(160);
        let s = segments(&t160);
        assert_eq!(s.encoding, Encoding::Gsm7);
        assert_eq!(s.count, 1);
        assert_eq!(s.parts[0].len(), 160);
        round_trip(&t160);

        let t161 = "a".repeat(161);
        let s = segments(&t161);
        assert_eq!(s.encoding, Encoding::Gsm7);
        assert_eq!(s.count, 2);
        assert_eq!(s.parts[0].len(), 153);
        assert_eq!(s.parts[1].len(), 8);
        round_trip(&t161);
    }

    #[test]
    fn gsm7_payload_is_unpacked_septets() {
        let s = segments("@A$¤");
        assert_eq!(s.parts, vec![vec![0x00, 0x41, 0x02, 0x24]]);
        assert_eq!(s.encoding.data_coding(), 0x00);
    }

    #[test]
    fn whole_gsm_alphabet_is_gsm7_and_round_trips() {
        let mut text: String = GSM7_BASIC
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != usize::from(GSM7_ESCAPE))
            .map(|(_, &c)| c)
            .collect();
        text.extend(GSM7_EXTENSION.iter().map(|&(_, c)| c));
        assert_eq!(Encoding::for_text(&text), Encoding::Gsm7);
        // 127 basic septets + 10 extension characters of two septets each.
        let s = segments(&text);
        assert_eq!(s.parts.iter().map(Vec::len).sum::<usize>(), 127 + 20);
        round_trip(&text);
    }

    #[test]
    fn extension_chars_count_twice() {
        let s = segments("^{}\\[~]|€");
        assert_eq!(s.encoding, Encoding::Gsm7);
        assert_eq!(s.parts[0].len(), 18);
        assert_eq!(&s.parts[0][..2], &[0x1B, 0x14]);
        assert_eq!(&s.parts[0][16..], &[0x1B, 0x65]);

        // 80 euro signs are 160 septets: one part; 81 are 162: two.
        assert_eq!(count_segments(&"€".repeat(80)), 1);
        assert_eq!(count_segments(&"€".repeat(81)), 2);
        // 159 plain + one extension = 161 septets: no longer fits one part.
        assert_eq!(count_segments(&format!("{}€", "a".repeat(159))), 2);
    }

    #[test]
    fn escape_pair_is_never_split() {
        // 152 plain septets, then '€' would straddle septets 153 and 154.
        let text = format!("{}€{}", "a".repeat(152), "b".repeat(10));
        let s = segments(&text);
        assert_eq!(s.count, 2);
        assert_eq!(s.parts[0].len(), 152);
        assert_eq!(&s.parts[1][..2], &[0x1B, 0x65]);
        assert!(s.parts.iter().all(|p| p.last() != Some(&GSM7_ESCAPE)));
        round_trip(&text);

        // Only escape pairs: 153 is odd, so every full part holds 152 septets.
        let text = "|".repeat(200);
        let s = segments(&text);
        assert_eq!(s.count, 3);
        assert!(s
            .parts
            .iter()
            .all(|p| p.len() <= 153 && p.len().is_multiple_of(2)));
        round_trip(&text);
    }

    #[test]
    fn chinese_70_is_one_part_71_is_two() {
        let t70 = "验".repeat(70);
        let s = segments(&t70);
        assert_eq!(s.encoding, Encoding::Ucs2);
        assert_eq!(s.encoding.data_coding(), 0x08);
        assert_eq!(s.count, 1);
        assert_eq!(s.parts[0].len(), 140);
        round_trip(&t70);

        let t71 = "验".repeat(71);
        let s = segments(&t71);
        assert_eq!(s.count, 2);
        assert_eq!(units(&s.parts[0]), 67);
        assert_eq!(units(&s.parts[1]), 4);
        assert_eq!(&s.parts[0][..2], &[0x9A, 0x8C]); // U+9A8C, big-endian
        round_trip(&t71);
    }

    #[test]
    fn one_non_gsm_char_makes_the_whole_text_ucs2() {
        let text = format!("{}验", "a".repeat(69));
        let s = segments(&text);
        assert_eq!(s.encoding, Encoding::Ucs2);
        assert_eq!(s.count, 1);
        assert_eq!(count_segments(&format!("{}验", "a".repeat(70))), 2);
        // A raw ESC character has no GSM code of its own.
        assert_eq!(Encoding::for_text("a\u{1B}b"), Encoding::Ucs2);
        round_trip("a\u{1B}b");
    }

    #[test]
    fn surrogate_pair_at_the_boundary_stays_whole() {
        // 66 units, then an emoji that would take units 67 and 68.
        let text = format!("{}😀{}", "验".repeat(66), "码".repeat(5));
        let s = segments(&text);
        assert_eq!(s.encoding, Encoding::Ucs2);
        assert_eq!(s.count, 2);
        assert_eq!(units(&s.parts[0]), 66);
        assert_eq!(units(&s.parts[1]), 2 + 5);
        assert_eq!(&s.parts[1][..4], &[0xD8, 0x3D, 0xDE, 0x00]);
        round_trip(&text);

        // An emoji counts as two units for the single-part limit too.
        assert_eq!(count_segments(&format!("{}😀", "验".repeat(68))), 1);
        assert_eq!(count_segments(&format!("{}😀", "验".repeat(69))), 2);
    }

    #[test]
    fn typical_numgate_code_texts() {
        let text = "【速通互联验证码】您的验证码为123456。尊敬的客户，以上验证码5分钟内有效，请注意保密，切勿告知他人。";
        assert_eq!(text.chars().count(), 53);
        let s = segments(text);
        assert_eq!(s.encoding, Encoding::Ucs2);
        assert_eq!(s.count, 1);
        assert_eq!(units(&s.parts[0]), 53);
        round_trip(text);

        // The longest seeded template with a 10-minute validity: 68
        // characters, still one part; anything appended past 70 makes two.
        let long = "【速通互联验证码】尊敬的客户，您正在进行绑定新手机号操作，您的验证码为123456。以上验证码10分钟内有效，请注意保密，切勿告知他人。";
        assert_eq!(long.chars().count(), 68);
        assert_eq!(count_segments(long), 1);
        let longer = format!("{long}谢谢您的使用！");
        assert_eq!(longer.chars().count(), 75);
        let s = segments(&longer);
        assert_eq!(s.count, 2);
        assert_eq!(units(&s.parts[0]), 67);
        assert_eq!(units(&s.parts[1]), 8);
        round_trip(&longer);

        let english = "Your numgate verification code is 123456. It is valid for 5 minutes.";
        assert_eq!(segments(english).encoding, Encoding::Gsm7);
        assert_eq!(count_segments(english), 1);
    }

    #[test]
    fn empty_text_is_one_empty_part() {
        let s = segments("");
        assert_eq!(s.encoding, Encoding::Gsm7);
        assert_eq!(s.count, 1);
        assert_eq!(s.parts, vec![Vec::<u8>::new()]);
        round_trip("");
    }

    #[test]
    fn udh_layout() {
        assert_eq!(udh(0xA7, 3, 1), [0x05, 0x00, 0x03, 0xA7, 0x03, 0x01]);
        assert_eq!(udh(0, 2, 2), [0x05, 0x00, 0x03, 0x00, 0x02, 0x02]);
    }

    #[test]
    fn decode_rejects_malformed_payloads() {
        assert_eq!(decode(Encoding::Gsm7, &[0x80]), None);
        assert_eq!(decode(Encoding::Gsm7, &[0x41, 0x1B]), None);
        assert_eq!(decode(Encoding::Gsm7, &[0x1B, 0x41]), None);
        assert_eq!(decode(Encoding::Ucs2, &[0x00]), None);
        assert_eq!(decode(Encoding::Ucs2, &[0xD8, 0x3D]), None);
    }

    #[test]
    fn long_mixed_texts_round_trip() {
        for n in [0, 1, 152, 153, 154, 159, 160, 161, 306, 307, 500] {
            round_trip(&"x€".repeat(n));
            round_trip(&"验😀a".repeat(n));
        }
    }
}
