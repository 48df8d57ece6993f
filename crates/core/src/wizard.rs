//! The grant decision tree of the seed document ("Which Grant?"), as plain data.
//!
//! GUI-free: the desktop app paints it as a clickable flowchart and the command line can print
//! or walk it. Beyond the seed's three questions the tree offers the device authorization grant
//! (RFC 8628) and CIBA (OpenID Connect Client-Initiated Backchannel Authentication Core 1.0:
//! the client starts the login and the user approves on their own device), and shows the
//! password and implicit grants as deprecated leaves that say why (OAuth 2.0 Security Best
//! Current Practice, RFC 9700).

use serde::{Deserialize, Serialize};

/// Identifies a node of the tree; stable across versions so saved answers keep working.
pub type NodeId = &'static str;

/// The grant a leaf recommends (or warns against).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    /// RFC 6749 §6.
    RefreshToken,
    /// RFC 6749 §4.4.
    ClientCredentials,
    /// RFC 6749 §4.1 with RFC 7636 (PKCE).
    AuthorizationCode,
    /// RFC 8628.
    DeviceCode,
    /// OpenID Connect Client-Initiated Backchannel Authentication Core 1.0.
    Ciba,
    /// RFC 6749 §4.3, deprecated by RFC 9700.
    Password,
    /// RFC 6749 §4.2, deprecated by RFC 9700.
    Implicit,
}

impl Grant {
    /// Every grant, in the order the wizard and the flow runner list them.
    pub const ALL: [Grant; 7] = [
        Grant::ClientCredentials,
        Grant::AuthorizationCode,
        Grant::DeviceCode,
        Grant::Ciba,
        Grant::RefreshToken,
        Grant::Password,
        Grant::Implicit,
    ];

    /// The name the command line uses (`grantscope token GRANT`); `None` for implicit, which
    /// grantscope explains but does not run.
    pub fn cli_name(self) -> Option<&'static str> {
        match self {
            Grant::RefreshToken => Some("refresh-token"),
            Grant::ClientCredentials => Some("client-credentials"),
            Grant::AuthorizationCode => Some("authorization-code"),
            Grant::DeviceCode => Some("device-code"),
            Grant::Ciba => Some("ciba"),
            Grant::Password => Some("password"),
            Grant::Implicit => None,
        }
    }

    /// A short human name.
    pub fn title(self) -> &'static str {
        match self {
            Grant::RefreshToken => "Refresh Token",
            Grant::ClientCredentials => "Client Credentials",
            Grant::AuthorizationCode => "Authorization Code with PKCE",
            Grant::DeviceCode => "Device Authorization",
            Grant::Ciba => "Client-Initiated Backchannel Authentication (CIBA)",
            Grant::Password => "Password (deprecated)",
            Grant::Implicit => "Implicit (deprecated)",
        }
    }

    /// Whether the Security BCP (RFC 9700) says not to use it.
    pub fn is_deprecated(self) -> bool {
        matches!(self, Grant::Password | Grant::Implicit)
    }
}

/// One of the seed's five notes that hold for every grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Note {
    /// "Always use HTTPS for all OAuth 2.0 interactions".
    Https,
    /// "For public clients (browser-based and mobile apps), always use PKCE".
    Pkce,
    /// "Securely store tokens and other sensitive information".
    SecureStorage,
    /// "Implement proper token validation and revocation".
    ValidationAndRevocation,
    /// "Consider using OpenID Connect for authentication on top of OAuth 2.0".
    OpenIdConnect,
}

impl Note {
    /// All notes, in the seed's order.
    pub const ALL: [Note; 5] = [
        Note::Https,
        Note::Pkce,
        Note::SecureStorage,
        Note::ValidationAndRevocation,
        Note::OpenIdConnect,
    ];

    /// The note in the seed's words.
    pub fn text(self) -> &'static str {
        match self {
            Note::Https => "Always use HTTPS for all OAuth 2.0 interactions",
            Note::Pkce => "For public clients (browser-based and mobile apps), always use PKCE",
            Note::SecureStorage => "Securely store tokens and other sensitive information",
            Note::ValidationAndRevocation => "Implement proper token validation and revocation",
            Note::OpenIdConnect => {
                "Consider using OpenID Connect for authentication on top of OAuth 2.0"
            }
        }
    }
}

/// An answer to a question: its label and the node it leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    /// The answer as shown on the arrow ("No", "A Machine", ...).
    pub label: &'static str,
    /// The node this answer leads to.
    pub to: NodeId,
}

