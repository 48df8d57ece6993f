//! One HTTP exchange as the user sees it, in every screen that lists exchanges (flow runner,
//! history): a one-line title, the raw request and response masked the same way everywhere
//! (unless revealed), each in a text box of capped height, and "Copy as curl" that says whether
//! the secrets were masked. Also knows which answers are the expected "keep waiting" replies of
//! the device grant. An exchange edited in step mode is marked `[edited]` and shows the request
//! as the flow built it beside the one sent; a replayed one says so.

use serde::{Deserialize, Serialize};
use url::Url;

use grantscope_core::http::Exchange;

/// The tallest a request or response box grows before it scrolls (points).
const MAX_BOX_HEIGHT: f32 = 220.0;

/// An exchange as shown: masked (unless revealed) and detached from the raw values, so the
/// persistent history can store exactly what the screen showed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExchangeView {
    /// What the call was for.
    pub step: String,
    /// Method, as sent.
    pub method: String,
    /// URL, masked.
    pub url: String,
    /// The request as text (request line, headers, body), masked.
    pub request: String,
    /// HTTP status, when a response came.
    pub status: Option<u16>,
    /// The response as text (status line, headers, body), masked.
    pub response: Option<String>,
    /// The response's `error` code for the expected device-grant waits.
    pub waiting: Option<String>,
    /// Why there is no response.
    pub error: Option<String>,
    /// Round trip.
    pub elapsed_ms: u64,
    /// When it was sent (unix ms).
    pub started_at_ms: u64,
    /// The request as a curl command, masked unless revealed.
    pub curl: String,
    /// Whether secrets are masked in this view.
    pub masked: bool,
    /// Decoded views of what the request carried (a client assertion's header and claims,
    /// a DPoP proof), free of secrets, as pretty JSON. Absent in history kept before it.
    #[serde(default)]
    pub decoded: Vec<(String, String)>,
    /// Step mode: the request as the flow built it, when it was edited before sending
    /// (masked alike). Absent in history kept before it.
    #[serde(default)]
    pub original: Option<String>,
}

/// A request as text: request line, headers, body.
fn request_text(req: &grantscope_core::http::RecordedRequest) -> String {
    let mut request = format!("{} {}\n", req.method, req.url);
    for (k, v) in &req.headers {
        request.push_str(&format!("{k}: {v}\n"));
    }
    if let Some(b) = &req.body {
        request.push_str(&format!("\n{b}\n"));
    }
    request
}

/// A DPoP proof (RFC 9449) among request headers, decoded (header and claims: public key,
/// method, URL, time; no secret).
pub fn dpop_decoded(headers: &[(String, String)]) -> Option<(String, String)> {
    let (_, proof) = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("dpop"))?;
    match grantscope_core::token::decode::decode(proof).ok()? {
        grantscope_core::token::decode::Decoded::Jws(jws) => {
            let v = serde_json::json!({ "header": jws.header, "claims": jws.claims });
            let text = grantscope_core::text::to_json_pretty(&v).unwrap_or_else(|_| v.to_string());
            Some(("DPoP proof".into(), text))
        }
        _ => None,
    }
}

impl ExchangeView {
    /// The view of `ex`, secrets masked unless `reveal`.
    pub fn of(ex: &Exchange, reveal: bool) -> Self {
        let req = ex.request_view(reveal);
        let request = request_text(&req);
        let resp = ex.response_view(reveal);
        let response = resp.as_ref().map(|r| {
            let mut text = format!("HTTP {}\n", r.status);
            for (k, v) in &r.headers {
                text.push_str(&format!("{k}: {v}\n"));
            }
            text.push('\n');
            text.push_str(&r.body);
            text
        });
        let curl = ex.to_curl(reveal);
        let mut decoded: Vec<(String, String)> = ex
            .decoded()
            .iter()
            .map(|(label, v)| {
                let text =
                    grantscope_core::text::to_json_pretty(v).unwrap_or_else(|_| v.to_string());
                (label.clone(), text)
            })
            .collect();
        decoded.extend(dpop_decoded(&req.headers));
        Self {
            decoded,
            original: ex.original_request_view(reveal).map(|r| request_text(&r)),
            step: ex.step.clone(),
            method: req.method.clone(),
            url: req.url.clone(),
            request,
            status: resp.as_ref().map(|r| r.status),
            response,
            waiting: waiting_code(ex),
            error: ex.error_view(reveal),
            elapsed_ms: ex.elapsed_ms,
            started_at_ms: u64::try_from(ex.started_at_ms).unwrap_or(u64::MAX),
            masked: !reveal && curl != ex.to_curl(true),
            curl,
        }
    }

