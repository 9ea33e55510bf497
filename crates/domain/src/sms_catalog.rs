//! Custom SMS signatures and templates a tenant submits for approval: the rules
//! of their names, contents and the signature owner's registration details.

use crate::template::TemplateParams;
use crate::{CountryCode, InvalidParam, PhoneNumber};

/// What a custom signature is for: the tenant's own business, or another's
/// (whose registration details are then given).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignPurpose {
    Own,
    Others,
}

impl SignPurpose {
    pub fn parse(s: &str) -> Result<Self, InvalidParam> {
        match s.trim() {
            "own" => Ok(Self::Own),
            "others" => Ok(Self::Others),
            _ => Err(InvalidParam::new("purpose", "must be own or others")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Own => "own",
            Self::Others => "others",
        }
    }
}

/// A signature's name: 2 to 12 letters (any script) or digits, not digits only.
pub fn signature_name(s: &str) -> Result<String, InvalidParam> {
    let s = s.trim();
    let n = s.chars().count();
    if !(2..=12).contains(&n) {
        return Err(InvalidParam::new("name", "must be 2 to 12 characters"));
    }
    if !s.chars().all(char::is_alphanumeric) {
        return Err(InvalidParam::new(
            "name",
            "may hold only letters and digits (no spaces or punctuation)",
        ));
    }
    if s.chars().all(|c| c.is_ascii_digit()) {
        return Err(InvalidParam::new("name", "must not be digits only"));
    }
    Ok(s.to_owned())
}

/// The owner's registration details of a custom signature. Each may be missing
/// at submission; a signature is approved only with all three.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnerRegistration {
    /// The company's or the person's registered name.
    pub owner_name: Option<String>,
    /// A unified social credit code (18 characters, GB 32100) or a resident
    /// identity card number (18 characters, GB 11643).
    pub owner_id_number: Option<String>,
    /// The contact's mobile number, digits with the country code.
    pub contact_phone: Option<String>,
}

impl OwnerRegistration {
    /// Validates each detail given (empty means not given).
    pub fn parse(name: &str, id_number: &str, contact: &str) -> Result<Self, InvalidParam> {
        let name = name.trim();
        let owner_name = if name.is_empty() {
            None
        } else if name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(InvalidParam::new(
                "owner_name",
                "must be at most 100 characters, without control characters",
            ));
        } else {
            Some(name.to_owned())
        };
        let id = id_number.trim().to_ascii_uppercase();
        let owner_id_number = if id.is_empty() {
            None
        } else if is_credit_code(&id) || is_id_card_number(&id) {
            Some(id)
        } else {
            return Err(InvalidParam::new(
                "owner_id_number",
                "must be a valid unified social credit code or resident ID number (18 characters, check digit included)",
            ));
        };
        let contact = contact.trim();
        let contact_phone = if contact.is_empty() {
            None
        } else {
            let phone = PhoneNumber::parse(&CountryCode::mainland(), contact).map_err(|_| {
                InvalidParam::new("contact_phone", "must be a mainland mobile number")
            })?;
            Some(phone.e164_digits())
        };
        Ok(Self {
            owner_name,
            owner_id_number,
            contact_phone,
        })
    }

    pub fn is_complete(&self) -> bool {
        self.owner_name.is_some() && self.owner_id_number.is_some() && self.contact_phone.is_some()
    }
}