/// A recommendation (or a warning) at the end of a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leaf {
    /// The grant this leaf is about.
    pub grant: Grant,
    /// The box's title, as in the seed's chart ("Client Credentials Grant").
    pub title: &'static str,
    /// The box's one-line subtitle, as in the seed's chart.
    pub subtitle: &'static str,
    /// The explanation, in the seed's words where the seed has them.
    pub explanation: &'static str,
    /// Why not to use it, with the reference, for deprecated grants.
    pub deprecated: Option<&'static str>,
    /// The notes that matter most for this grant (all five always apply).
    pub notes: &'static [Note],
    /// The security probes (`grantscope_probe`, PROBES.md) that test this grant's pitfalls at a
    /// server, by id; empty when the catalogue has none for it.
    pub probes: &'static [&'static str],
}

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// A question with its answers.
    Question {
        /// The question text.
        text: &'static str,
        /// The answers, in display order.
        edges: &'static [Edge],
    },
    /// A leaf: the grant to use (or to avoid).
    Leaf(Leaf),
}

/// A node of the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    /// Stable identifier.
    pub id: NodeId,
    /// Question or leaf.
    pub kind: NodeKind,
}

impl Node {
    /// The question's answers; empty for a leaf.
    pub fn edges(&self) -> &'static [Edge] {
        match self.kind {
            NodeKind::Question { edges, .. } => edges,
            NodeKind::Leaf(_) => &[],
        }
    }

    /// The leaf, if this is one.
    pub fn leaf(&self) -> Option<&Leaf> {
        match &self.kind {
            NodeKind::Leaf(leaf) => Some(leaf),
            NodeKind::Question { .. } => None,
        }
    }

    /// The question text or the leaf title.
    pub fn title(&self) -> &'static str {
        match self.kind {
            NodeKind::Question { text, .. } => text,
            NodeKind::Leaf(leaf) => leaf.title,
        }
    }
}

/// The id of the first question.
pub const ROOT: NodeId = "have_refresh_token";

const PASSWORD_WHY: &str = "The OAuth 2.0 Security Best Current Practice (RFC 9700, section 2.4) \
says the resource owner password credentials grant MUST NOT be used. The client sees the user's \
password, which trains users to type it outside the authorization server, widens the attack \
surface, and cannot work with multi-factor authentication, passkeys or federated login. Use the \
Authorization Code grant with PKCE instead, or the device grant on devices without a browser.";

const IMPLICIT_WHY: &str = "The OAuth 2.0 Security Best Current Practice (RFC 9700, section 2.1.2) \
says clients SHOULD NOT use the implicit grant (response_type=token). The access token travels in \
the redirect URL, where it leaks through browser history, logs and Referer headers, can be injected \
by an attacker, cannot be sender-constrained, and comes without client authentication or a refresh \
token. Browser-based apps should use the Authorization Code grant with PKCE.";

const CIBA_WHAT: &str = "If the user is not at the client at all (a call-centre agent's \
screen, a shop's till, a service acting for a known user) and the client starts the login, \
OpenID Connect Client-Initiated Backchannel Authentication (CIBA Core 1.0) lets a confidential \
client ask the provider's backchannel authentication endpoint to authenticate a user it names \
(login_hint). The provider asks the user on their own device, typically a phone app; the client \
gets an auth_req_id and polls the token endpoint (poll mode) or is pinged when the user has \
decided (ping mode). What the server must check: the binding_message shows on the user's \
device as on the client's screen, so the user knows which request they approve (section 7.1); \
each auth_req_id is redeemed once, by the client it was issued to; the client polls no faster \
than the interval and slows down on slow_down (section 11); a request expires after expires_in \
(expired_token), and a denial ends it with access_denied.";

