//! Serde for [`PhoneNumber`] in the fusion types that are stored (session state)
//! or read from the CLI (dry-run inputs): `{"country": "86", "number": "138…"}`,
//! parsed again on the way in.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{CountryCode, PhoneNumber};

#[derive(Serialize, Deserialize)]
struct Stored {
    country: String,
    number: String,
}

fn to_stored(n: &PhoneNumber) -> Stored {
    Stored {
        country: n.country().as_str().to_owned(),
        number: n.national().to_owned(),
    }
}

fn from_stored<E: serde::de::Error>(s: Stored) -> Result<PhoneNumber, E> {
    let country = CountryCode::parse(&s.country).map_err(E::custom)?;
    PhoneNumber::parse(&country, &s.number).map_err(E::custom)
}

pub(crate) mod option {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        n: &Option<PhoneNumber>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        n.as_ref().map(to_stored).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<PhoneNumber>, D::Error> {
        Option::<Stored>::deserialize(d)?
            .map(from_stored)
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Holder {
        #[serde(with = "option")]
        n: Option<PhoneNumber>,
    }

    #[test]
    fn numbers_round_trip_and_are_parsed_on_the_way_in() {
        let n = PhoneNumber::parse(&CountryCode::mainland(), "13800138000").unwrap();
        let h = Holder { n: Some(n) };
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, r#"{"n":{"country":"86","number":"13800138000"}}"#);
        assert_eq!(serde_json::from_str::<Holder>(&json).unwrap(), h);
        assert!(serde_json::from_str::<Holder>(r#"{"n":{"country":"86","number":"12"}}"#).is_err());
        assert_eq!(
            serde_json::from_str::<Holder>(r#"{"n":null}"#).unwrap(),
            Holder { n: None }
        );
    }
}
