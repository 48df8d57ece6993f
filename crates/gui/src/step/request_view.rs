//! A pending request shown in full: the request line, tables of its query parameters, headers
//! and form fields (or its body), and the decoded client assertion or DPoP proof.

use url::Url;

use crate::exchange_view::capped_text_ui;
use crate::request_editor::{is_form, query_of};
use grantscope_core::http::{HttpRequest, RecordedRequest};

/// Decoded views of what a request carries, as shown beside it: the client assertion (the
/// core's decoded view) and a DPoP proof's header and claims.
pub fn decoded_views(req: &HttpRequest) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = req
        .decoded
        .iter()
        .map(|(label, v)| {
            let text = grantscope_core::text::to_json_pretty(v).unwrap_or_else(|_| v.to_string());
            (label.clone(), text)
        })
        .collect();
    out.extend(crate::exchange_view::dpop_decoded(&req.headers));
    out
}

/// A masked request in full: the request line (the query is in its table), then tables of its
/// query parameters, headers and form fields (or its body), then the decoded views.
pub fn request_ui(
    ui: &mut egui::Ui,
    req: &RecordedRequest,
    decoded: &[(String, String)],
    id: &str,
) {
    let target = match Url::parse(&req.url) {
        Ok(mut u) => {
            u.set_query(None);
            u.to_string()
        }
        Err(_) => req.url.clone(),
    };
    ui.add(
        egui::Label::new(
            egui::RichText::new(grantscope_core::text::inert(&format!(
                "{} {target}",
                req.method
            )))
            .monospace()
            .strong(),
        )
        .wrap(),
    );
    let query = query_of(&req.url);
    table_ui(ui, (id, "query"), "Query parameters", &query);
    table_ui(ui, (id, "headers"), "Headers", &req.headers);
    if let Some(body) = &req.body {
        if is_form(&req.headers) {
            let fields: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            table_ui(ui, (id, "form"), "Form fields", &fields);
        } else {
            ui.label(egui::RichText::new("Body").strong());
            capped_text_ui(ui, (id, "body"), body, 160.0);
        }
    }
    for (i, (label, text)) in decoded.iter().enumerate() {
        ui.label(egui::RichText::new(format!("Decoded: {label}")).strong());
        capped_text_ui(ui, (id, "decoded", i), text, 200.0);
    }
}

fn table_ui(
    ui: &mut egui::Ui,
    id: impl std::hash::Hash + std::fmt::Debug,
    title: &str,
    rows: &[(String, String)],
) {
    if rows.is_empty() {
        return;
    }
    ui.label(egui::RichText::new(format!("{title} ({})", rows.len())).strong());
    let value_w = (ui.available_width() - 170.0).max(120.0);
    egui::Grid::new(id)
        .num_columns(2)
        .striped(true)
        .max_col_width(value_w)
        .show(ui, |ui| {
            for (k, v) in rows {
                ui.label(
                    egui::RichText::new(grantscope_core::text::inert(k))
                        .monospace()
                        .strong(),
                );
                ui.add(
                    egui::Label::new(
                        egui::RichText::new(grantscope_core::text::inert(v)).monospace(),
                    )
                    .wrap(),
                );
                ui.end_row();
            }
        });
}