/// The whole tree, root first.
pub const NODES: &[Node] = &[
    Node {
        id: ROOT,
        kind: NodeKind::Question {
            text: "Have a refresh token?",
            edges: &[
                Edge {
                    label: "Yes",
                    to: "refresh_token",
                },
                Edge {
                    label: "No",
                    to: "token_owner",
                },
            ],
        },
    },
    Node {
        id: "refresh_token",
        kind: NodeKind::Leaf(Leaf {
            grant: Grant::RefreshToken,
            title: "Refresh Token Grant",
            subtitle: "Use refresh token to get new access token",
            explanation: "If the client already has a refresh token, it can use the Refresh \
Token Grant to obtain a new access token without requiring the user's interaction. This grant is \
useful for long-lived sessions and background processes.",
            deprecated: None,
            notes: &[Note::SecureStorage, Note::ValidationAndRevocation],
            probes: &[
                "refresh.rotation",
                "refresh.reuse-revokes-family",
                "refresh.client-bound",
                "token.lifetimes",
            ],
        }),
    },
    Node {
        id: "token_owner",
        kind: NodeKind::Question {
            text: "Who is the access token owner?",
            edges: &[
                Edge {
                    label: "A Machine",
                    to: "client_credentials",
                },
                Edge {
                    label: "A User",
                    to: "client_type",
                },
            ],
        },
    },
    Node {
        id: "client_credentials",
        kind: NodeKind::Leaf(Leaf {
            grant: Grant::ClientCredentials,
            title: "Client Credentials Grant",
            subtitle: "For machine-to-machine communication",
            explanation: "If the access token owner is a machine, such as a server or an \
application acting on its own behalf, rather than an individual user, the client can use the \
Client Credentials Grant. This grant is designed for scenarios where the client needs to access \
resources autonomously without the context of a specific user.",
            deprecated: None,
            notes: &[
                Note::Https,
                Note::SecureStorage,
                Note::ValidationAndRevocation,
            ],
            probes: &[
                "client-auth.enforced",
                "transport.https",
                "token.lifetimes",
                "headers",
            ],
        }),
    },
    Node {
        id: "client_type",
        kind: NodeKind::Question {
            text: "What type of client?",
            edges: &[
                Edge {
                    label: "Server App",
                    to: "authorization_code",
                },
                Edge {
                    label: "Browser-based App",
                    to: "authorization_code",
                },
                Edge {
                    label: "Native Mobile App",
                    to: "authorization_code",
                },
                Edge {
                    label: "Device without a browser",
                    to: "device_code",
                },
                Edge {
                    label: "App asks for the password",
                    to: "password",
                },
                Edge {
                    label: "Token in the redirect URL",
                    to: "implicit",
                },
                // Last, after the seed's answers: saved answers are positions, and a saved
                // "App asks for the password" must stay that answer.
                Edge {
                    label: "Client starts the login",
                    to: "ciba",
                },
            ],
        },
    },
    Node {
        id: "authorization_code",
        kind: NodeKind::Leaf(Leaf {
            grant: Grant::AuthorizationCode,
            title: "Authorization Code Grant with PKCE",
            subtitle: "More secure, supports public clients",
            explanation: "If the access token owner is a user, the recommended grant is the \
Authorization Code Grant with Proof Key for Code Exchange (PKCE). This grant involves a series of \
steps where the client redirects the user to the authorization server, the user grants access, and \
the server provides an authorization code that the client exchanges for an access token. PKCE adds \
an extra layer of security to protect against authorization code interception attacks.",
            deprecated: None,
            notes: &[Note::Https, Note::Pkce, Note::OpenIdConnect],
            probes: &[
                "pkce.required",
                "pkce.verifier-checked",
                "pkce.downgrade",
                "pkce.verifier-omitted",
                "pkce.plain",
                "pkce.verifier-format",
                "code.single-use",
                "code.reuse-revokes",
                "code.race",
                "code.redirect-bound",
                "redirect.exact",
                "redirect.loopback-port",
                "redirect.no-open-redirect",
                "state.echo",
                "iss.response",
            ],
        }),
    },
    Node {
        id: "device_code",
        kind: NodeKind::Leaf(Leaf {
            grant: Grant::DeviceCode,
            title: "Device Authorization Grant",
            subtitle: "For input-constrained devices",
            explanation: "If the access token owner is a user on a device without a browser or \
with limited input (a TV, a console, a command line on a remote server), the Device Authorization \
Grant (RFC 8628) lets the user approve on a second device. The client shows a short user code and \
a verification URL, then polls the token endpoint, at the interval the server asks for, until the \
user has approved or denied access.",
            deprecated: None,
            notes: &[Note::Https, Note::SecureStorage, Note::OpenIdConnect],
            probes: &[],
        }),
    },
    Node {
        id: "ciba",
        kind: NodeKind::Leaf(Leaf {
            grant: Grant::Ciba,
            title: "Backchannel Authentication (CIBA)",
            subtitle: "The user approves on their own device",
            explanation: CIBA_WHAT,
            deprecated: None,
            notes: &[
                Note::Https,
                Note::SecureStorage,
                Note::ValidationAndRevocation,
                Note::OpenIdConnect,
            ],
            // No probe of the catalogue tests CIBA's pitfalls yet.
            probes: &[],
        }),
    },
    Node {
        id: "password",
        kind: NodeKind::Leaf(Leaf {
            grant: Grant::Password,
            title: "Password Grant (deprecated)",
            subtitle: "Do not use: the client sees the password",
            explanation: "The client collects the user's username and password and sends them to \
the token endpoint itself.",
            deprecated: Some(PASSWORD_WHY),
            notes: &[Note::Https, Note::SecureStorage],
            probes: &["grants.legacy"],
        }),
    },
    Node {
        id: "implicit",
        kind: NodeKind::Leaf(Leaf {
            grant: Grant::Implicit,
            title: "Implicit Grant (deprecated)",
            subtitle: "Do not use: token exposed in the URL",
            explanation: "The authorization server returns the access token directly in the \
redirect URL's fragment, with no code exchange.",
            deprecated: Some(IMPLICIT_WHY),
            notes: &[Note::Https, Note::Pkce],
            probes: &["grants.legacy"],
        }),
    },
];

