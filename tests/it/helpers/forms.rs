//! The forms of a page as a browser would submit them: action, method and every named
//! field with its default value (selected option, checked box, textarea text).

use std::collections::BTreeSet;

use scraper::{Html, Selector};

/// A form found on a page: where it goes, how, and its fields with their defaults.
#[derive(Clone, Debug)]
pub struct Form {
    pub method: String,
    pub action: String,
    pub fields: Vec<(String, String)>,
}

/// The forms on a page, and the query parameters of its links.
pub fn forms_on(page_path: &str, html: &str) -> (Vec<Form>, BTreeSet<String>) {
    let doc = Html::parse_document(html);
    let sel = |s: &str| Selector::parse(s).unwrap();
    let mut forms = Vec::new();
    for form in doc.select(&sel("form")) {
        let method = form.value().attr("method").unwrap_or("get").to_lowercase();
        let action = match form.value().attr("action") {
            Some(a) if !a.is_empty() => a.to_owned(),
            _ => page_path.split('?').next().unwrap_or(page_path).to_owned(),
        };
        let mut fields = Vec::new();
        for control in form.select(&sel("input, select, textarea")) {
            let v = control.value();
            let Some(name) = v.attr("name") else { continue };
            let value = match v.name() {
                "select" => control
                    .select(&sel("option[selected]"))
                    .next()
                    .or_else(|| control.select(&sel("option")).next())
                    .and_then(|o| o.value().attr("value"))
                    .unwrap_or("")
                    .to_owned(),
                "textarea" => control.text().collect(),
                _ => match v.attr("type") {
                    Some("checkbox") | Some("radio") if v.attr("checked").is_none() => continue,
                    _ => v.attr("value").unwrap_or("").to_owned(),
                },
            };
            fields.push((name.to_owned(), value));
        }
        forms.push(Form {
            method,
            action,
            fields,
        });
    }
    // Query parameters of the page's links (pagers, filters).
    let mut params = BTreeSet::new();
    for a in doc.select(&sel("a[href]")) {
        if let Some((_, q)) = a.value().attr("href").unwrap_or("").split_once('?') {
            for (k, _) in url::form_urlencoded::parse(q.as_bytes()) {
                params.insert(k.into_owned());
            }
        }
    }
    (forms, params)
}
