//! Screenshots of the app under test without a GPU: a [`Textures`] renderer keeps the textures
//! egui uploads (the font atlas, images), and [`save_png`] rasterises the last frame's meshes
//! on the CPU (egui's own tessellation, premultiplied alpha, blended in gamma space as egui's
//! renderers do) into a PNG a person can look at. For looking, not for comparing pixels: no
//! test asserts on the image.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use egui_kittest::Harness;
use grantscope_gui::{AppOptions, GrantscopeApp};

/// The textures of one harness, shared between its renderer and [`save_png`].
#[derive(Clone, Default)]
pub struct Textures(Arc<Mutex<HashMap<egui::TextureId, egui::ColorImage>>>);

impl egui_kittest::TestRenderer for Textures {
    fn handle_delta(&mut self, delta: &mut egui::TexturesDelta) {
        let mut all = self.0.lock().unwrap();
        for (id, deltas) in &delta.set {
            for d in deltas {
                let egui::ImageData::Color(image) = &d.image;
                match d.pos {
                    None => {
                        all.insert(*id, (**image).clone());
                    }
                    Some([x0, y0]) => {
                        let Some(whole) = all.get_mut(id) else {
                            continue;
                        };
                        let [w, _] = whole.size;
                        for y in 0..image.size[1] {
                            for x in 0..image.size[0] {
                                let at = (y0 + y) * w + x0 + x;
                                if let Some(p) = whole.pixels.get_mut(at) {
                                    *p = image.pixels[y * image.size[0] + x];
                                }
                            }
                        }
                    }
                }
            }
        }
        for id in &delta.free {
            all.remove(id);
        }
        // Applied: epaint insists that a delta is not dropped unhandled.
        delta.clear();
    }
}

/// The app at a window of `w`×`h` pixels and `zoom`, as [`super::harness_at`], with its
/// textures kept for screenshots.
pub fn harness_at(
    options: AppOptions,
    (w, h, zoom): (f32, f32, f32),
) -> (Harness<'static, GrantscopeApp>, Textures) {
    let textures = Textures::default();
    let mut harness = Harness::builder()
        .with_size(egui::vec2(w / zoom, h / zoom))
        .with_pixels_per_point(zoom)
        .renderer(textures.clone())
        .build_eframe(move |cc| GrantscopeApp::new(cc, options).unwrap());
    super::settle(&mut harness);
    (harness, textures)
}

/// Saves the last frame as `NAME.png` in the folder `GRANTSCOPE_SHOTS_DIR` names; nothing
/// when it is not set.
pub fn shot(h: &Harness<'static, GrantscopeApp>, textures: &Textures, name: &str) {
    if let Some(dir) = std::env::var_os("GRANTSCOPE_SHOTS_DIR") {
        save_png(h, textures, &Path::new(&dir).join(format!("{name}.png")));
    }
}

