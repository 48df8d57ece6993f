//! The table editor for one request ([`RequestEditor`]): the URL, its query parameters,
//! headers and form fields (or the raw body); every row can be changed, removed or added, and
//! a field that holds a secret stays a password field unless secrets are revealed. Step mode
//! edits the pending request with it, the replays a recorded one.

use url::Url;

use grantscope_core::http::HttpRequest;

/// Query parameters of a URL, decoded.
pub fn query_of(url: &str) -> Vec<(String, String)> {
    Url::parse(url)
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the headers say the body is a URL-encoded form.
pub fn is_form(headers: &[(String, String)]) -> bool {
    headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("content-type")
            && v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
    })
}

/// Whether two requests would put the same bytes on the wire.
pub fn same_request(a: &HttpRequest, b: &HttpRequest) -> bool {
    a.method == b.method && a.url == b.url && a.headers == b.headers && a.body == b.body
}

/// One name/value row of the editor (no `Debug`: a value may be a secret).
#[derive(Clone, PartialEq)]
struct Row {
    name: String,
    value: String,
}

fn rows_of(pairs: impl IntoIterator<Item = (String, String)>) -> Vec<Row> {
    pairs
        .into_iter()
        .map(|(name, value)| Row { name, value })
        .collect()
}

/// What the editor edits of the body.
#[derive(Clone)]
enum Body {
    None,
    Form(Vec<Row>),
    Raw(String),
}

/// A table editor for one request: the URL, its query parameters, headers and form fields
/// (or the raw body); every row can be changed or removed and rows added. No `Debug`: it holds
/// the request's raw values.
#[derive(Clone)]
pub struct RequestEditor {
    method: String,
    base: String,
    query: Vec<Row>,
    /// `None` for the browser's visit: its headers are the browser's, not grantscope's.
    headers: Option<Vec<Row>>,
    body: Body,
    /// The request being edited (its secrets stay marked, its decoded views are kept while
    /// the client assertion is unchanged).
    template: Option<HttpRequest>,
    /// Why the edited request cannot be sent.
    pub error: Option<String>,
}

