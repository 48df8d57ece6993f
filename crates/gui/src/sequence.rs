//! The flow runner's sequence diagram: four lanes (user-agent, client, authorization server,
//! resource server) and one arrow per step the engine reported, scaled to the width available,
//! each label wrapped onto as many lines as it needs (never cut). The presenter view shows it
//! in a height of its own, following the current arrow ([`sequence_following_ui`]).
//! An arrow that carries an exchange is clickable and opens it; the device grant's expected
//! "keep waiting" answers are drawn as waits, not failures. In step mode the request about to
//! be sent is drawn as a highlighted, dashed "next:" arrow ([`pending_arrows`]); its real arrow
//! appears only once it was sent. An exchange edited before sending is marked `[edited]`, a
//! replayed one carries its `replay:` step. Every arrow is in the accessibility tree with its
//! label and rectangle (tests read them).

use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, Vec2};
use url::Url;

use crate::exchange_view::waiting_code;
use grantscope_core::oauth::FlowEvent;
use grantscope_core::oauth::step::Pending;

const LANES: [&str; 4] = [
    "User-agent",
    "Client (grantscope)",
    "Authorization server",
    "Resource server",
];
const UA: usize = 0;
const CLIENT: usize = 1;
const AS: usize = 2;
const RS: usize = 3;

/// One row of the sequence diagram.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrow {
    /// Lane index of the sender.
    pub from: usize,
    /// Lane index of the receiver; equal to `from` for a note.
    pub to: usize,
    /// The text on the arrow.
    pub label: String,
    /// The exchange this arrow belongs to.
    pub exchange: Option<usize>,
    /// A failed response.
    pub error: bool,
    /// The request was edited before it was sent (step mode).
    pub edited: bool,
    /// Not drawn yet: the step mode's next request, about to be sent.
    pub pending: bool,
}

/// The lane a step's request goes to: the resource server for API calls, else the
/// authorization server.
fn target_of(step: &str) -> usize {
    let step = step.to_ascii_lowercase();
    if step.contains("userinfo")
        || step.contains("resource")
        || step.contains("api")
        || step.contains("without a token")
    {
        RS
    } else {
        AS
    }
}

/// The arrows step mode highlights before `pending` is sent: the request (or the browser's
/// visit) the flow is about to make.
pub fn pending_arrows(pending: &Pending) -> Vec<Arrow> {
    let next = |from, to, label: String| Arrow {
        from,
        to,
        label: format!("next: {label}"),
        exchange: None,
        error: false,
        edited: false,
        pending: true,
    };
    match pending {
        Pending::Request { step, request } => {
            vec![next(
                CLIENT,
                target_of(step),
                format!("{} {}  ({step})", request.method, request.url.path()),
            )]
        }
        Pending::Authorize { url } => vec![next(
            CLIENT,
            UA,
            format!("authorization request, GET {}", url.path()),
        )],
    }
}

