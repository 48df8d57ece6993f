//! The flow form's inputs that are not part of a profile ([`GrantInputs`]): the refresh token,
//! the password grant's user, the JWT bearer assertion (or claims to sign), token exchange's
//! tokens and types, CIBA's login hint and binding message, the browser and redirect choices,
//! the wait, the client checks turned off.
//! Which grant asks for which fields is one table, [`fields_for`]; each field names the core's
//! input it gives ([`InputField::core_input`]), so the table can be checked against the core's.

use grantscope_core::oauth::GrantInput;
use grantscope_core::oauth::grants::GrantKind;
use grantscope_core::oauth::grants::ciba::{CibaMode, CibaRequest};
use grantscope_core::oauth::grants::jwt_bearer::BearerAssertion;
use grantscope_core::oauth::grants::token_exchange::ExchangeRequest;
use grantscope_core::secret::{AccessToken, Password, RefreshToken};

/// One field of the flow form that a grant needs beyond the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputField {
    /// The refresh grant's refresh token.
    RefreshToken,
    /// The password grant's user.
    Username,
    /// The password grant's password.
    Password,
    /// JWT bearer: a signed assertion to present as it is.
    Assertion,
    /// JWT bearer: claims (a JSON object) to complete and sign with the profile's signing key.
    AssertionClaims,
    /// Token exchange: the subject token.
    SubjectToken,
    /// Token exchange: its type.
    SubjectTokenType,
    /// Token exchange: the actor token (delegation).
    ActorToken,
    /// Token exchange: the actor token's type.
    ActorTokenType,
    /// Token exchange: the type of token asked for.
    RequestedTokenType,
    /// CIBA: the user to authenticate on their own device.
    LoginHint,
    /// CIBA: the short text shown on both screens, so the user knows what they approve.
    BindingMessage,
}

/// The fields each grant asks for, in form order: the one table the form draws from.
pub fn fields_for(grant: GrantKind) -> &'static [InputField] {
    use InputField as F;
    match grant {
        GrantKind::RefreshToken => &[F::RefreshToken],
        GrantKind::Password => &[F::Username, F::Password],
        GrantKind::JwtBearer => &[F::Assertion, F::AssertionClaims],
        GrantKind::TokenExchange => &[
            F::SubjectToken,
            F::SubjectTokenType,
            F::ActorToken,
            F::ActorTokenType,
            F::RequestedTokenType,
        ],
        GrantKind::ClientCredentials | GrantKind::AuthorizationCode | GrantKind::DeviceCode => &[],
        GrantKind::Ciba => &[F::LoginHint, F::BindingMessage],
    }
}

impl InputField {
    /// The field's label on the form.
    pub fn label(self) -> &'static str {
        match self {
            InputField::RefreshToken => "Refresh token",
            InputField::Username => "Username",
            InputField::Password => "Password",
            InputField::Assertion => "Assertion",
            InputField::AssertionClaims => "Assertion claims",
            InputField::SubjectToken => "Subject token",
            InputField::SubjectTokenType => "Subject token type",
            InputField::ActorToken => "Actor token",
            InputField::ActorTokenType => "Actor token type",
            InputField::RequestedTokenType => "Requested token type",
            InputField::LoginHint => "Login hint",
            InputField::BindingMessage => "Binding message",
        }
    }

    /// What to type, shown on hover.
    pub fn hint(self) -> &'static str {
        match self {
            InputField::RefreshToken => {
                "The refresh token to exchange (the last run's, when it gave one)"
            }
            InputField::Username | InputField::Password => "The resource owner's credentials",
            InputField::Assertion => {
                "A signed JWT to present as it is (or leave empty and give claims)"
            }
            InputField::AssertionClaims => {
                "Claims to sign with the profile's signing key, as a JSON object, e.g. {\"sub\":\"alice\"} \
                 (iss, aud, iat, exp and jti are filled in when left out)"
            }
            InputField::SubjectToken => "The token to exchange",
            InputField::SubjectTokenType
            | InputField::ActorTokenType
            | InputField::RequestedTokenType => {
                "A token type URN, or access_token, refresh_token, id_token, jwt, saml1, saml2"
            }
            InputField::ActorToken => "The token of the party acting for the subject (delegation)",
            InputField::LoginHint => {
                "Who to ask: the user's name, e-mail or phone as the provider knows it \
                 (the sandbox's users: alice, bob)"
            }
            InputField::BindingMessage => {
                "A short code shown here and on the user's device, so they know it is this \
                 request they approve (CIBA §7.1)"
            }
        }
    }

    /// Whether the field holds a secret (masked unless secrets are revealed).
    pub fn secret(self) -> bool {
        matches!(
            self,
            InputField::RefreshToken
                | InputField::Password
                | InputField::Assertion
                | InputField::SubjectToken
                | InputField::ActorToken
        )
    }

    /// The core's name for the input this field gives (as a grant reports it missing); `None`
    /// for an optional part of one.
    pub fn core_input(self) -> Option<GrantInput> {
        match self {
            InputField::RefreshToken => Some(GrantInput::RefreshToken),
            InputField::Username => Some(GrantInput::Username),
            InputField::Password => Some(GrantInput::Password),
            InputField::Assertion | InputField::AssertionClaims => Some(GrantInput::Assertion),
            InputField::SubjectToken | InputField::SubjectTokenType => {
                Some(GrantInput::SubjectToken)
            }
            InputField::LoginHint => Some(GrantInput::LoginHint),
            InputField::ActorToken
            | InputField::ActorTokenType
            | InputField::RequestedTokenType
            | InputField::BindingMessage => None,
        }
    }
}

