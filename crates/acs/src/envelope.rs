//! The JSON response envelopes: success, business refusal (HTTP 200), gateway error.

use serde_json::{Map, Value};

use crate::AcsError;

/// A fresh request id, an upper-case UUID like Alibaba's
/// (`4C467B38-3910-447D-87BC-AC049166F216`).
pub fn new_request_id() -> String {
    uuid::Uuid::new_v4()
        .hyphenated()
        .to_string()
        .to_ascii_uppercase()
}

/// `{"RequestId", "Code": "OK", "Message": "OK", …payload}`; the envelope's own
/// fields win over payload fields of the same name.
pub fn success(request_id: &str, payload: Map<String, Value>) -> Value {
    with_payload(
        payload,
        [
            ("RequestId", Value::from(request_id)),
            ("Code", Value::from("OK")),
            ("Message", Value::from("OK")),
        ],
    )
}

/// A business refusal, sent with HTTP 200:
/// `{"RequestId", "Code", "Message", "Success": false, …extra}`.
pub fn business_error(
    request_id: &str,
    code: &str,
    message: &str,
    extra: Map<String, Value>,
) -> Value {
    with_payload(
        extra,
        [
            ("RequestId", Value::from(request_id)),
            ("Code", Value::from(code)),
            ("Message", Value::from(message)),
            ("Success", Value::from(false)),
        ],
    )
}

/// A gateway error, sent with [`AcsError::http_status`]:
/// `{"RequestId", "HostId", "Code", "Message", "Recommend"}`.
pub fn gateway_error(request_id: &str, host_id: &str, error: &AcsError) -> Value {
    serde_json::json!({
        "RequestId": request_id,
        "HostId": host_id,
        "Code": error.code(),
        "Message": error.message(),
        "Recommend": error.recommend(),
    })
}

fn with_payload<const N: usize>(
    mut payload: Map<String, Value>,
    fields: [(&str, Value); N],
) -> Value {
    for (key, value) in fields {
        payload.insert(key.to_owned(), value);
    }
    Value::Object(payload)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn a_success_carries_ok_and_the_payload() {
        let body = success(
            "RID",
            map(json!({"Model": {"VerifyResult": "PASS"}, "Success": true})),
        );
        assert_eq!(
            body,
            json!({"RequestId": "RID", "Code": "OK", "Message": "OK",
                   "Model": {"VerifyResult": "PASS"}, "Success": true})
        );
    }

    #[test]
    fn the_envelope_fields_win_over_the_payload() {
        let body = success("RID", map(json!({"Code": "NOPE"})));
        assert_eq!(body["Code"], "OK");
    }

    #[test]
    fn a_business_error_is_unsuccessful() {
        let body = business_error("RID", "biz.FREQUENCY", "Too soon.", Map::new());
        assert_eq!(
            body,
            json!({"RequestId": "RID", "Code": "biz.FREQUENCY", "Message": "Too soon.", "Success": false})
        );
    }

    #[test]
    fn a_gateway_error_has_alibabas_five_fields() {
        let body = gateway_error("RID", "numgate.local", &AcsError::SignatureNonceUsed);
        let fields = map(body.clone());
        assert_eq!(fields.len(), 5);
        assert_eq!(body["Code"], "SignatureNonceUsed");
        assert_eq!(body["HostId"], "numgate.local");
        assert!(body["Recommend"].as_str().is_some_and(|r| !r.is_empty()));
    }

    #[test]
    fn request_ids_are_upper_case_uuids() {
        let id = new_request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(id, id.to_ascii_uppercase());
        assert!(uuid::Uuid::parse_str(&id).is_ok());
        assert_ne!(id, new_request_id());
    }
}