/// Turns the engine's events into diagram rows, in order.
pub fn arrows(events: &[FlowEvent]) -> Vec<Arrow> {
    let mut out = Vec::new();
    let mut ex_index = 0;
    let arrow = |from, to, label: String, exchange, error| Arrow {
        from,
        to,
        label,
        exchange,
        error,
        edited: false,
        pending: false,
    };
    for ev in events {
        match ev {
            FlowEvent::Started { .. } => {}
            FlowEvent::Exchange(ex) => {
                let target = target_of(&ex.step);
                let url = ex.request_view(false).url;
                let path = Url::parse(&url).map(|u| u.path().to_owned()).unwrap_or(url);
                let edited = if ex.is_edited() { " [edited]" } else { "" };
                let mut request = arrow(
                    CLIENT,
                    target,
                    format!("{} {}  ({}){edited}", ex.method(), path, ex.step),
                    Some(ex_index),
                    false,
                );
                request.edited = ex.is_edited();
                out.push(request);
                match (ex.status(), waiting_code(ex)) {
                    (Some(_), Some(code)) => out.push(arrow(
                        target,
                        CLIENT,
                        format!("{code}: keep waiting  ({} ms)", ex.elapsed_ms),
                        Some(ex_index),
                        false,
                    )),
                    // The API called without a token (RFC 9728 discovery): its 401 is
                    // the answer asked for, drawn as expected, not as a failure.
                    (Some(401), None)
                        if ex.step
                            == grantscope_core::oauth::protected_resource::CALL_WITHOUT_TOKEN_STEP =>
                    {
                        out.push(arrow(
                            target,
                            CLIENT,
                            format!("HTTP 401, expected: asks for a token  ({} ms)", ex.elapsed_ms),
                            Some(ex_index),
                            false,
                        ))
                    }
                    (Some(status), None) => out.push(arrow(
                        target,
                        CLIENT,
                        format!("HTTP {status}  ({} ms)", ex.elapsed_ms),
                        Some(ex_index),
                        status >= 400,
                    )),
                    (None, _) => out.push(arrow(
                        target,
                        CLIENT,
                        ex.error_view(false).unwrap_or_else(|| "no response".into()),
                        Some(ex_index),
                        true,
                    )),
                }
                ex_index += 1;
            }
            FlowEvent::Authorize { opened, .. } => {
                let how = if *opened {
                    "opens the browser"
                } else {
                    "shows the URL to open"
                };
                out.push(arrow(
                    CLIENT,
                    UA,
                    format!("{how}: authorization request"),
                    None,
                    false,
                ));
                out.push(arrow(
                    UA,
                    AS,
                    "GET /authorize (user signs in, consents)".into(),
                    None,
                    false,
                ));
            }
            FlowEvent::WaitingForRedirect { redirect_uri } => {
                out.push(arrow(
                    CLIENT,
                    CLIENT,
                    format!("listening on {redirect_uri}"),
                    None,
                    false,
                ));
            }
            FlowEvent::RedirectReceived { .. } => {
                out.push(arrow(
                    AS,
                    UA,
                    "302 redirect with code and state".into(),
                    None,
                    false,
                ));
                out.push(arrow(
                    UA,
                    CLIENT,
                    "GET /callback?code=...&state=...".into(),
                    None,
                    false,
                ));
            }
            FlowEvent::BrowserRedirect { redirect, .. } => {
                // The browser's leg, in the user-agent's lane: the server's redirect (the
                // URL as the browser got it, code masked) and the browser's visit to the
                // client's listener. The arrows of `RedirectReceived`, when just drawn, get
                // the URL.
                let label = format!(
                    "302 redirect to {}",
                    crate::exchange_view::shorten(redirect, 90)
                );
                let drawn = out
                    .iter()
                    .rposition(|a: &Arrow| (a.from, a.to) == (AS, UA) && a.exchange.is_none());
                // An error redirect (`error=access_denied`) is drawn as a code's is, in red.
                let error = Url::parse(redirect).ok().and_then(|u| {
                    let code = u.query_pairs().find(|(k, _)| k == "error")?.1.into_owned();
                    Some((u.path().to_owned(), code))
                });
                match drawn.filter(|i| *i + 2 >= out.len()) {
                    Some(i) => out[i].label = label,
                    None => {
                        out.push(arrow(AS, UA, label, None, error.is_some()));
                        let visit = match &error {
                            Some((path, code)) => format!("GET {path}?error={code}"),
                            None => "GET /callback?code=...&state=...".into(),
                        };
                        out.push(arrow(UA, CLIENT, visit, None, error.is_some()));
                    }
                }
            }
            FlowEvent::DeviceCode {
                verification_uri,
                user_code,
                ..
            } => {
                out.push(arrow(
                    CLIENT,
                    UA,
                    format!("show: go to {verification_uri}, code {user_code}"),
                    None,
                    false,
                ));
                out.push(arrow(
                    UA,
                    AS,
                    "user enters the code and approves".into(),
                    None,
                    false,
                ));
            }
            FlowEvent::Polling { attempt, interval } => {
                out.push(arrow(
                    CLIENT,
                    CLIENT,
                    format!("poll #{attempt} in {interval} s"),
                    None,
                    false,
                ));
            }
            FlowEvent::Note(text) => out.push(arrow(CLIENT, CLIENT, text.clone(), None, false)),
            FlowEvent::Backchannel { waiting_for, .. } => {
                out.push(arrow(
                    AS,
                    UA,
                    "asks the user on their device".into(),
                    None,
                    false,
                ));
                out.push(arrow(
                    CLIENT,
                    CLIENT,
                    format!("wait: {waiting_for}"),
                    None,
                    false,
                ));
            }
        }
    }
    out
}

/// Text laid out in at most `max_width`, wrapped onto as many rows as it needs (a diagram's
/// label is read in full, never cut). A single line for the lane names.
fn wrapped(
    painter: &egui::Painter,
    text: &str,
    font: FontId,
    color: Color32,
    max_width: f32,
    max_rows: usize,
) -> std::sync::Arc<egui::Galley> {
    let mut job = egui::text::LayoutJob::simple_singleline(text.to_owned(), font, color);
    job.wrap = egui::text::TextWrapping {
        max_width: max_width.max(10.0),
        max_rows,
        break_anywhere: false,
        overflow_character: Some('…'),
    };
    painter.layout_job(job)
}