    /// A one-line title: step, method, host and path (never the query, which may hold a code),
    /// the answer and the time.
    pub fn title(&self) -> String {
        let target = Url::parse(&self.url)
            .map(|u| {
                let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
                format!("{}{port}{}", u.host_str().unwrap_or(""), u.path())
            })
            .unwrap_or_default();
        let answer = match (&self.status, &self.waiting, &self.error) {
            (Some(_), Some(code), _) => format!("waiting ({code}) · {} ms", self.elapsed_ms),
            (Some(s), None, _) => format!("{s} · {} ms", self.elapsed_ms),
            (None, _, Some(e)) => format!("failed · {e}"),
            (None, _, None) => "pending".into(),
        };
        let edited = if self.edited() { " [edited]" } else { "" };
        format!(
            "{}{edited}: {} {target}  ->  {answer}",
            self.step, self.method
        )
    }

    /// Whether the request was edited in step mode before it was sent.
    pub fn edited(&self) -> bool {
        self.original.is_some()
    }

    /// Whether this exchange is a replay of a recorded one.
    pub fn replayed(&self) -> bool {
        self.step.starts_with("replay: ")
    }

    /// Whether the exchange failed (the expected device-grant waits did not).
    pub fn failed(&self) -> bool {
        self.waiting.is_none() && self.status.is_none_or(|s| s >= 400)
    }
}

/// `authorization_pending` or `slow_down` when `ex` is the token endpoint's expected answer
/// while the user has not approved a device yet (RFC 8628 §3.5): a wait, not a failure.
pub fn waiting_code(ex: &Exchange) -> Option<String> {
    if ex.status()? != 400 {
        return None;
    }
    let r = ex.response_view(false)?;
    let v: serde_json::Value = serde_json::from_str(&r.body).ok()?;
    let code = v.get("error")?.as_str()?;
    matches!(code, "authorization_pending" | "slow_down").then(|| code.to_owned())
}

/// A read-only monospace text box that grows to `max_height` and then scrolls.
pub fn capped_text_ui(
    ui: &mut egui::Ui,
    id: impl std::hash::Hash + std::fmt::Debug,
    text: &str,
    max_height: f32,
) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        egui::ScrollArea::vertical()
            .id_salt(id)
            .max_height(max_height)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                // A server chose most of this text: shown inert (controls escaped, its lines
                // kept).
                ui.add(
                    egui::Label::new(
                        egui::RichText::new(grantscope_core::text::inert_multiline(text))
                            .monospace(),
                    )
                    .wrap(),
                );
            });
    });
}