/// Looks a node up by id.
pub fn node(id: &str) -> Option<&'static Node> {
    NODES.iter().find(|n| n.id == id)
}

/// The root question.
pub fn root() -> &'static Node {
    // NODES is a non-empty constant whose first entry is ROOT (checked by the tests).
    &NODES[0]
}

/// The leaf that recommends `grant`.
pub fn leaf_for(grant: Grant) -> Option<&'static Node> {
    NODES
        .iter()
        .find(|n| n.leaf().is_some_and(|l| l.grant == grant))
}

/// One step of a walk: the node and the answer taken there (if any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The node visited.
    pub node: &'static Node,
    /// The index of the answer taken at this node; `None` at the last node.
    pub chosen: Option<usize>,
}

/// Walks the tree from the root, asking `choose` for the answer index at each question. Stops at
/// a leaf or at the first question `choose` has no (valid) answer for.
pub fn walk(mut choose: impl FnMut(&Node) -> Option<usize>) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut current = root();
    // The tree is finite and acyclic (tested), but never loop forever on bad data.
    for _ in 0..NODES.len() {
        let chosen = choose(current).filter(|&i| i < current.edges().len());
        steps.push(Step {
            node: current,
            chosen,
        });
        let Some(next) = chosen
            .and_then(|i| current.edges().get(i))
            .and_then(|e| node(e.to))
        else {
            break;
        };
        current = next;
    }
    steps
}

