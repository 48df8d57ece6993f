//! Rebuilding the Processed SD-JWT Payload (RFC 9901 §7.1 step 3): each embedded digest
//! (`_sd` arrays, `{"...": digest}` array elements) is matched to a Disclosure, the disclosed
//! claim is put in place and processed in turn (recursive disclosures), digests no Disclosure
//! matches (decoys, withheld claims) are dropped and counted, and every rule the section makes
//! is recorded as a problem under the check id it belongs to.
//!
//! Each digest is expanded at most once, so a Disclosure that names itself (a cycle) ends as a
//! duplicate digest; nesting is capped at [`MAX_DEPTH`] levels.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::parse::Content;

/// The deepest nesting (objects, arrays and Disclosures inside Disclosures) processed.
pub const MAX_DEPTH: usize = 64;

/// One Disclosure as the processor sees it.
pub struct Input<'a> {
    /// Its digest under `_sd_alg`, when that algorithm is supported.
    pub digest: Option<&'a str>,
    /// Its decoded content, when well-formed.
    pub content: Option<&'a Content>,
}

/// What processing gave.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The Processed SD-JWT Payload.
    pub claims: Map<String, Value>,
    /// Where each Disclosure went (a JSON Pointer into `claims`), by index; `None` when it was
    /// not placed.
    pub paths: Vec<Option<String>>,
    /// Whether an embedded digest matched each Disclosure, by index (placed or not).
    pub referenced: Vec<bool>,
    /// How many embedded digests no Disclosure matched (decoys or withheld claims).
    pub undisclosed: usize,
    /// `sd.disclosure` problems (a Disclosure of the wrong kind for where its digest is).
    pub shape: Vec<String>,
    /// `sd.digest-duplicate` problems.
    pub duplicates: Vec<String>,
    /// `sd.claim-name` problems (`_sd`, `...`, collisions, malformed `_sd` or `...` entries).
    pub names: Vec<String>,
    /// `sd.alg` problems (an `_sd_alg` below the top level).
    pub alg: Vec<String>,
    /// How many embedded digests were found.
    pub digests: usize,
}

/// `/a/b~1c/0`: RFC 6901 escaping of one token.
fn pointer(parent: &str, token: &str) -> String {
    format!("{parent}/{}", token.replace('~', "~0").replace('/', "~1"))
}

struct Walker<'a> {
    inputs: &'a [Input<'a>],
    by_digest: HashMap<&'a str, usize>,
    seen: HashMap<String, String>,
    out: Outcome,
}