impl RequestEditor {
    /// An editor holding `req`.
    pub fn from_request(req: &HttpRequest) -> Self {
        let mut base = req.url.clone();
        base.set_query(None);
        let body = match &req.body {
            None => Body::None,
            Some(b) if is_form(&req.headers) => Body::Form(rows_of(
                url::form_urlencoded::parse(b.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned())),
            )),
            Some(b) => Body::Raw(b.clone()),
        };
        Self {
            method: req.method.clone(),
            base: base.to_string(),
            query: rows_of(query_of(req.url.as_str())),
            headers: Some(rows_of(req.headers.iter().cloned())),
            body,
            template: Some(req.clone()),
            error: None,
        }
    }

    /// An editor holding the browser's authorization URL.
    pub fn from_url(url: &Url) -> Self {
        let mut base = url.clone();
        base.set_query(None);
        Self {
            method: "GET".into(),
            base: base.to_string(),
            query: rows_of(query_of(url.as_str())),
            headers: None,
            body: Body::None,
            template: None,
            error: None,
        }
    }

    /// The URL with the edited query.
    pub fn build_url(&self) -> Result<Url, String> {
        let mut url =
            Url::parse(self.base.trim()).map_err(|e| format!("The URL does not parse: {e}"))?;
        url.set_query(None);
        let query: Vec<&Row> = self
            .query
            .iter()
            .filter(|r| !r.name.trim().is_empty())
            .collect();
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|r| (r.name.trim(), r.value.as_str())));
        }
        Ok(url)
    }

    /// The edited request (secrets still marked for masking).
    pub fn build_request(&self) -> Result<HttpRequest, String> {
        let url = self.build_url()?;
        let mut headers = Vec::new();
        for r in self.headers.iter().flatten() {
            let name = r.name.trim();
            if name.is_empty() {
                continue;
            }
            if !name.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
                return Err(format!(
                    "The header name {name:?} is not a valid HTTP token"
                ));
            }
            if r.value.contains(['\r', '\n']) {
                return Err(format!("The value of header {name} holds a line break"));
            }
            headers.push((name.to_owned(), r.value.clone()));
        }
        let body = match &self.body {
            Body::None => None,
            Body::Raw(b) => Some(b.clone()),
            Body::Form(rows) => Some(
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(
                        rows.iter()
                            .filter(|r| !r.name.trim().is_empty())
                            .map(|r| (r.name.trim(), r.value.as_str())),
                    )
                    .finish(),
            ),
        };
        let (secrets, decoded) = match &self.template {
            Some(t) => {
                let assertion = |rows: Option<&Vec<Row>>| {
                    rows.and_then(|rows| {
                        rows.iter()
                            .find(|r| r.name == "client_assertion")
                            .map(|r| r.value.clone())
                    })
                };
                let before = RequestEditor::from_request(t);
                let unchanged =
                    assertion(form_rows(&before.body)) == assertion(form_rows(&self.body));
                let decoded = if unchanged {
                    t.decoded.clone()
                } else {
                    Vec::new()
                };
                (t.secrets.clone(), decoded)
            }
            None => (Vec::new(), Vec::new()),
        };
        Ok(HttpRequest {
            method: self.method.clone(),
            url,
            headers,
            body,
            secrets,
            decoded,
        })
    }

    fn is_secret(&self, header: Option<&str>, value: &str) -> bool {
        header.is_some_and(|h| h.eq_ignore_ascii_case("authorization"))
            || self.template.as_ref().is_some_and(|t| {
                t.secrets
                    .iter()
                    .any(|(_, s)| !s.is_empty() && value.contains(s.as_str()))
            })
    }

    /// The editor: the URL, then a table per part with Remove on each row and Add under it.
    pub fn ui(&mut self, ui: &mut egui::Ui, reveal: bool, id: &str) {
        ui.horizontal(|ui| {
            ui.label(egui::RichText::new(&self.method).monospace().strong());
            let l = ui.label("URL");
            ui.add(
                egui::TextEdit::singleline(&mut self.base)
                    .desired_width(ui.available_width().max(120.0)),
            )
            .labelled_by(l.id);
        });
        let secret = |editor: &Self, header: Option<&str>, value: &str| {
            !reveal && editor.is_secret(header, value)
        };
        let mut query = std::mem::take(&mut self.query);
        rows_ui(
            ui,
            (id, "query"),
            "Query parameters",
            "query parameter",
            &mut query,
            |n, v| {
                let _ = n;
                secret(self, None, v)
            },
        );
        self.query = query;
        if let Some(mut headers) = self.headers.take() {
            rows_ui(
                ui,
                (id, "headers"),
                "Headers",
                "header",
                &mut headers,
                |n, v| secret(self, Some(n), v),
            );
            self.headers = Some(headers);
        }
        match std::mem::replace(&mut self.body, Body::None) {
            Body::Form(mut rows) => {
                rows_ui(
                    ui,
                    (id, "form"),
                    "Form fields",
                    "form field",
                    &mut rows,
                    |_, v| secret(self, None, v),
                );
                self.body = Body::Form(rows);
            }
            Body::Raw(mut text) => {
                ui.label(egui::RichText::new("Body").strong());
                let masked = secret(self, None, &text);
                ui.add(
                    egui::TextEdit::multiline(&mut text)
                        .password(masked)
                        .code_editor()
                        .desired_rows(3)
                        .desired_width(ui.available_width()),
                );
                self.body = Body::Raw(text);
            }
            Body::None => {}
        }
    }
}

fn form_rows(body: &Body) -> Option<&Vec<Row>> {
    match body {
        Body::Form(rows) => Some(rows),
        _ => None,
    }
}