/// The grant-specific inputs that are not part of a profile.
#[derive(Debug, Clone)]
pub struct GrantInputs {
    /// For the refresh grant.
    pub refresh_token: RefreshToken,
    /// For the password grant.
    pub username: String,
    /// For the password grant.
    pub password: Password,
    /// JWT bearer: a signed assertion (a token, kept masked).
    pub assertion: AccessToken,
    /// JWT bearer: claims to sign, as JSON.
    pub assertion_claims: String,
    /// Token exchange: the subject token.
    pub subject_token: AccessToken,
    /// Token exchange: its type.
    pub subject_token_type: String,
    /// Token exchange: the actor token.
    pub actor_token: AccessToken,
    /// Token exchange: its type.
    pub actor_token_type: String,
    /// Token exchange: the type asked for.
    pub requested_token_type: String,
    /// CIBA: the user to authenticate.
    pub login_hint: String,
    /// CIBA: the text shown on both devices.
    pub binding_message: String,
    /// Authorization code: open the system browser (off: show the URL to open by hand).
    pub open_browser: bool,
    /// Authorization code: paste the redirect URL instead of the loopback listener.
    pub paste_redirect: bool,
    /// Authorization code / device: how long to wait for the user.
    pub wait_secs: u64,
    /// Client checks the tester turned off for the next runs (never saved).
    pub checks_off: Vec<grantscope_core::oauth::ClientCheck>,
}

impl Default for GrantInputs {
    fn default() -> Self {
        Self {
            checks_off: Vec::new(),
            refresh_token: RefreshToken::default(),
            username: String::new(),
            password: Password::default(),
            assertion: AccessToken::default(),
            assertion_claims: String::new(),
            subject_token: AccessToken::default(),
            subject_token_type: String::new(),
            actor_token: AccessToken::default(),
            actor_token_type: String::new(),
            requested_token_type: String::new(),
            login_hint: String::new(),
            binding_message: String::new(),
            open_browser: true,
            paste_redirect: false,
            wait_secs: 300,
        }
    }
}