/// Processes the issuer-signed `payload` with `inputs` (§7.1 step 3; steps 4 and 5 are read
/// off the outcome: `duplicates` and the `None`s of `paths`).
pub fn process(payload: &Map<String, Value>, inputs: &[Input<'_>]) -> Outcome {
    let mut by_digest = HashMap::new();
    for (i, input) in inputs.iter().enumerate() {
        if let Some(d) = input.digest {
            by_digest.entry(d).or_insert(i);
        }
    }
    let mut walker = Walker {
        inputs,
        by_digest,
        seen: HashMap::new(),
        out: Outcome {
            paths: vec![None; inputs.len()],
            referenced: vec![false; inputs.len()],
            ..Outcome::default()
        },
    };
    let claims = walker.object(payload, "", 0, true);
    let mut out = walker.out;
    out.claims = claims;
    out
}

impl Walker<'_> {
    /// Records `digest` as met at `at`; false when it was met before (then it is not expanded
    /// again).
    fn first_sight(&mut self, digest: &str, at: &str) -> bool {
        if let Some(first) = self.seen.get(digest) {
            self.out.duplicates.push(format!(
                "the digest {digest} appears at {} and again at {}: each digest must appear once (RFC 9901 §7.1 step 4)",
                shown(first),
                shown(at)
            ));
            return false;
        }
        self.out.digests += 1;
        self.seen.insert(digest.to_owned(), at.to_owned());
        true
    }

    fn value(&mut self, v: &Value, at: &str, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            self.out.shape.push(format!(
                "{} is nested more than {MAX_DEPTH} levels deep: not processed further",
                shown(at)
            ));
            return Value::Null;
        }
        match v {
            Value::Object(map) => Value::Object(self.object(map, at, depth, false)),
            Value::Array(items) => Value::Array(self.array(items, at, depth)),
            other => other.clone(),
        }
    }

    fn object(
        &mut self,
        map: &Map<String, Value>,
        at: &str,
        depth: usize,
        top: bool,
    ) -> Map<String, Value> {
        let mut out = Map::new();
        for (k, v) in map {
            match k.as_str() {
                "_sd" => {}
                "_sd_alg" if top => {}
                "_sd_alg" => {
                    self.out.alg.push(format!(
                        "_sd_alg appears at {}: it may only be at the top level of the payload (RFC 9901 §4.1.1)",
                        shown(at)
                    ));
                    out.insert(k.clone(), self.value(v, &pointer(at, k), depth + 1));
                }
                "..." => {
                    self.out.names.push(format!(
                        "{} has a member named \"...\", which is reserved for array-element digests {{\"...\": digest}} (RFC 9901 §4.1, §4.2.4.2)",
                        shown(at)
                    ));
                }
                _ => {
                    out.insert(k.clone(), self.value(v, &pointer(at, k), depth + 1));
                }
            }
        }
        let Some(sd) = map.get("_sd") else {
            return out;
        };
        let Some(digests) = sd.as_array() else {
            self.out.names.push(format!(
                "_sd at {} is {}, not an array of digests (RFC 9901 §4.2.4.1)",
                shown(at),
                crate::token::decode::json_type(sd)
            ));
            return out;
        };
        for d in digests {
            let Some(digest) = d.as_str() else {
                self.out.names.push(format!(
                    "_sd at {} holds {}, not only digest strings (RFC 9901 §4.2.4.1)",
                    shown(at),
                    crate::token::decode::json_type(d)
                ));
                continue;
            };
            let here = format!("{}/_sd", if at.is_empty() { "" } else { at });
            if !self.first_sight(digest, &here) {
                continue;
            }
            let Some(&i) = self.by_digest.get(digest) else {
                self.out.undisclosed += 1;
                continue;
            };
            self.out.referenced[i] = true;
            let Some(content) = self.inputs[i].content else {
                continue;
            };
            let Content::Property { name, value, .. } = content else {
                self.out.shape.push(format!(
                    "Disclosure #{} is an array element [salt, value], but its digest is in the _sd of {}, where only [salt, name, value] fits (RFC 9901 §7.1 step 3.3.2.1)",
                    i + 1,
                    shown(at)
                ));
                continue;
            };
            if name == "_sd" || name == "..." {
                self.out.names.push(format!(
                    "Disclosure #{} names its claim \"{name}\", a reserved name (RFC 9901 §7.1 step 3.3.2.2)",
                    i + 1
                ));
                continue;
            }
            if out.contains_key(name) || (top && name == "_sd_alg") {
                self.out.names.push(format!(
                    "Disclosure #{} discloses \"{name}\", but {} already has a claim of that name (RFC 9901 §7.1 step 3.3.2.3)",
                    i + 1,
                    shown(at)
                ));
                continue;
            }
            let path = pointer(at, name);
            let processed = self.value(value, &path, depth + 1);
            self.out.paths[i] = Some(path);
            out.insert(name.clone(), processed);
        }
        out
    }

    fn array(&mut self, items: &[Value], at: &str, depth: usize) -> Vec<Value> {
        let mut out = Vec::with_capacity(items.len());
        for (slot, item) in items.iter().enumerate() {
            let digest = match item {
                Value::Object(map) if map.contains_key("...") => {
                    match (map.len(), map.get("...")) {
                        (1, Some(Value::String(d))) => Some(d.as_str()),
                        _ => {
                            self.out.names.push(format!(
                                "element {slot} of {} is an object with \"...\" that is not exactly {{\"...\": digest}} (RFC 9901 §4.2.4.2)",
                                shown(at)
                            ));
                            continue;
                        }
                    }
                }
                _ => None,
            };
            let Some(digest) = digest else {
                let path = pointer(at, &out.len().to_string());
                out.push(self.value(item, &path, depth + 1));
                continue;
            };
            let here = format!("{}/{slot}", if at.is_empty() { "" } else { at });
            if !self.first_sight(digest, &here) {
                continue;
            }
            let Some(&i) = self.by_digest.get(digest) else {
                self.out.undisclosed += 1;
                continue;
            };
            self.out.referenced[i] = true;
            let Some(content) = self.inputs[i].content else {
                continue;
            };
            let Content::Element { value, .. } = content else {
                self.out.shape.push(format!(
                    "Disclosure #{} is an object property [salt, name, value], but its digest is element {slot} of {}, where only [salt, value] fits (RFC 9901 §7.1 step 3.3.3.1)",
                    i + 1,
                    shown(at)
                ));
                continue;
            };
            let path = pointer(at, &out.len().to_string());
            let processed = self.value(value, &path, depth + 1);
            self.out.paths[i] = Some(path);
            out.push(processed);
        }
        out
    }
}

/// A JSON Pointer for messages: the payload itself is "the payload".
fn shown(at: &str) -> String {
    if at.is_empty() || at == "/_sd" {
        if at.is_empty() {
            "the payload".to_owned()
        } else {
            "the payload's _sd".to_owned()
        }
    } else {
        at.to_owned()
    }
}