/// Walks the tree by answer labels (case-insensitive), e.g. `["No", "A machine"]`.
pub fn walk_labels(labels: &[&str]) -> Vec<Step> {
    let mut answers = labels.iter();
    walk(|n| {
        let want = answers.next()?;
        n.edges()
            .iter()
            .position(|e| e.label.eq_ignore_ascii_case(want))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Saved answers are positions (settings keep question id → answer index): an answer
    /// added to a question goes after the ones there, so a saved choice keeps its meaning.
    #[test]
    fn the_seeds_answers_keep_their_positions() {
        let labels = |id: &str| -> Vec<&str> {
            node(id)
                .map(|n| n.edges().iter().map(|e| e.label).collect())
                .unwrap_or_default()
        };
        assert_eq!(
            labels("client_type")[..6],
            [
                "Server App",
                "Browser-based App",
                "Native Mobile App",
                "Device without a browser",
                "App asks for the password",
                "Token in the redirect URL",
            ]
        );
    }
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_edges_resolve() {
        let ids: HashSet<_> = NODES.iter().map(|n| n.id).collect();
        assert_eq!(ids.len(), NODES.len());
        assert_eq!(root().id, ROOT);
        for n in NODES {
            for e in n.edges() {
                assert!(node(e.to).is_some(), "{} -> {} dangles", n.id, e.to);
            }
        }
    }

    #[test]
    fn every_node_is_reachable_and_the_tree_has_no_cycle() {
        let mut seen = HashSet::new();
        let mut stack = vec![(ROOT, 0usize)];
        while let Some((id, depth)) = stack.pop() {
            assert!(depth <= NODES.len(), "cycle through {id}");
            seen.insert(id);
            for e in node(id).map(|n| n.edges()).unwrap_or_default() {
                stack.push((e.to, depth + 1));
            }
        }
        assert_eq!(seen.len(), NODES.len());
    }

    #[test]
    fn every_grant_has_exactly_one_leaf() {
        for g in Grant::ALL {
            let n = NODES
                .iter()
                .filter(|n| n.leaf().is_some_and(|l| l.grant == g))
                .count();
            assert_eq!(n, 1, "{g:?}");
            assert!(leaf_for(g).is_some());
        }
    }

    #[test]
    fn the_seed_paths() {
        let leaf = |labels: &[&str]| {
            walk_labels(labels)
                .last()
                .and_then(|s| s.node.leaf())
                .map(|l| l.grant)
        };
        assert_eq!(leaf(&["Yes"]), Some(Grant::RefreshToken));
        assert_eq!(leaf(&["No", "A machine"]), Some(Grant::ClientCredentials));
        for client in ["Server App", "Browser-based App", "Native Mobile App"] {
            assert_eq!(
                leaf(&["No", "A user", client]),
                Some(Grant::AuthorizationCode)
            );
        }
        assert_eq!(
            leaf(&["No", "A user", "Device without a browser"]),
            Some(Grant::DeviceCode)
        );
        assert_eq!(
            leaf(&["No", "A user", "Client starts the login"]),
            Some(Grant::Ciba)
        );
    }

    #[test]
    fn the_ciba_leaf_says_what_the_server_must_check() {
        let ciba = leaf_for(Grant::Ciba).and_then(|n| n.leaf()).copied();
        let text = ciba.map(|l| l.explanation).unwrap_or_default();
        for must in [
            "CIBA Core 1.0",
            "binding_message",
            "auth_req_id",
            "redeemed once",
            "interval",
            "slow_down",
            "expired_token",
            "access_denied",
        ] {
            assert!(text.contains(must), "{must} in {text}");
        }
        assert_eq!(Grant::Ciba.cli_name(), Some("ciba"));
        assert!(Grant::Ciba.title().contains("(CIBA)"));
    }

    #[test]
    fn a_partial_walk_stops_at_the_open_question() {
        let steps = walk_labels(&["No"]);
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0].chosen, Some(1));
        assert_eq!(steps[1].node.id, "token_owner");
        assert_eq!(steps[1].chosen, None);
        // An unknown answer stops the walk where it is.
        let steps = walk_labels(&["Maybe"]);
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].chosen, None);
    }

    #[test]
    fn deprecated_leaves_say_why_and_cite_the_bcp() {
        for g in [Grant::Password, Grant::Implicit] {
            let leaf = leaf_for(g).and_then(|n| n.leaf()).copied();
            let why = leaf.and_then(|l| l.deprecated).unwrap_or_default();
            assert!(why.contains("RFC 9700"), "{g:?}: {why}");
            assert!(g.is_deprecated());
        }
        for g in [
            Grant::RefreshToken,
            Grant::ClientCredentials,
            Grant::AuthorizationCode,
            Grant::DeviceCode,
            Grant::Ciba,
        ] {
            let leaf = leaf_for(g).and_then(|n| n.leaf()).copied();
            assert_eq!(leaf.and_then(|l| l.deprecated), None, "{g:?}");
            assert!(!g.is_deprecated());
        }
    }

    #[test]
    fn leaves_keep_the_seed_words() {
        let cc = leaf_for(Grant::ClientCredentials).and_then(|n| n.leaf());
        assert!(cc.is_some_and(|l| l.explanation.contains("acting on its own behalf")));
        let ac = leaf_for(Grant::AuthorizationCode).and_then(|n| n.leaf());
        assert!(ac.is_some_and(|l| l.explanation.contains("authorization code interception")));
        assert_eq!(Note::ALL.len(), 5);
        assert!(Note::Pkce.text().contains("always use PKCE"));
    }

    #[test]
    fn leaf_probes_name_their_grants_pitfalls() {
        // That every id is in the catalogue is checked where the catalogue is visible: the probe
        // crate's `ids_named_elsewhere_are_in_the_catalogue`.
        let ac = leaf_for(Grant::AuthorizationCode).and_then(|n| n.leaf());
        assert!(ac.is_some_and(|l| l.probes.contains(&"pkce.downgrade")));
        let pw = leaf_for(Grant::Password).and_then(|n| n.leaf());
        assert_eq!(pw.map(|l| l.probes), Some(&["grants.legacy"][..]));
    }

    #[test]
    fn every_grant_that_runs_is_a_grant_of_the_registry() {
        use crate::oauth::GrantKind;
        for g in Grant::ALL {
            if let Some(name) = g.cli_name() {
                assert!(
                    GrantKind::ALL.iter().any(|k| k.cli_name() == name),
                    "{g:?}: {name} is not in GRANTS"
                );
            }
        }
    }

    #[test]
    fn cli_names_match_the_contract() {
        let names: Vec<_> = Grant::ALL.iter().filter_map(|g| g.cli_name()).collect();
        assert_eq!(
            names,
            [
                "client-credentials",
                "authorization-code",
                "device-code",
                "ciba",
                "refresh-token",
                "password"
            ]
        );
    }
}