/// A unified social credit code with its check character (GB 32100-2015).
pub fn is_credit_code(s: &str) -> bool {
    const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    const WEIGHTS: [u32; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let chars: Vec<char> = s.chars().collect();
    if chars.len() != 18 {
        return false;
    }
    let Some(values) = chars
        .iter()
        .map(|c| ALPHABET.find(*c).map(|i| i as u32))
        .collect::<Option<Vec<u32>>>()
    else {
        return false;
    };
    let sum: u32 = values[..17].iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    values[17] == check
}

/// A resident identity card number with its check character (ISO 7064 MOD 11-2).
pub fn is_id_card_number(s: &str) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let b = s.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = b[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    b[17] == CHECK[(sum % 11) as usize]
}

/// Alibaba's template types: 0 verification code, 1 notification, 2 promotion,
/// 3 international.
pub fn template_type(s: &str) -> Result<i32, InvalidParam> {
    match s.trim() {
        "0" => Ok(0),
        "1" => Ok(1),
        "2" => Ok(2),
        "3" => Ok(3),
        _ => Err(InvalidParam::new("template_type", "must be 0, 1, 2 or 3")),
    }
}

/// A template's name: 1 to 30 characters, no control characters.
pub fn template_name(s: &str) -> Result<String, InvalidParam> {
    let s = s.trim();
    let n = s.chars().count();
    if !(1..=30).contains(&n) || s.chars().any(char::is_control) {
        return Err(InvalidParam::new(
            "name",
            "must be 1 to 30 characters, without control characters",
        ));
    }
    Ok(s.to_owned())
}

/// A template's content: 1 to 500 characters; every `${` closed by `}` around a
/// variable name of 1 to 20 letters, digits or `_` (starting with a letter); a
/// verification-code template (type 0) has at least one variable, for the code.
pub fn template_content(s: &str, kind: i32) -> Result<String, InvalidParam> {
    let bad = |why: &str| Err(InvalidParam::new("content", why.to_owned()));
    let s = s.trim();
    let n = s.chars().count();
    if !(1..=500).contains(&n) {
        return bad("must be 1 to 500 characters");
    }
    if s.chars().any(|c| c.is_control() && c != '\n') {
        return bad("must not hold control characters");
    }
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return bad("has a ${ without its closing }");
        };
        let name = &after[..end];
        let valid = (1..=20).contains(&name.len())
            && name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(InvalidParam::new(
                "content",
                format!(
                    "the variable ${{{name}}} must be 1 to 20 letters, digits or _, starting with a letter"
                ),
            ));
        }
        rest = &after[end + 1..];
    }
    if kind == 0 && TemplateParams::variables(s).is_empty() {
        return bad("a verification code template needs a variable for the code, such as ${code}");
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_names_are_letters_and_digits() {
        assert_eq!(signature_name(" 鲸落科技 ").unwrap(), "鲸落科技");
        assert!(signature_name("A").is_err());
        assert!(signature_name("12345").is_err());
        assert!(signature_name("鲸落 科技").is_err());
        assert!(signature_name("【鲸落】").is_err());
        assert!(signature_name("一二三四五六七八九十一二三").is_err());
    }

    #[test]
    fn credit_codes_and_id_numbers_carry_their_check_character() {
        assert!(is_credit_code("91350100M000100Y43"));
        assert!(!is_credit_code("91350100M000100Y44"));
        assert!(is_id_card_number("11010519491231002X"));
        assert!(!is_id_card_number("110105194912310021"));
        let r = OwnerRegistration::parse("鲸落科技有限公司", "91350100m000100y43", "13800138000")
            .unwrap();
        assert!(r.is_complete());
        assert_eq!(r.owner_id_number.as_deref(), Some("91350100M000100Y43"));
        assert_eq!(r.contact_phone.as_deref(), Some("8613800138000"));
        assert!(!OwnerRegistration::parse("x", "", "").unwrap().is_complete());
        assert!(OwnerRegistration::parse("x", "123", "").is_err());
        assert!(OwnerRegistration::parse("x", "", "12345").is_err());
    }

    #[test]
    fn template_contents_have_well_formed_variables() {
        assert!(template_content("您的验证码为${code}。", 0).is_ok());
        assert!(template_content("您的验证码为${code。", 0).is_err());
        assert!(template_content("验证码${}", 0).is_err());
        assert!(template_content("验证码${1x}", 0).is_err());
        assert!(template_content("验证码${a-b}", 0).is_err());
        assert!(template_content("没有变量", 0).is_err());
        assert!(template_content("没有变量", 1).is_ok());
        assert!(template_content("", 1).is_err());
        assert!(template_type("4").is_err());
    }
}
