//! The console's languages: two embedded message tables (`web/console/messages/`),
//! the language of a request (`?lang=`, else its cookie, else English), and the
//! page templates filled from them.

use std::collections::HashMap;

/// A language of the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    ZhCn,
}

const EN: &str = include_str!("../../../../web/console/messages/en.txt");
const ZH_CN: &str = include_str!("../../../../web/console/messages/zh-CN.txt");

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

    fn table(self) -> &'static str {
        match self {
            Lang::En => EN,
            Lang::ZhCn => ZH_CN,
        }
    }

    /// The text of `key`; the key itself when missing (a test keeps the tables complete).
    pub fn text(self, key: &str) -> String {
        messages(self.table())
            .get(key)
            .map_or_else(|| key.to_owned(), |v| (*v).to_owned())
    }
}

/// `key = text` lines; `#` starts a comment line.
fn messages(table: &'static str) -> HashMap<&'static str, &'static str> {
    table
        .lines()
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
    fn both_tables_have_the_same_keys() {
        let mut en: Vec<_> = messages(EN).into_keys().collect();
        let mut zh: Vec<_> = messages(ZH_CN).into_keys().collect();
        en.sort_unstable();
        zh.sort_unstable();
        assert_eq!(en, zh);
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