/// One exchange, raw, with "Copy as curl" and what the copy contains.
pub fn exchange_ui(
    ui: &mut egui::Ui,
    id: impl std::hash::Hash + std::fmt::Debug + Copy,
    view: &ExchangeView,
) {
    if view.replayed() {
        ui.label(
            egui::RichText::new("A replay: a recorded request sent again")
                .color(ui.visuals().warn_fg_color),
        );
    }
    match &view.original {
        Some(original) => {
            ui.label(
                egui::RichText::new("Edited before sending (step mode): the request sent, and the original as the flow built it")
                    .color(ui.visuals().warn_fg_color),
            );
            // Side by side when there is room, else the original below.
            let two = ui.available_width() > 640.0;
            let boxes = |ui: &mut egui::Ui, which: usize| {
                if which == 0 {
                    ui.label(egui::RichText::new("Request (edited, as sent)").strong());
                    capped_text_ui(ui, ("req", id), &view.request, MAX_BOX_HEIGHT);
                } else {
                    ui.label(egui::RichText::new("Original request").strong());
                    capped_text_ui(ui, ("orig", id), original, MAX_BOX_HEIGHT);
                }
            };
            if two {
                ui.columns(2, |cols| {
                    boxes(&mut cols[0], 0);
                    boxes(&mut cols[1], 1);
                });
            } else {
                boxes(ui, 0);
                boxes(ui, 1);
            }
        }
        None => {
            ui.label(egui::RichText::new("Request").strong());
            capped_text_ui(ui, ("req", id), &view.request, MAX_BOX_HEIGHT);
        }
    }
    for (i, (label, text)) in view.decoded.iter().enumerate() {
        ui.label(egui::RichText::new(format!("Decoded: {label}")).strong());
        capped_text_ui(ui, ("decoded", id, i), text, MAX_BOX_HEIGHT);
    }
    ui.label(egui::RichText::new(format!("Response ({} ms)", view.elapsed_ms)).strong());
    match &view.response {
        Some(text) => {
            if let Some(code) = &view.waiting {
                ui.label(
                    egui::RichText::new(format!(
                        "{code}: the expected answer while the user has not approved yet"
                    ))
                    .weak(),
                );
            }
            capped_text_ui(ui, ("resp", id), text, MAX_BOX_HEIGHT);
        }
        None => {
            ui.colored_label(
                ui.visuals().error_fg_color,
                view.error.as_deref().unwrap_or("no response"),
            );
        }
    }
    // What was copied is remembered as it was copied (masked or not): ticking Reveal secrets
    // afterwards must not make a copy that holds secrets read as masked, or the reverse.
    let copied_id = egui::Id::unique(("curl_copied", id));
    ui.horizontal_wrapped(|ui| {
        if ui.button("Copy as curl").clicked() {
            ui.ctx().copy_text(view.curl.clone());
            ui.data_mut(|d| d.insert_temp(copied_id, view.masked));
        }
        let note = |masked: bool| {
            if masked {
                "secrets masked: this command will not run as it is (tick Reveal secrets for one that does)"
            } else {
                "nothing masked: the command runs as it is, and holds the secrets it sends"
            }
        };
        match ui.data(|d| d.get_temp::<bool>(copied_id)) {
            Some(was_masked) if was_masked == view.masked => {
                ui.label(format!("Copied; {}", note(was_masked)));
            }
            Some(was_masked) => {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!(
                        "The clipboard holds the copy made before Reveal secrets changed: {}",
                        note(was_masked)
                    ),
                );
            }
            None => {
                ui.label(egui::RichText::new(note(view.masked)).weak());
            }
        }
    });
}

/// A token endpoint response with its token values masked as the exchanges mask them.
pub fn mask_token_response(raw: &serde_json::Value) -> String {
    let mut v = raw.clone();
    if let Some(obj) = v.as_object_mut() {
        for key in ["access_token", "refresh_token", "id_token"] {
            if let Some(serde_json::Value::String(s)) = obj.get_mut(key) {
                *s = grantscope_core::http::MASK.to_owned();
            }
        }
    }
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

/// At most `max` characters, with "..." when cut.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        format!("{}...", s.chars().take(max).collect::<String>())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn shorten_keeps_short_text() {
        assert_eq!(shorten("abc", 5), "abc");
        assert_eq!(shorten("abcdef", 3), "abc...");
    }

    #[test]
    fn a_dpop_proof_is_shown_decoded() {
        let key = grantscope_core::oauth::dpop::DpopKey::generate().unwrap();
        let url = Url::parse("https://as.example/token").unwrap();
        let proof = key.proof("POST", &url, None, None, 1_700_000_000).unwrap();
        let headers = vec![("DPoP".to_owned(), proof)];
        let (label, text) = dpop_decoded(&headers).unwrap();
        assert_eq!(label, "DPoP proof");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["header"]["typ"], "dpop+jwt");
        assert_eq!(v["claims"]["htm"], "POST");
        assert_eq!(v["claims"]["htu"], "https://as.example/token");
        assert!(dpop_decoded(&[("Accept".into(), "x".into())]).is_none());
    }

    #[test]
    fn token_values_are_masked_whole() {
        let raw = serde_json::json!({"access_token": "abcdefghijkl", "token_type": "Bearer"});
        let shown = mask_token_response(&raw);
        assert!(!shown.contains("abcdefgh"), "{shown}");
        assert!(shown.contains(grantscope_core::http::MASK) && shown.contains("Bearer"));
    }
}
