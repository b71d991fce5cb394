//! Email: the outbox (rows written in the transaction of the action that causes them),
//! the templates, the sealing of link tokens and the worker that sends through SMTP.

pub mod emails;
pub mod outbox;
pub mod seal;
pub mod worker;

pub use emails::{Email, Kind, Link, LinkKind, MailData, LINK_MARK};
pub use seal::Sealer;

/// What the actions that write email need: the sealing key and the names and addresses
/// the emails carry.
#[derive(Clone, Debug)]
pub struct Mailer {
    pub sealer: Sealer,
    pub vendor: String,
    pub public_url: String,
    pub invite_days: i64,
    /// The domain of Message-IDs (from the sender's address).
    pub domain: String,
}

impl Mailer {
    pub fn new(secret: &[u8], config: &crate::config::Config) -> Self {
        let domain = config
            .mail_from
            .rsplit_once('@')
            .map(|(_, d)| d.trim_end_matches('>').trim().to_owned())
            .filter(|d| {
                !d.is_empty()
                    && d.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            })
            .unwrap_or_else(|| "keyfold.invalid".to_owned());
        Mailer {
            sealer: Sealer::new(secret),
            vendor: config.vendor_name.clone(),
            public_url: config.public_url.clone(),
            invite_days: config.mail.invite_days,
            domain,
        }
    }

    /// The data every email starts from.
    pub fn data(&self, name: &str, email: &str) -> MailData {
        MailData {
            vendor: self.vendor.clone(),
            name: name.to_owned(),
            email: email.to_owned(),
            portal_url: format!("{}/portal/login", self.public_url),
            ..MailData::default()
        }
    }

    /// Where an invite link points, without its token.
    pub fn invite_prefix(&self) -> String {
        format!("{}/portal/invite/", self.public_url)
    }

    /// Where a license user's set-password link points, without its token.
    pub fn user_password_prefix(&self) -> String {
        format!("{}/portal/users/password/", self.public_url)
    }

    /// Where a password-reset link points, without its token.
    pub fn reset_prefix(&self) -> String {
        format!("{}/portal/reset-password/", self.public_url)
    }
}
