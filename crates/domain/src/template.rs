//! SMS templates: `${name}` variables rendered from a tenant's `TemplateParam`,
//! whose `##code##` placeholder stands for the generated code.

use std::collections::BTreeMap;

use crate::InvalidParam;

/// The placeholder in `TemplateParam` values that numgate replaces with the code.
pub const CODE_PLACEHOLDER: &str = "##code##";

/// A parsed `TemplateParam`: a flat JSON object of string (or number) values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateParams(BTreeMap<String, String>);

const MAX_PARAM_BYTES: usize = 2048;

impl TemplateParams {
    pub fn parse(json: &str) -> Result<Self, InvalidParam> {
        let bad = |why: &str| InvalidParam::new("TemplateParam", why.to_owned());
        if json.len() > MAX_PARAM_BYTES {
            return Err(bad("is longer than 2048 bytes"));
        }
        let v: serde_json::Value =
            serde_json::from_str(json).map_err(|_| bad("is not valid JSON"))?;
        let obj = v.as_object().ok_or_else(|| bad("must be a JSON object"))?;
        let mut map = BTreeMap::new();
        for (k, v) in obj {
            let s = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                _ => return Err(bad("values must be strings or numbers")),
            };
            map.insert(k.clone(), s);
        }
        if !map.values().any(|v| v.contains(CODE_PLACEHOLDER)) {
            return Err(bad("must contain ##code## in one of its values"));
        }
        Ok(Self(map))
    }

    /// Renders `template` with these parameters, `##code##` replaced by `code`.
    /// Every `${name}` of the template must have a parameter.
    pub fn render(&self, template: &str, code: &str) -> Result<String, InvalidParam> {
        let mut out = String::with_capacity(template.len() + 16);
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find('}').ok_or_else(|| {
                InvalidParam::new("TemplateCode", "the template has an unclosed ${")
            })?;
            let name = &after[..end];
            let value = self.0.get(name).ok_or_else(|| {
                InvalidParam::new(
                    "TemplateParam",
                    format!("has no value for the template variable ${{{name}}}"),
                )
            })?;
            out.push_str(&value.replace(CODE_PLACEHOLDER, code));
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// The template variables a template uses, in order of appearance.
    pub fn variables(template: &str) -> Vec<&str> {
        let mut vars = Vec::new();
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            match after.find('}') {
                Some(end) => {
                    vars.push(&after[..end]);
                    rest = &after[end + 1..];
                }
                None => break,
            }
        }
        vars
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_placeholder_is_replaced_in_rendered_variables() {
        let p = TemplateParams::parse(r###"{"code":"##code##","min":5}"###).unwrap();
        let text = p
            .render("Your code is ${code}, valid for ${min} minutes.", "123456")
            .unwrap();
        assert_eq!(text, "Your code is 123456, valid for 5 minutes.");
    }

    #[test]
    fn bad_template_params_are_refused() {
        assert!(TemplateParams::parse("{").is_err());
        assert!(TemplateParams::parse("[1]").is_err());
        assert!(
            TemplateParams::parse(r###"{"code":"1234"}"###).is_err(),
            "no ##code##"
        );
        assert!(TemplateParams::parse(r###"{"code":"##code##","x":{}}"###).is_err());
        let p = TemplateParams::parse(r###"{"code":"##code##"}"###).unwrap();
        assert!(p.render("${code} ${min}", "1").is_err(), "missing variable");
    }

    #[test]
    fn variables_are_listed_in_order() {
        assert_eq!(TemplateParams::variables("a ${x} b ${y}"), vec!["x", "y"]);
    }
}
