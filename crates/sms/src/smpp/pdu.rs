//! Texts to `short_message` octets and back: data_coding, UDH concatenation,
//! decoding what an SMSC delivers. Shared with the SMSC simulator.

use crate::segment::{self, Encoding};
use crate::sender::SendError;

use super::receipt::ESM_UDHI;

/// The most parts a concatenated message can have (the UDH counts in one octet).
pub const MAX_PARTS: usize = 255;

/// A text as submit_sm (or deliver_sm) carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortMessages {
    /// `0x00` (GSM 7-bit, unpacked septets) or `0x08` (UCS-2).
    pub data_coding: u8,
    /// `0x40` (UDHI) when the text is in several parts, else `0x00`.
    pub esm_class: u8,
    /// Each part's `short_message`: the UDH then the payload, when concatenated.
    pub parts: Vec<Vec<u8>>,
}

/// Encodes `text` by its content and splits it; a text of several parts gets
/// the 8-bit `reference` in each part's UDH. More than 255 parts is refused
/// for good.
pub fn short_messages(text: &str, reference: u8) -> Result<ShortMessages, SendError> {
    let s = segment::segments(text);
    let data_coding = s.encoding.data_coding();
    if s.parts.len() == 1 {
        return Ok(ShortMessages {
            data_coding,
            esm_class: 0,
            parts: s.parts,
        });
    }
    let Ok(total) = u8::try_from(s.parts.len()) else {
        return Err(SendError::Permanent {
            err_code: "SMPP:TOO_MANY_PARTS".into(),
        });
    };
    let parts = s
        .parts
        .into_iter()
        .zip(1..=total)
        .map(|(payload, seq)| {
            let mut sm = Vec::with_capacity(6 + payload.len());
            sm.extend_from_slice(&segment::udh(reference, total, seq));
            sm.extend_from_slice(&payload);
            sm
        })
        .collect();
    Ok(ShortMessages {
        data_coding,
        esm_class: ESM_UDHI,
        parts,
    })
}

/// Where a part belongs in a concatenated message (UDH IEI 0x00 or 0x08).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Concat {
    pub reference: u16,
    pub total: u8,
    pub seq: u8,
}

/// Splits a `short_message` that starts with a UDH into its concatenation
/// element (if any) and the payload; `None` if the UDH is malformed.
pub fn split_udh(sm: &[u8]) -> Option<(Option<Concat>, &[u8])> {
    let udhl = usize::from(*sm.first()?);
    let header = sm.get(1..1 + udhl)?;
    let payload = &sm[1 + udhl..];
    let mut concat = None;
    let mut rest = header;
    while rest.len() >= 2 {
        let (iei, len) = (rest[0], usize::from(rest[1]));
        let data = rest.get(2..2 + len)?;
        match (iei, data) {
            (0x00, &[r, total, seq]) => {
                concat = Some(Concat {
                    reference: u16::from(r),
                    total,
                    seq,
                })
            }
            (0x08, &[r1, r2, total, seq]) => {
                concat = Some(Concat {
                    reference: u16::from_be_bytes([r1, r2]),
                    total,
                    seq,
                })
            }
            _ => {}
        }
        rest = &rest[2 + len..];
    }
    Some((concat, payload))
}

/// Decodes a payload (without UDH) by its `data_coding`. Undecodable octets
/// become U+FFFD rather than an error: an upstream message is still worth
/// handing on.
pub fn decode_text(data_coding: u8, payload: &[u8]) -> String {
    match data_coding {
        0x00 => segment::decode(Encoding::Gsm7, payload).unwrap_or_else(|| latin1(payload)),
        0x08 => segment::decode(Encoding::Ucs2, payload).unwrap_or_else(|| {
            let units = payload
                .chunks(2)
                .map(|p| u16::from_be_bytes([p[0], *p.get(1).unwrap_or(&0)]));
            char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect()
        }),
        0x03 => latin1(payload),
        _ => String::from_utf8_lossy(payload).into_owned(),
    }
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_text_is_one_part_without_udh() {
        let m = short_messages("Code 123456", 7).unwrap();
        assert_eq!(m.data_coding, 0);
        assert_eq!(m.esm_class, 0);
        assert_eq!(m.parts.len(), 1);
        assert_eq!(decode_text(0, &m.parts[0]), "Code 123456");
    }

    #[test]
    fn a_long_text_has_a_udh_in_every_part_and_reassembles() {
        let text = "验证码".repeat(40);
        let m = short_messages(&text, 9).unwrap();
        assert_eq!(m.data_coding, 8);
        assert_eq!(m.esm_class, 0x40);
        assert_eq!(m.parts.len(), 2);
        let mut joined = String::new();
        for (i, p) in m.parts.iter().enumerate() {
            let (concat, payload) = split_udh(p).unwrap();
            assert_eq!(
                concat,
                Some(Concat {
                    reference: 9,
                    total: 2,
                    seq: i as u8 + 1
                })
            );
            joined.push_str(&decode_text(8, payload));
        }
        assert_eq!(joined, text);
    }

    #[test]
    fn more_than_255_parts_is_refused() {
        let text = "a".repeat(153 * 255);
        assert_eq!(short_messages(&text, 0).unwrap().parts.len(), 255);
        let text = "a".repeat(153 * 255 + 1);
        assert!(matches!(
            short_messages(&text, 0),
            Err(SendError::Permanent { .. })
        ));
    }

    #[test]
    fn malformed_udh_is_none_and_16_bit_references_are_read() {
        assert_eq!(split_udh(&[]), None);
        assert_eq!(split_udh(&[5, 0, 3, 1]), None);
        let (c, p) = split_udh(&[6, 8, 4, 0x12, 0x34, 3, 2, b'x']).unwrap();
        assert_eq!(
            c,
            Some(Concat {
                reference: 0x1234,
                total: 3,
                seq: 2
            })
        );
        assert_eq!(p, b"x");
    }
}