/// The diagram's measures at one width and type scale.
struct Geometry {
    width: f32,
    lane_w: f32,
    scale: f32,
    text_scale: f32,
    header_h: f32,
    row_h: f32,
}

impl Geometry {
    fn of(ui: &egui::Ui, scale: f32) -> Self {
        let width = ui.available_width().max(200.0);
        Self {
            width,
            lane_w: width / LANES.len() as f32,
            scale,
            // Narrow lanes get smaller text (see `font`); labels wrap in the space they have.
            text_scale: (width / 720.0).clamp(0.75, 1.0) * scale,
            header_h: 34.0 * scale.min(1.1),
            row_h: 30.0 * scale,
        }
    }

    fn lane_x(&self, rect: Rect, i: usize) -> f32 {
        rect.left() + self.lane_w * (i as f32 + 0.5)
    }

    fn font(&self) -> FontId {
        // Never under 10 points (15 px at 150 %).
        FontId::proportional((12.0 * self.text_scale).max(10.0))
    }
}

/// The lane names, in boxes, with the start of each lane's line.
fn lanes_header_ui(ui: &mut egui::Ui, g: &Geometry) {
    let (rect, _) = ui.allocate_exact_size(Vec2::new(g.width, g.header_h + 12.0), Sense::hover());
    let painter = ui.painter_at(rect);
    let v = ui.visuals().clone();
    for (i, name) in LANES.iter().enumerate() {
        let x = g.lane_x(rect, i);
        let head = Rect::from_center_size(
            Pos2::new(x, rect.top() + g.header_h / 2.0),
            Vec2::new(g.lane_w - 16.0, g.header_h - 6.0),
        );
        painter.rect(
            head,
            5.0,
            v.widgets.inactive.weak_bg_fill,
            Stroke::new(1.0, v.widgets.noninteractive.bg_stroke.color),
            egui::StrokeKind::Inside,
        );
        let galley = wrapped(
            &painter,
            name,
            // Lane names grow less than the arrows' text: they must fit their lane.
            FontId::proportional((13.0 * g.text_scale.min(1.1)).max(10.0)),
            v.strong_text_color(),
            head.width() - 6.0,
            1,
        );
        painter.galley(
            head.center() - galley.size() / 2.0,
            galley,
            v.strong_text_color(),
        );
        painter.line_segment(
            [Pos2::new(x, head.bottom()), Pos2::new(x, rect.bottom())],
            Stroke::new(1.0, v.weak_text_color()),
        );
    }
}

