//! Shared setup of the GUI tests: the real app in an egui_kittest harness with its own config
//! dir, stepping until a condition holds, and walking the wizard to the flow runner; the
//! supported window sizes and the layout checks (widget rectangles) of the layout tests.
#![allow(dead_code)] // each test file uses a part of it

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use grantscope_gui::{AppOptions, GrantscopeApp, Screen};

/// The app, headless, at a size where every panel shows, once its start-up work is done.
pub fn harness(options: AppOptions) -> Harness<'static, GrantscopeApp> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 1000.0))
        .build_eframe(move |cc| GrantscopeApp::new(cc, options).unwrap());
    settle(&mut h);
    h
}

/// Steps until the app has read its profiles (the layout moves when they arrive, and a click
/// aimed before that can land on the wrong widget). Gives up quietly after a while: a test of
/// a store that cannot be read still gets its harness and asserts what it sees.
pub fn settle(h: &mut Harness<'static, GrantscopeApp>) {
    let deadline = Instant::now() + Duration::from_secs(30);
    h.step();
    while !h.state().settled() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
        h.step();
    }
    h.step();
}

/// Steps the app until `done` holds; background work (sandbox, HTTP) runs on the app's own
/// runtime meanwhile. The deadline only bounds a hung test; nothing asserts on time.
pub fn step_until(
    h: &mut Harness<'static, GrantscopeApp>,
    what: &str,
    mut done: impl FnMut(&Harness<'static, GrantscopeApp>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        h.step();
        if done(h) {
            h.step();
            return;
        }
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Answers the wizard and opens the flow runner with the sandbox profile.
pub fn walk(h: &mut Harness<'static, GrantscopeApp>, answers: &[&str]) {
    for a in answers {
        h.get_by_label(a).click();
        h.step();
        h.step();
    }
    h.get_by_label("Run this grant").click();
    h.step();
    h.step();
    assert_eq!(h.state().screen(), Screen::Flow);
    step_until(h, "the sandbox profile in the flow form", |h| {
        h.state().flow().profile.name == "Local sandbox"
    });
}

/// Whether the flow runner's last run has ended.
pub fn finished(h: &Harness<'static, GrantscopeApp>) -> bool {
    h.state().flow().run().is_some_and(|r| !r.running())
}

/// Steps until the flow runner shows an authorization URL, or its run ends.
pub fn wait_for_authorize_url(h: &mut Harness<'static, GrantscopeApp>) {
    step_until(h, "the authorization URL or an error", |h| {
        finished(h)
            || h.state()
                .flow()
                .run()
                .and_then(|r| r.authorize_url())
                .is_some()
    });
}

/// The authorization URL the flow runner shows (there must be one).
pub fn authorize_url(h: &Harness<'static, GrantscopeApp>) -> String {
    h.state()
        .flow()
        .run()
        .and_then(|r| r.authorize_url())
        .expect("an authorization URL")
        .to_owned()
}

/// Presses Run on an authorization-code form and returns the authorization URL the run shows.
pub fn run_until_authorize_url(h: &mut Harness<'static, GrantscopeApp>) -> String {
    h.get_by_label("Run").click();
    wait_for_authorize_url(h);
    assert!(
        !finished(h),
        "the run ended early: {:?}",
        h.query_all_by_role(egui::accesskit::Role::Label)
            .filter_map(|n| n.accesskit_node().value())
            .collect::<Vec<_>>()
    );
    authorize_url(h)
}

/// The sizes every screen must hold at: (width px, height px, zoom): 1024×700 at 100 %,
/// 1024×768 at 150 % and 1920×1080 at 200 % (projectors), and a 1600×1000 desktop (the
/// three-column layouts).
pub const SIZES: [(f32, f32, f32); 4] = [
    (1024.0, 700.0, 1.0),
    (1024.0, 768.0, 1.5),
    (1920.0, 1080.0, 2.0),
    (1600.0, 1000.0, 1.0),
];

/// The app at a window of `w`×`h` pixels and `zoom` (points = pixels / zoom, as egui sees a
/// zoomed window).
pub fn harness_at(
    options: AppOptions,
    (w, h, zoom): (f32, f32, f32),
) -> Harness<'static, GrantscopeApp> {
    let mut harness = Harness::builder()
        .with_size(egui::vec2(w / zoom, h / zoom))
        .with_pixels_per_point(zoom)
        .build_eframe(move |cc| GrantscopeApp::new(cc, options).unwrap());
    settle(&mut harness);
    harness
}

/// The window in points.
pub fn window(h: &Harness<'static, GrantscopeApp>) -> egui::Rect {
    h.ctx.content_rect()
}

/// The accessible name of a node: its label, else its value.
pub fn name_of<'a>(n: &egui_kittest::Node<'a>) -> String {
    let ak = n.accesskit_node();
    ak.label().or_else(|| ak.value()).unwrap_or_default()
}