/// One editable table: name and value fields, Remove per row, Add below.
fn rows_ui(
    ui: &mut egui::Ui,
    id: impl std::hash::Hash + std::fmt::Debug + Copy,
    title: &str,
    what: &str,
    rows: &mut Vec<Row>,
    masked: impl Fn(&str, &str) -> bool,
) {
    ui.add_space(4.0);
    ui.label(egui::RichText::new(format!("{title} ({})", rows.len())).strong());
    let name_w = 130.0_f32.min(ui.available_width() * 0.3);
    let value_w = (ui.available_width() - name_w - 90.0).max(100.0);
    let mut remove = None;
    // Rows of fixed widths (not a grid, which would size its columns to the text).
    for (i, row) in rows.iter_mut().enumerate() {
        let hide = masked(&row.name, &row.value);
        ui.push_id((id, i), |ui| {
            ui.horizontal(|ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut row.name)
                        .desired_width(name_w)
                        .hint_text("name"),
                );
                ui.add(
                    egui::TextEdit::singleline(&mut row.value)
                        .password(hide)
                        .desired_width(value_w)
                        .hint_text("value"),
                )
                .on_hover_text(if hide {
                    "A secret: tick Reveal secrets to see it (you can still type over it)"
                } else {
                    "The value as it will be sent"
                });
                if ui
                    .small_button("Remove")
                    .on_hover_text(format!("Remove this {what}"))
                    .clicked()
                {
                    remove = Some(i);
                }
            });
        });
    }
    if let Some(i) = remove {
        rows.remove(i);
    }
    if ui.small_button(format!("Add a {what}")).clicked() {
        rows.push(Row {
            name: String::new(),
            value: String::new(),
        });
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use grantscope_core::secret::SecretKind;

    fn token_request() -> HttpRequest {
        HttpRequest::post_form(
            Url::parse("https://as.example/token?x=1").unwrap(),
            &[
                ("grant_type", "authorization_code"),
                ("code", "the-code"),
                ("code_verifier", "the-verifier"),
            ],
        )
        .secret(SecretKind::AuthorizationCode, "the-code")
        .secret(SecretKind::PkceVerifier, "the-verifier")
    }

    #[test]
    fn the_editor_changes_removes_and_adds_rows_and_keeps_the_secrets_marked() {
        let req = token_request();
        let mut e = RequestEditor::from_request(&req);
        // Unchanged, it builds the same request.
        let same = e.build_request().unwrap();
        assert_eq!(same.body, req.body);
        assert_eq!(same.url, req.url);
        assert_eq!(same.headers, req.headers);
        if let Body::Form(rows) = &mut e.body {
            rows[2].value = "w".repeat(43);
            rows.remove(1);
            rows.push(Row {
                name: "extra".into(),
                value: "a b".into(),
            });
        }
        e.query.clear();
        if let Some(h) = e.headers.as_mut() {
            h.push(Row {
                name: "X-Test".into(),
                value: "1".into(),
            });
        }
        let edited = e.build_request().unwrap();
        assert_eq!(
            edited.body.as_deref(),
            Some(
                format!(
                    "grant_type=authorization_code&code_verifier={}&extra=a+b",
                    "w".repeat(43)
                )
                .as_str()
            )
        );
        assert_eq!(edited.url.as_str(), "https://as.example/token");
        assert!(
            edited
                .headers
                .iter()
                .any(|(k, v)| k == "X-Test" && v == "1")
        );
        assert_eq!(edited.secrets, req.secrets);
        // A bad header name is refused with the reason, not sent.
        if let Some(h) = e.headers.as_mut() {
            h.push(Row {
                name: "Bad Name".into(),
                value: "x".into(),
            });
        }
        assert!(e.build_request().unwrap_err().contains("Bad Name"));
    }

    #[test]
    fn the_authorize_url_editor_edits_the_query() {
        let url = Url::parse("https://as.example/authorize?client_id=c&state=s1").unwrap();
        let mut e = RequestEditor::from_url(&url);
        e.query[1].value = "other".into();
        e.query.push(Row {
            name: "prompt".into(),
            value: "login".into(),
        });
        assert_eq!(
            e.build_url().unwrap().as_str(),
            "https://as.example/authorize?client_id=c&state=other&prompt=login"
        );
        e.base = "not a url".into();
        assert!(e.build_url().is_err());
    }

    #[test]
    fn a_secret_value_is_recognised_for_masking() {
        let e = RequestEditor::from_request(&token_request());
        assert!(e.is_secret(None, "the-verifier"));
        assert!(!e.is_secret(None, "authorization_code"));
        assert!(e.is_secret(Some("Authorization"), "Basic abc"));
    }
}