/// The arrows, one row each, as tall as its label needs. Returns the exchange index of a
/// clicked arrow and the rectangle of the first highlighted (pending) row, else the last row.
fn rows_ui(ui: &mut egui::Ui, g: &Geometry, rows: &[Arrow]) -> (Option<usize>, Option<Rect>) {
    let v = ui.visuals().clone();
    let font = g.font();
    let painter = ui.painter().clone();
    // Each label laid out first: its row is as tall as its wrapped text.
    let galleys: Vec<_> = rows
        .iter()
        .map(|a| {
            let color = arrow_color(&v, a);
            let room = if a.from == a.to {
                // A note: from its lane's dot to the diagram's right edge.
                g.width - g.lane_w * (a.from as f32 + 0.5) - 10.0
            } else {
                // The label may run past the arrow's ends, inside the diagram.
                (g.lane_w * (a.from.abs_diff(a.to) as f32 + 0.8)).min(g.width - 8.0)
            };
            (
                color,
                wrapped(&painter, &a.label, font.clone(), color, room, 4),
            )
        })
        .collect();
    let heights: Vec<f32> = galleys
        .iter()
        .map(|(_, gal)| g.row_h.max(gal.size().y + 14.0 * g.scale))
        .collect();
    let total: f32 = heights.iter().sum::<f32>().max(g.row_h);
    let (rect, _) = ui.allocate_exact_size(Vec2::new(g.width, total + 6.0), Sense::hover());
    let painter = ui.painter_at(rect);
    for i in 0..LANES.len() {
        let x = g.lane_x(rect, i);
        painter.line_segment(
            [Pos2::new(x, rect.top()), Pos2::new(x, rect.bottom())],
            Stroke::new(1.0, v.weak_text_color()),
        );
    }
    if rows.is_empty() {
        painter.text(
            Pos2::new(rect.center().x, rect.top() + g.row_h / 2.0),
            Align2::CENTER_CENTER,
            "starting...",
            FontId::proportional(12.0 * g.scale),
            Color32::GRAY,
        );
    }
    let mut clicked = None;
    let mut current = None;
    let mut top = rect.top();
    for (k, (a, (color, galley))) in rows.iter().zip(galleys).enumerate() {
        let row_rect = Rect::from_x_y_ranges(rect.left()..=rect.right(), top..=top + heights[k]);
        top += heights[k];
        // The arrow sits low in its row, its label above it.
        let y = row_rect.bottom() - 10.0 * g.scale;
        if a.pending {
            // The next step: a band behind the row, so it shows from the back of the room.
            painter.rect_filled(row_rect, 4.0, v.selection.bg_fill.gamma_multiply(0.5));
            current = current.or(Some(row_rect));
        }
        let hit = if a.from == a.to {
            let x = g.lane_x(rect, a.from);
            let y = row_rect.center().y;
            painter.circle_filled(Pos2::new(x, y), 3.0 * g.scale, color);
            let at = Pos2::new(x + 8.0, y - galley.size().y / 2.0);
            let hit = Rect::from_min_size(at, galley.size())
                .union(Rect::from_center_size(Pos2::new(x, y), Vec2::splat(6.0)));
            painter.galley(at, galley, color);
            hit
        } else {
            let (x0, x1) = (g.lane_x(rect, a.from), g.lane_x(rect, a.to));
            let stroke = Stroke::new(1.6 * g.scale.max(1.0), color);
            if a.pending {
                painter.extend(egui::Shape::dashed_line(
                    &[Pos2::new(x0, y), Pos2::new(x1, y)],
                    stroke,
                    8.0,
                    5.0,
                ));
            } else {
                painter.line_segment([Pos2::new(x0, y), Pos2::new(x1, y)], stroke);
            }
            let dir = (x1 - x0).signum();
            let tip = Pos2::new(x1, y);
            let (len, half) = (9.0 * g.scale, 4.5 * g.scale);
            painter.add(egui::Shape::convex_polygon(
                vec![
                    tip,
                    Pos2::new(x1 - dir * len, y - half),
                    Pos2::new(x1 - dir * len, y + half),
                ],
                color,
                Stroke::NONE,
            ));
            let size = galley.size();
            let mid_x = ((x0 + x1) / 2.0).clamp(
                rect.left() + size.x / 2.0 + 2.0,
                rect.right() - size.x / 2.0 - 2.0,
            );
            let at = Pos2::new(mid_x - size.x / 2.0, y - 3.0 - size.y);
            painter.galley(at, galley, color);
            Rect::from_x_y_ranges(x0.min(x1)..=x0.max(x1), (y - 3.0 - size.y)..=(y + 4.0))
                .union(Rect::from_min_size(at, size))
        };
        if let Some(ex) = a.exchange {
            let resp = ui
                .interact(hit, egui::Id::unique(("seq_arrow", k)), Sense::click())
                .on_hover_text("Show this exchange");
            resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &a.label));
            if resp.clicked() {
                clicked = Some(ex);
            }
        } else {
            // Not clickable, but in the accessibility tree with its place in the diagram.
            let resp = ui.interact(hit, egui::Id::unique(("seq_arrow", k)), Sense::hover());
            resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &a.label));
        }
        if k + 1 == rows.len() {
            current = current.or(Some(row_rect));
        }
    }
    (clicked, current)
}

fn arrow_color(v: &egui::Visuals, a: &Arrow) -> Color32 {
    if a.pending {
        v.selection.stroke.color
    } else if a.error {
        v.error_fg_color
    } else if a.edited {
        v.warn_fg_color
    } else if a.exchange.is_some() {
        v.hyperlink_color
    } else {
        v.text_color()
    }
}

/// Paints the sequence diagram in the width available, `pending` (step mode's next request)
/// highlighted after the arrows drawn so far, text and rows at `scale` (the presenter view's
/// larger type); returns the exchange index of a clicked arrow.
pub fn sequence_ui(
    ui: &mut egui::Ui,
    events: &[FlowEvent],
    pending: &[Arrow],
    scale: f32,
) -> Option<usize> {
    let mut rows = arrows(events);
    rows.extend(pending.iter().cloned());
    let g = Geometry::of(ui, scale);
    ui.scope(|ui| {
        ui.spacing_mut().item_spacing.y = 0.0;
        lanes_header_ui(ui, &g);
        rows_ui(ui, &g, &rows).0
    })
    .inner
}