/// Whether a role is a control a person operates.
pub fn is_control(role: egui::accesskit::Role) -> bool {
    use egui::accesskit::Role;
    matches!(
        role,
        Role::Button
            | Role::CheckBox
            | Role::ComboBox
            | Role::TextInput
            | Role::MultilineTextInput
            | Role::SpinButton
            | Role::Slider
            | Role::Link
            | Role::RadioButton
            | Role::Switch
            | Role::Tab
            | Role::MenuItem
            | Role::DisclosureTriangle
    )
}

/// A control as laid out: its name, its rectangle and the panel it sits in (in points).
pub struct Control {
    pub name: String,
    pub rect: egui::Rect,
    pub pane: egui::Rect,
}

/// Every control with the panel it sits in.
pub fn controls(h: &Harness<'static, GrantscopeApp>) -> Vec<Control> {
    let win = window(h);
    h.root()
        .children_recursive()
        .filter(|n| is_control(n.accesskit_node().role()))
        .map(|n| {
            let mut pane = win;
            let mut up = n.parent();
            while let Some(p) = up {
                if p.accesskit_node().role() == egui::accesskit::Role::Pane
                    && p.accesskit_node().bounding_box().is_some()
                {
                    pane = p.rect();
                    break;
                }
                up = p.parent();
            }
            Control {
                name: name_of(&n),
                rect: n.rect(),
                pane,
            }
        })
        .collect()
}

/// What is wrong with the layout: `must_see` controls (by exact name) missing or not wholly
/// visible; controls cut off at the side of their panel (not merely scrolled out of view);
/// wholly visible controls that overlap each other. A control partly outside its panel is
/// scrolled (its panel clips it) and only counts where it shows.
pub fn layout_problems(h: &Harness<'static, GrantscopeApp>, must_see: &[&str]) -> Vec<String> {
    let win = window(h).expand(0.5);
    let all = controls(h);
    let shown = |c: &Control| win.contains_rect(c.rect) && c.pane.expand(0.5).contains_rect(c.rect);
    let mut problems = Vec::new();
    for name in must_see {
        match all.iter().find(|c| c.name == *name) {
            None => problems.push(format!("{name:?} is not on screen")),
            Some(c) if !shown(c) => problems.push(format!(
                "{name:?} at {:?} is not wholly visible (panel {:?}, window {win:?})",
                c.rect, c.pane
            )),
            Some(_) => {}
        }
    }
    for c in &all {
        let within_height =
            c.rect.top() >= c.pane.top() - 0.5 && c.rect.bottom() <= c.pane.bottom() + 0.5;
        let sideways = c.rect.left() < c.pane.left() - 0.5 || c.rect.right() > c.pane.right() + 0.5;
        if within_height && sideways && c.rect.width() < c.pane.width() * 4.0 {
            problems.push(format!(
                "{:?} {:?} is cut off by its panel {:?}",
                c.name, c.rect, c.pane
            ));
        }
    }
    let visible: Vec<&Control> = all
        .iter()
        .filter(|c| shown(c) && c.rect.area() > 1.0)
        .collect();
    for (i, a) in visible.iter().enumerate() {
        for b in &visible[i + 1..] {
            let nested = a.rect.contains_rect(b.rect) || b.rect.contains_rect(a.rect);
            if !nested && a.rect.shrink(1.0).intersects(b.rect.shrink(1.0)) {
                problems.push(format!(
                    "{:?} {:?} overlaps {:?} {:?}",
                    a.name, a.rect, b.name, b.rect
                ));
            }
        }
    }
    problems
}

/// A form-urlencoded POST, played by the test as the user's browser; no redirect is followed.
pub fn post_form(url: &str, pairs: &[(&str, &str)]) -> (u16, Option<String>, String) {
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let url = url.to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let r = client
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let location = r
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_owned());
            (status, location, r.text().await.unwrap())
        })
    })
    .join()
    .unwrap()
}

