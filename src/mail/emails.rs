//! The emails Keyfold sends, each a folder of templates under `templates/email/<name>/`
//! (subject, plain text, HTML). A token-bearing email is rendered with [`LINK_MARK`]
//! where its link goes: the outbox keeps that form, pages show the mark as "[invite
//! link]" or "[reset link]", and only the mail worker puts the live link in its place.

use crate::domain::LicenseManagerId;
use crate::domain::LicenseUserId;
use crate::domain::OrderId;
use askama::Template;
use chrono::NaiveDateTime;

/// Stands for a token-bearing link in a stored body. Control characters are refused in
/// every text a person types, so no name or reference can contain it.
pub const LINK_MARK: &str = "\u{1}link\u{1}";

/// What kind of link an email carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    Invite,
    Reset,
    /// A license user's set-password link.
    Password,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Invite => "invite",
            LinkKind::Reset => "reset",
            LinkKind::Password => "password",
        }
    }

    pub fn parse(s: &str) -> Option<LinkKind> {
        match s {
            "invite" => Some(LinkKind::Invite),
            "reset" => Some(LinkKind::Reset),
            "password" => Some(LinkKind::Password),
            _ => None,
        }
    }

    /// What pages show in place of the link.
    pub fn placeholder(self) -> &'static str {
        match self {
            LinkKind::Invite => "[invite link]",
            LinkKind::Reset => "[reset link]",
            LinkKind::Password => "[set-password link]",
        }
    }
}

/// The link of a token-bearing email: where it points (without the token) and the raw
/// token, which the outbox seals before it is stored.
#[derive(Clone, Debug)]
pub struct Link {
    pub kind: LinkKind,
    pub prefix: String,
    pub raw: String,
    pub token_id: i64,
    pub expires_at: NaiveDateTime,
}

/// Which email.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Invite,
    Granted,
    PasswordReset,
    PasswordChanged,
    /// A license user was given a license (with a set-password link if they have no
    /// password yet).
    AssignedLicenseUser,
    /// A license user's set-password link, sent by a manager or the vendor.
    LicenseUserPassword,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Invite => "invite",
            Kind::Granted => "granted",
            Kind::PasswordReset => "password_reset",
            Kind::PasswordChanged => "password_changed",
            Kind::AssignedLicenseUser => "assigned_license_user",
            Kind::LicenseUserPassword => "license_user_password",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        [
            Kind::Invite,
            Kind::Granted,
            Kind::PasswordReset,
            Kind::PasswordChanged,
            Kind::AssignedLicenseUser,
            Kind::LicenseUserPassword,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }

    pub fn label(name: &str) -> &'static str {
        match name {
            "invite" => "Invite",
            "granted" => "Granted another order",
            "password_reset" => "Password reset",
            "password_changed" => "Password changed",
            "assigned_license_user" => "Assigned license user",
            "license_user_password" => "License user password link",
            _ => "Email",
        }
    }
}

/// Everything an email's templates may name.
#[derive(Clone, Debug, Default)]
pub struct MailData {
    pub vendor: String,
    pub name: String,
    pub email: String,
    pub order_reference: String,
    pub permissions: String,
    pub portal_url: String,
    /// [`LINK_MARK`] in a token-bearing email.
    pub link: String,
    pub valid_for: String,
    /// License-user emails: the license's product and key.
    pub product: String,
    pub license_key: String,
    /// A license user without a password and without a link: whom to ask for one.
    pub ask: String,
    /// Who made the grant when a license manager did (name and email); empty when the
    /// vendor's staff did.
    pub inviter: String,
}

/// An email ready for the outbox.
#[derive(Clone, Debug)]
pub struct Email {
    pub kind: Kind,
    pub to_email: String,
    pub to_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub link: Option<Link>,
    pub manager_id: Option<LicenseManagerId>,
    pub order_id: Option<OrderId>,
    pub license_user_id: Option<LicenseUserId>,
}

macro_rules! parts {
    ($subject:ident = $sp:literal, $text:ident = $tp:literal, $html:ident = $hp:literal) => {
        #[derive(Template)]
        #[template(path = $sp)]
        struct $subject<'a> {
            m: &'a MailData,
        }
        #[derive(Template)]
        #[template(path = $tp)]
        struct $text<'a> {
            m: &'a MailData,
        }
        #[derive(Template)]
        #[template(path = $hp)]
        struct $html<'a> {
            m: &'a MailData,
        }
    };
}

parts!(
    InviteSubject = "email/invite/subject.txt",
    InviteText = "email/invite/body.txt",
    InviteHtml = "email/invite/body.html"
);
parts!(
    GrantedSubject = "email/granted/subject.txt",
    GrantedText = "email/granted/body.txt",
    GrantedHtml = "email/granted/body.html"
);
parts!(
    ResetSubject = "email/password_reset/subject.txt",
    ResetText = "email/password_reset/body.txt",
    ResetHtml = "email/password_reset/body.html"
);
parts!(
    AssignedSubject = "email/assigned_license_user/subject.txt",
    AssignedText = "email/assigned_license_user/body.txt",
    AssignedHtml = "email/assigned_license_user/body.html"
);
parts!(
    UserPasswordSubject = "email/license_user_password/subject.txt",
    UserPasswordText = "email/license_user_password/body.txt",
    UserPasswordHtml = "email/license_user_password/body.html"
);
parts!(
    ChangedSubject = "email/password_changed/subject.txt",
    ChangedText = "email/password_changed/body.txt",
    ChangedHtml = "email/password_changed/body.html"
);

/// Renders `kind` for `m`. Templates are compiled in, so rendering cannot fail on data;
/// a formatting error would be a bug and reads as an empty part.
pub fn render(kind: Kind, m: &MailData, link: Option<Link>) -> Email {
    fn r(t: &impl Template) -> String {
        t.render().unwrap_or_default()
    }
    let (subject, text, html) = match kind {
        Kind::Invite => (
            r(&InviteSubject { m }),
            r(&InviteText { m }),
            r(&InviteHtml { m }),
        ),
        Kind::Granted => (
            r(&GrantedSubject { m }),
            r(&GrantedText { m }),
            r(&GrantedHtml { m }),
        ),
        Kind::PasswordReset => (
            r(&ResetSubject { m }),
            r(&ResetText { m }),
            r(&ResetHtml { m }),
        ),
        Kind::PasswordChanged => (
            r(&ChangedSubject { m }),
            r(&ChangedText { m }),
            r(&ChangedHtml { m }),
        ),
        Kind::AssignedLicenseUser => (
            r(&AssignedSubject { m }),
            r(&AssignedText { m }),
            r(&AssignedHtml { m }),
        ),
        Kind::LicenseUserPassword => (
            r(&UserPasswordSubject { m }),
            r(&UserPasswordText { m }),
            r(&UserPasswordHtml { m }),
        ),
    };
    Email {
        kind,
        to_email: m.email.clone(),
        to_name: m.name.clone(),
        subject: subject.trim().to_owned(),
        text,
        html,
        link,
        manager_id: None,
        order_id: None,
        license_user_id: None,
    }
}