/// A field's text, `None` when blank.
fn given(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

impl GrantInputs {
    /// The text of `field`, for its text box.
    pub fn value_mut(&mut self, field: InputField) -> &mut String {
        match field {
            InputField::RefreshToken => self.refresh_token.expose_mut(),
            InputField::Username => &mut self.username,
            InputField::Password => self.password.expose_mut(),
            InputField::Assertion => self.assertion.expose_mut(),
            InputField::AssertionClaims => &mut self.assertion_claims,
            InputField::SubjectToken => self.subject_token.expose_mut(),
            InputField::SubjectTokenType => &mut self.subject_token_type,
            InputField::ActorToken => self.actor_token.expose_mut(),
            InputField::ActorTokenType => &mut self.actor_token_type,
            InputField::RequestedTokenType => &mut self.requested_token_type,
            InputField::LoginHint => &mut self.login_hint,
            InputField::BindingMessage => &mut self.binding_message,
        }
    }

    /// JWT bearer's assertion: the JWT given, else the claims to sign (a JSON object), else
    /// none (the core says what is missing). Claims that are not a JSON object are an error
    /// shown under Run.
    pub fn bearer_assertion(&self) -> Result<Option<BearerAssertion>, String> {
        if let Some(jwt) = given(self.assertion.expose()) {
            return Ok(Some(BearerAssertion::Jwt(jwt)));
        }
        let Some(claims) = given(&self.assertion_claims) else {
            return Ok(None);
        };
        match serde_json::from_str::<serde_json::Value>(&claims) {
            Ok(v) if v.is_object() => Ok(Some(BearerAssertion::Claims(v))),
            Ok(_) => Err("Assertion claims must be a JSON object, e.g. {\"sub\":\"alice\"}".into()),
            Err(e) => Err(format!("Assertion claims are not JSON: {e}")),
        }
    }

    /// CIBA's request (poll mode), when a login hint is given (else the core says it is
    /// missing).
    pub fn ciba_request(&self) -> Option<CibaRequest> {
        Some(CibaRequest {
            login_hint: given(&self.login_hint)?,
            binding_message: given(&self.binding_message),
            acr_values: None,
            requested_expiry: None,
            mode: CibaMode::Poll,
        })
    }

    /// Token exchange's request, when a subject token is given (else the core says it is
    /// missing).
    pub fn exchange_request(&self) -> Option<ExchangeRequest> {
        let subject = given(self.subject_token.expose())?;
        Some(ExchangeRequest {
            subject_token: subject,
            subject_token_type: given(&self.subject_token_type).unwrap_or_default(),
            actor_token: given(self.actor_token.expose()),
            actor_token_type: given(&self.actor_token_type),
            requested_token_type: given(&self.requested_token_type),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_grant_has_its_row_and_every_core_input_is_a_field() {
        for grant in GrantKind::ALL {
            for field in fields_for(grant) {
                assert!(!field.label().is_empty());
            }
        }
        let fields: Vec<InputField> = GrantKind::ALL
            .iter()
            .flat_map(|g| fields_for(*g).iter().copied())
            .collect();
        for input in [
            GrantInput::RefreshToken,
            GrantInput::Username,
            GrantInput::Password,
            GrantInput::Assertion,
            GrantInput::SubjectToken,
        ] {
            assert!(
                fields.iter().any(|f| f.core_input() == Some(input)),
                "{input:?} has no field"
            );
        }
    }

    #[test]
    fn claims_must_be_an_object_and_a_jwt_wins() {
        let mut i = GrantInputs::default();
        assert!(i.bearer_assertion().unwrap().is_none());
        i.assertion_claims = "[1]".into();
        assert!(i.bearer_assertion().is_err());
        i.assertion_claims = r#"{"sub":"alice"}"#.into();
        assert!(matches!(
            i.bearer_assertion().unwrap(),
            Some(BearerAssertion::Claims(_))
        ));
        i.assertion = "a.b.c".into();
        assert!(matches!(
            i.bearer_assertion().unwrap(),
            Some(BearerAssertion::Jwt(_))
        ));
        assert!(i.exchange_request().is_none());
        i.subject_token = "tok".into();
        i.subject_token_type = " access_token ".into();
        let r = i.exchange_request().unwrap();
        assert_eq!(r.subject_token_type, "access_token");
        assert_eq!(r.actor_token, None);
    }

    /// The form's table agrees with the core's declaration of each grant's inputs: every input
    /// a grant declares has a field, labelled as the core labels it, and no field gives an input
    /// the grant does not take (the actor token is token exchange's optional part).
    #[test]
    fn the_form_table_matches_the_core_declaration() {
        use grantscope_core::oauth::grants::GRANTS;
        for g in GRANTS {
            let fields = fields_for(g.kind);
            for (input, label) in g.kind.form_fields() {
                let field = fields.iter().find(|f| f.core_input() == Some(input));
                assert!(field.is_some(), "{}: no form field gives {input:?}", g.kind);
                assert!(
                    fields.iter().any(|f| f.label() == label),
                    "{}: no field labelled {label:?} for {input:?}",
                    g.kind
                );
            }
            for f in fields {
                let Some(input) = f.core_input() else {
                    continue;
                };
                assert!(
                    g.kind.inputs().contains(&input) || input == GrantInput::ActorToken,
                    "{}: the form's {:?} gives {input:?}, which the grant does not declare",
                    g.kind,
                    f
                );
            }
        }
    }
}
