//! The console's languages: embedded message tables (`web/console/messages/`:
//! the common strings and one folder per page), the language of a request
//! (`?lang=`, else its cookie, else English), and the page templates filled from
//! them.

use std::collections::HashMap;
use std::sync::OnceLock;

/// A language of the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    ZhCn,
}

/// The tables of one language: the common one, then one per page.
macro_rules! tables {
    ($lang:literal) => {
        &[
            include_str!(concat!("../../../../web/console/messages/", $lang, ".txt")),
            include_str!(concat!(
                "../../../../web/console/messages/overview/",
                $lang,
                ".txt"
            )),
            include_str!(concat!(
                "../../../../web/console/messages/schemes/",
                $lang,
                ".txt"
            )),
            include_str!(concat!(
                "../../../../web/console/messages/policies/",
                $lang,
                ".txt"
            )),
            include_str!(concat!(
                "../../../../web/console/messages/sms/",
                $lang,
                ".txt"
            )),
            include_str!(concat!(
                "../../../../web/console/messages/keys/",
                $lang,
                ".txt"
            )),
            include_str!(concat!(
                "../../../../web/console/messages/risk/",
                $lang,
                ".txt"
            )),
            include_str!(concat!(
                "../../../../web/console/messages/billing/",
                $lang,
                ".txt"
            )),
            include_str!(concat!(
                "../../../../web/console/messages/audit/",
                $lang,
                ".txt"
            )),
        ]
    };
}

const EN: &[&str] = tables!("en");
const ZH_CN: &[&str] = tables!("zh-CN");

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "en" => Some(Lang::En),
            "zh-CN" | "zh" => Some(Lang::ZhCn),
            _ => None,
        }
    }

    /// The tag stored in the language cookie.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// The language's strings, parsed once.
    pub fn table(self) -> &'static HashMap<&'static str, &'static str> {
        static EN_TABLE: OnceLock<HashMap<&str, &str>> = OnceLock::new();
        static ZH_TABLE: OnceLock<HashMap<&str, &str>> = OnceLock::new();
        match self {
            Lang::En => EN_TABLE.get_or_init(|| messages(EN)),
            Lang::ZhCn => ZH_TABLE.get_or_init(|| messages(ZH_CN)),
        }
    }

    /// The text of `key`; the key itself when missing (a test keeps the tables complete).
    pub fn text(self, key: &str) -> String {
        self.table()
            .get(key)
            .map_or_else(|| key.to_owned(), |v| (*v).to_owned())
    }

    /// All the language's strings as a JSON object, for the pages' scripts.
    pub fn json(self) -> String {
        serde_json::to_string(self.table()).unwrap_or_else(|_| "{}".to_owned())
    }
}

/// `key = text` lines; `#` starts a comment line.
fn messages(tables: &[&'static str]) -> HashMap<&'static str, &'static str> {
    tables
        .iter()
        .flat_map(|t| t.lines())
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

/// Fills a template: `{{t:key}}` with the language's text, `{{name}}` with
/// `vars`; everything HTML-escaped. An unknown name becomes empty.
pub fn render(template: &str, lang: Lang, vars: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = &after[..end];
        let value = match name.strip_prefix("t:") {
            Some(key) => lang.text(key),
            None => vars
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
                .unwrap_or_default(),
        };
        escape_into(&mut out, &value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_keys_in_each_table() {
        for (en, zh) in EN.iter().zip(ZH_CN) {
            let mut en: Vec<_> = messages(&[en]).into_keys().collect();
            let mut zh: Vec<_> = messages(&[zh]).into_keys().collect();
            en.sort_unstable();
            zh.sort_unstable();
            assert_eq!(en, zh);
        }
    }

    #[test]
    fn no_key_is_defined_twice() {
        for tables in [EN, ZH_CN] {
            let mut seen = std::collections::HashSet::new();
            for line in tables.iter().flat_map(|t| t.lines()).map(str::trim) {
                if let Some((k, _)) = line.split_once('=').filter(|_| !line.starts_with('#')) {
                    assert!(seen.insert(k.trim()), "{k} is defined twice");
                }
            }
        }
    }

    #[test]
    fn templates_are_filled_and_escaped() {
        let html = render(
            "<p>{{t:sign_in}} {{who}}{{missing}}</p>",
            Lang::ZhCn,
            &[("who", "<b>&\"")],
        );
        assert_eq!(html, "<p>登录 &lt;b&gt;&amp;&quot;</p>");
        assert_eq!(render("{{t:sign_in}}", Lang::En, &[]), "Sign in");
    }
}