/// The diagram in at most `max_height`, its lane names always shown and its arrows scrolled so
/// that the current one (step mode's next request, else the last) is in view: the presenter
/// view, where the explanation and the request share the screen with it. It follows the run:
/// each new arrow scrolls it again; in between, the user may scroll it.
pub fn sequence_following_ui(
    ui: &mut egui::Ui,
    events: &[FlowEvent],
    pending: &[Arrow],
    scale: f32,
    max_height: f32,
) -> Option<usize> {
    let mut rows = arrows(events);
    rows.extend(pending.iter().cloned());
    let g = Geometry::of(ui, scale);
    let seen_id = ui.scope_id().with("sequence_rows_seen");
    let shape = (rows.len(), rows.iter().position(|a| a.pending));
    let seen = ui.data(|d| d.get_temp::<(usize, Option<usize>)>(seen_id));
    ui.scope(|ui| {
        ui.spacing_mut().item_spacing.y = 0.0;
        lanes_header_ui(ui, &g);
        egui::ScrollArea::vertical()
            .id_salt("sequence_following")
            .max_height((max_height - g.header_h - 12.0).max(g.row_h))
            .auto_shrink([false, true])
            .show(ui, |ui| {
                let (clicked, current) = rows_ui(ui, &g, &rows);
                if seen != Some(shape)
                    && let Some(r) = current
                {
                    ui.scroll_to_rect(r, Some(egui::Align::Center));
                    ui.data_mut(|d| d.insert_temp(seen_id, shape));
                }
                clicked
            })
            .inner
    })
    .inner
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn authorization_code_events_become_arrows_between_the_right_lanes() {
        let events = vec![
            FlowEvent::Authorize {
                url: "http://127.0.0.1:1/authorize".into(),
                opened: false,
            },
            FlowEvent::WaitingForRedirect {
                redirect_uri: "http://127.0.0.1:2/callback".into(),
            },
            FlowEvent::RedirectReceived {
                url: "http://127.0.0.1:2/callback?code=x".into(),
            },
        ];
        let a = arrows(&events);
        let lanes: Vec<(usize, usize)> = a.iter().map(|a| (a.from, a.to)).collect();
        assert_eq!(
            lanes,
            vec![
                (CLIENT, UA),
                (UA, AS),
                (CLIENT, CLIENT),
                (AS, UA),
                (UA, CLIENT)
            ]
        );
        assert!(a.iter().all(|a| a.exchange.is_none()));
        // The browser's leg names the redirect as the browser got it, code masked, in the
        // same arrows (no exchange of the client's).
        let mut with_leg = events.clone();
        with_leg.push(FlowEvent::BrowserRedirect {
            authorization_url: "http://127.0.0.1:1/authorize".into(),
            redirect: "http://127.0.0.1:2/callback?code=•••&state=s".into(),
        });
        let b = arrows(&with_leg);
        assert_eq!(b.len(), a.len());
        assert_eq!(
            b[3].label,
            "302 redirect to http://127.0.0.1:2/callback?code=•••&state=s"
        );
        assert!(b.iter().all(|a| a.exchange.is_none()));
    }

    #[test]
    fn the_next_arrow_is_pending_and_an_edited_exchange_is_marked() {
        use grantscope_core::http::{Exchange, HttpRequest};
        let url = Url::parse("http://127.0.0.1:1/token").unwrap();
        let next = pending_arrows(&Pending::Request {
            step: "token request".into(),
            request: HttpRequest::post_form(url.clone(), &[("grant_type", "x")]),
        });
        assert_eq!(next.len(), 1);
        assert!(next[0].pending && (next[0].from, next[0].to) == (CLIENT, AS));
        assert_eq!(next[0].label, "next: POST /token  (token request)");
        let browser = pending_arrows(&Pending::Authorize {
            url: Url::parse("http://127.0.0.1:1/authorize?state=s").unwrap(),
        });
        assert_eq!((browser[0].from, browser[0].to), (CLIENT, UA));
        let mut ex = Exchange::front_channel("token request", &url, "", &[]);
        ex.set_edited_from(&HttpRequest::get(url));
        let drawn = arrows(&[FlowEvent::Exchange(Box::new(ex))]);
        assert!(drawn[0].edited && !drawn[0].pending);
        assert!(
            drawn[0].label.ends_with("(token request) [edited]"),
            "{}",
            drawn[0].label
        );
    }
}