/// With `GRANTSCOPE_GUI_SHOTS=DIR` set, the last frame drawn as `DIR/NAME.ppm` (a small
/// software rasterizer over egui's tessellated meshes and font atlas: the headless harness has
/// no GPU), so a person can look at what a test saw (`convert x.ppm x.png`). Images other than
/// the font atlas are drawn white. Without the variable, nothing.
pub fn shot(h: &Harness<'static, GrantscopeApp>, name: &str) {
    let Some(dir) = std::env::var_os("GRANTSCOPE_GUI_SHOTS") else {
        return;
    };
    let ppp = h.ctx.pixels_per_point();
    let size = window(h).size() * ppp;
    let (w, hgt) = (size.x.round() as usize, size.y.round() as usize);
    let primitives = h.ctx.tessellate(h.output().shapes.clone(), ppp);
    let atlas = h.ctx.fonts(|f| f.image());
    let mut px = vec![[0.0f32; 3]; w * hgt];
    for p in primitives {
        let egui::epaint::Primitive::Mesh(mesh) = p.primitive else {
            continue;
        };
        let clip = p.clip_rect;
        let (cx0, cy0) = ((clip.min.x * ppp).max(0.0), (clip.min.y * ppp).max(0.0));
        let (cx1, cy1) = (
            (clip.max.x * ppp).min(w as f32),
            (clip.max.y * ppp).min(hgt as f32),
        );
        let font = mesh.texture_id == egui::TextureId::default();
        for t in mesh.indices.chunks_exact(3) {
            let v = [
                &mesh.vertices[t[0] as usize],
                &mesh.vertices[t[1] as usize],
                &mesh.vertices[t[2] as usize],
            ];
            let pos: Vec<egui::Pos2> = v
                .iter()
                .map(|v| (v.pos.to_vec2() * ppp).to_pos2())
                .collect();
            let area = (pos[1] - pos[0]).x * (pos[2] - pos[0]).y
                - (pos[1] - pos[0]).y * (pos[2] - pos[0]).x;
            if area.abs() < 1e-6 {
                continue;
            }
            let x0 = pos
                .iter()
                .map(|p| p.x)
                .fold(f32::MAX, f32::min)
                .max(cx0)
                .floor() as usize;
            let x1 = pos
                .iter()
                .map(|p| p.x)
                .fold(f32::MIN, f32::max)
                .min(cx1)
                .ceil() as usize;
            let y0 = pos
                .iter()
                .map(|p| p.y)
                .fold(f32::MAX, f32::min)
                .max(cy0)
                .floor() as usize;
            let y1 = pos
                .iter()
                .map(|p| p.y)
                .fold(f32::MIN, f32::max)
                .min(cy1)
                .ceil() as usize;
            for y in y0..y1.min(hgt) {
                for x in x0..x1.min(w) {
                    let c = egui::pos2(x as f32 + 0.5, y as f32 + 0.5);
                    if c.x < cx0 || c.x >= cx1 || c.y < cy0 || c.y >= cy1 {
                        continue;
                    }
                    let edge = |a: egui::Pos2, b: egui::Pos2| {
                        ((b - a).x * (c - a).y - (b - a).y * (c - a).x) / area
                    };
                    let (l0, l1, l2) = (
                        edge(pos[1], pos[2]),
                        edge(pos[2], pos[0]),
                        edge(pos[0], pos[1]),
                    );
                    if l0 < 0.0 || l1 < 0.0 || l2 < 0.0 {
                        continue;
                    }
                    let mix = |f: &dyn Fn(&egui::epaint::Vertex) -> f32| {
                        l0 * f(v[0]) + l1 * f(v[1]) + l2 * f(v[2])
                    };
                    let mut rgba = [
                        mix(&|v| v.color.r() as f32),
                        mix(&|v| v.color.g() as f32),
                        mix(&|v| v.color.b() as f32),
                        mix(&|v| v.color.a() as f32),
                    ];
                    if font {
                        let u = mix(&|v| v.uv.x) * atlas.size[0] as f32;
                        let vv = mix(&|v| v.uv.y) * atlas.size[1] as f32;
                        let (tx, ty) = (
                            (u as usize).min(atlas.size[0] - 1),
                            (vv as usize).min(atlas.size[1] - 1),
                        );
                        let texel = atlas.pixels[ty * atlas.size[0] + tx];
                        let k = [texel.r(), texel.g(), texel.b(), texel.a()];
                        for (c, k) in rgba.iter_mut().zip(k) {
                            *c *= k as f32 / 255.0;
                        }
                    }
                    let dst = &mut px[y * w + x];
                    let keep = 1.0 - rgba[3] / 255.0;
                    for i in 0..3 {
                        dst[i] = rgba[i] + dst[i] * keep;
                    }
                }
            }
        }
    }
    let mut out = format!("P6\n{w} {hgt}\n255\n").into_bytes();
    for p in px {
        out.extend(p.map(|c| c.clamp(0.0, 255.0) as u8));
    }
    let path = std::path::Path::new(&dir).join(format!("{name}.ppm"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(path, out).unwrap();
}
