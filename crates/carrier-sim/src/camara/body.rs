//! JSON request bodies of the CAMARA APIs, parsed by hand so every failure is a spec error body
//! (axum's `Json` extractor would answer its own plain-text 400/415/422).

use serde_json::{Map, Value};

use crate::errors::ApiError;

/// The body as a JSON object; absent, malformed or non-object bodies are `INVALID_ARGUMENT`.
pub(crate) fn json_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid_argument("A request body is required."));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::invalid_argument(
            "The request body must be a JSON object.",
        )),
        Err(_) => Err(ApiError::invalid_argument(
            "The request body is not valid JSON.",
        )),
    }
}
