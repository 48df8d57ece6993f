//! Secret values as types: client secrets, passwords, tokens, authorization codes, PKCE
//! verifiers, device codes and private keys.
//!
//! Each is a newtype over `String` whose `Debug` is redacted and which has no `Display`, no
//! `Deref` to `str` and no `AsRef<str>`, so a secret cannot reach a log line, a message or a
//! `to_string()` by accident: the raw value comes out only through an explicit
//! [`expose`](ClientSecret::expose) (or [`into_exposed`](ClientSecret::into_exposed)), where it
//! must be sent or the user asked to see it.
//! Serde is transparent, so profile files and JSON documents keep their shape.
//!
//! Requests mark the secrets they carry with a [`SecretKind`]; every view of a recorded
//! exchange (CLI text, `--json`, curl, the GUI, History, HAR) masks the same set.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Shown in place of a secret: in `Debug`, and in every masked view of a recorded exchange.
pub const MASK: &str = "••••••";

/// What a secret value is; exchanges keep the kind beside each value they mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretKind {
    ClientSecret,
    Password,
    AccessToken,
    RefreshToken,
    IdToken,
    AuthorizationCode,
    PkceVerifier,
    DeviceCode,
    PrivateKey,
    /// The credentials part of an `Authorization` header (Basic, Bearer, DPoP).
    Credentials,
    /// A signed assertion (client assertion, JWT bearer grant, request object).
    Assertion,
}

impl SecretKind {
    /// A short name for people ("client secret").
    pub fn label(self) -> &'static str {
        match self {
            SecretKind::ClientSecret => "client secret",
            SecretKind::Password => "password",
            SecretKind::AccessToken => "access token",
            SecretKind::RefreshToken => "refresh token",
            SecretKind::IdToken => "ID token",
            SecretKind::AuthorizationCode => "authorization code",
            SecretKind::PkceVerifier => "PKCE verifier",
            SecretKind::DeviceCode => "device code",
            SecretKind::PrivateKey => "private key",
            SecretKind::Credentials => "credentials",
            SecretKind::Assertion => "assertion",
        }
    }
}

/// A value of one of the secret types.
pub trait Secret {
    const KIND: SecretKind;
    /// The raw value. Call it only where the value must be sent or the user asked to see it.
    fn expose(&self) -> &str;
}

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident, $kind:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The raw value (see [`Secret::expose`]).
            pub fn expose(&self) -> &str {
                &self.0
            }

            /// The raw value for an editor that changes it in place (a password field).
            pub fn expose_mut(&mut self) -> &mut String {
                &mut self.0
            }

            /// The raw value, owned (see [`Secret::expose`]).
            pub fn into_exposed(self) -> String {
                self.0
            }

            /// Whether the value is empty (an unset field), without exposing it.
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl Secret for $name {
            const KIND: SecretKind = SecretKind::$kind;
            fn expose(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), MASK)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_string())
            }
        }
    };
}

secret_type!(
    /// A confidential client's secret.
    ClientSecret,
    ClientSecret
);
secret_type!(
    /// A resource owner's password (password grant).
    Password,
    Password
);
secret_type!(
    /// An access token.
    AccessToken,
    AccessToken
);
secret_type!(
    /// A refresh token.
    RefreshToken,
    RefreshToken
);
secret_type!(
    /// An OpenID Connect ID token.
    IdToken,
    IdToken
);
secret_type!(
    /// An authorization code.
    AuthorizationCode,
    AuthorizationCode
);
secret_type!(
    /// A PKCE code verifier (RFC 7636).
    PkceVerifier,
    PkceVerifier
);
secret_type!(
    /// A device code (RFC 8628).
    DeviceCode,
    DeviceCode
);
secret_type!(
    /// CIBA's client notification token: the bearer credential the provider's ping carries.
    ClientNotificationToken,
    Credentials
);
secret_type!(
    /// A private key (PEM or JWK text).
    PrivateKey,
    PrivateKey
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let v = "hunter2-Very-Secret-Value";
        let shown = [
            format!("{:?}", ClientSecret::new(v)),
            format!("{:?}", Password::new(v)),
            format!("{:?}", AccessToken::new(v)),
            format!("{:?}", RefreshToken::new(v)),
            format!("{:?}", IdToken::new(v)),
            format!("{:?}", AuthorizationCode::new(v)),
            format!("{:?}", PkceVerifier::new(v)),
            format!("{:?}", DeviceCode::new(v)),
            format!("{:?}", PrivateKey::new(v)),
            format!("{:#?}", Some(ClientSecret::new(v))),
            format!("{:?}", vec![RefreshToken::new(v)]),
        ];
        for s in &shown {
            assert!(!s.contains("hunter2"), "{s}");
            assert!(s.contains(MASK), "{s}");
        }
        assert_eq!(shown[0], format!("ClientSecret({})", MASK));
    }

    /// Compile-level checks: every secret type is `Debug` (masked, above) and `Secret`, and none
    /// turns into text implicitly: no `Display` (so no `ToString`), no `Deref<Target = str>`,
    /// no `AsRef<str>`. Each `no_*` trait has a blanket impl for every `T` that implements the
    /// forbidden trait, and a second impl for the secret types; if a secret type ever gained
    /// that trait, the two impls would overlap and this module would not compile.
    mod sealed {
        use super::super::*;

        macro_rules! assert_sealed {
            ($($name:ident),*) => {
                #[allow(dead_code)]
                trait NoDisplay {}
                impl<T: std::fmt::Display + ?Sized> NoDisplay for T {}
                #[allow(dead_code)]
                trait NoDeref {}
                impl<T: std::ops::Deref<Target = str> + ?Sized> NoDeref for T {}
                #[allow(dead_code)]
                trait NoAsRefStr {}
                impl<T: AsRef<str> + ?Sized> NoAsRefStr for T {}
                $(
                    impl NoDisplay for $name {}
                    impl NoDeref for $name {}
                    impl NoAsRefStr for $name {}
                )*
                fn is_debug_secret<T: std::fmt::Debug + Secret>() {}
                #[test]
                fn no_secret_type_turns_into_text_implicitly() {
                    $( is_debug_secret::<$name>(); )*
                }
            };
        }

        assert_sealed!(
            ClientSecret,
            Password,
            AccessToken,
            RefreshToken,
            IdToken,
            AuthorizationCode,
            PkceVerifier,
            DeviceCode,
            ClientNotificationToken,
            PrivateKey
        );
    }

    #[test]
    fn serde_is_transparent() {
        let s = ClientSecret::new("abc");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"abc\"");
        let back: ClientSecret = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(back.expose(), "abc");
        assert_eq!(<ClientSecret as Secret>::KIND, SecretKind::ClientSecret);
    }
}