/// Paints the last frame into `path` (a PNG, RGB, at the window's pixel size).
pub fn save_png(h: &Harness<'static, GrantscopeApp>, textures: &Textures, path: &Path) {
    let out = h.output();
    let ppp = out.pixels_per_point;
    let screen = h.ctx.content_rect();
    let (w, hh) = (
        (screen.width() * ppp).round() as usize,
        (screen.height() * ppp).round() as usize,
    );
    let bg = h.ctx.global_style().visuals.panel_fill;
    let mut px: Vec<[f32; 4]> = vec![rgba(bg); w * hh];
    let prims = h.ctx.tessellate(out.shapes.clone(), ppp);
    let all = textures.0.lock().unwrap();
    for prim in prims {
        let egui::epaint::Primitive::Mesh(mesh) = &prim.primitive else {
            continue;
        };
        let tex = all.get(&mesh.texture_id);
        let clip = prim.clip_rect;
        let (cx0, cy0) = ((clip.min.x * ppp).max(0.0), (clip.min.y * ppp).max(0.0));
        let (cx1, cy1) = (
            (clip.max.x * ppp).min(w as f32),
            (clip.max.y * ppp).min(hh as f32),
        );
        for tri in mesh.indices.chunks_exact(3) {
            let v = [
                &mesh.vertices[tri[0] as usize],
                &mesh.vertices[tri[1] as usize],
                &mesh.vertices[tri[2] as usize],
            ];
            let p: Vec<(f32, f32)> = v.iter().map(|v| (v.pos.x * ppp, v.pos.y * ppp)).collect();
            let area = edge(p[0], p[1], p[2]);
            if area.abs() < 1e-6 {
                continue;
            }
            let min_x = p.iter().map(|q| q.0).fold(f32::MAX, f32::min).max(cx0);
            let max_x = p.iter().map(|q| q.0).fold(f32::MIN, f32::max).min(cx1);
            let min_y = p.iter().map(|q| q.1).fold(f32::MAX, f32::min).max(cy0);
            let max_y = p.iter().map(|q| q.1).fold(f32::MIN, f32::max).min(cy1);
            if min_x >= max_x || min_y >= max_y {
                continue;
            }
            let colors = [rgba(v[0].color), rgba(v[1].color), rgba(v[2].color)];
            for y in (min_y.floor() as usize)..(max_y.ceil() as usize).min(hh) {
                for x in (min_x.floor() as usize)..(max_x.ceil() as usize).min(w) {
                    let c = (x as f32 + 0.5, y as f32 + 0.5);
                    if c.0 < cx0 || c.0 >= cx1 || c.1 < cy0 || c.1 >= cy1 {
                        continue;
                    }
                    let b0 = edge(p[1], p[2], c) / area;
                    let b1 = edge(p[2], p[0], c) / area;
                    let b2 = 1.0 - b0 - b1;
                    if b0 < -1e-4 || b1 < -1e-4 || b2 < -1e-4 {
                        continue;
                    }
                    let mut src: [f32; 4] = std::array::from_fn(|k| {
                        b0 * colors[0][k] + b1 * colors[1][k] + b2 * colors[2][k]
                    });
                    if let Some(t) = tex {
                        let u = b0 * v[0].uv.x + b1 * v[1].uv.x + b2 * v[2].uv.x;
                        let vv = b0 * v[0].uv.y + b1 * v[1].uv.y + b2 * v[2].uv.y;
                        let texel = sample(t, u, vv);
                        src = std::array::from_fn(|k| src[k] * texel[k]);
                    }
                    let dst = &mut px[y * w + x];
                    *dst = std::array::from_fn(|k| src[k] + dst[k] * (1.0 - src[3]));
                }
            }
        }
    }
    let rgb: Vec<u8> = px
        .iter()
        .flat_map(|p| [p[0], p[1], p[2]].map(|c| (c.clamp(0.0, 1.0) * 255.0).round() as u8))
        .collect();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(path, png(w, hh, &rgb)).unwrap();
}

/// A premultiplied colour as fractions.
fn rgba(c: egui::Color32) -> [f32; 4] {
    c.to_array().map(|v| f32::from(v) / 255.0)
}

/// Twice the signed area of (a, b, c).
fn edge(a: (f32, f32), b: (f32, f32), c: (f32, f32)) -> f32 {
    (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0)
}

/// Bilinear sample at normalised (u, v).
fn sample(t: &egui::ColorImage, u: f32, v: f32) -> [f32; 4] {
    let [w, h] = t.size;
    if w == 0 || h == 0 {
        return [1.0; 4];
    }
    let x = (u * w as f32 - 0.5).clamp(0.0, (w - 1) as f32);
    let y = (v * h as f32 - 0.5).clamp(0.0, (h - 1) as f32);
    let (x0, y0) = (x.floor() as usize, y.floor() as usize);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let at = |x: usize, y: usize| rgba(t.pixels[y * w + x]);
    let (a, b, c, d) = (at(x0, y0), at(x1, y0), at(x0, y1), at(x1, y1));
    std::array::from_fn(|k| {
        let top = a[k] + (b[k] - a[k]) * fx;
        let bottom = c[k] + (d[k] - c[k]) * fx;
        top + (bottom - top) * fy
    })
}

/// An 8-bit RGB PNG of `rgb` (rows top to bottom).
fn png(w: usize, h: usize, rgb: &[u8]) -> Vec<u8> {
    let mut raw = Vec::with_capacity((w * 3 + 1) * h);
    for row in rgb.chunks_exact(w * 3) {
        raw.push(0); // filter: none
        raw.extend_from_slice(row);
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&(w as u32).to_be_bytes());
    ihdr.extend_from_slice(&(h as u32).to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &miniz_oxide::deflate::compress_to_vec_zlib(&raw, 6),
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = 0xffff_ffffu32;
    for &b in kind.iter().chain(data) {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    out.extend_from_slice(&(!crc).to_be_bytes());
}
