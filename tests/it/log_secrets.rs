//! No one-time link's token reaches a log line: the server's log output is captured
//! while link pages are opened and posted to without a session, with a stale form, and
//! with a good one, and searched for the tokens.

use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::helpers::{client, csrf_in, TestApp};

/// Everything the application logs, kept in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn link_tokens_never_reach_the_log() {
    let log = Captured::default();
    tracing_subscriber::fmt()
        .with_writer(log.clone())
        .with_max_level(tracing::Level::TRACE)
        // Every request span is written out when it closes, with all its fields.
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .try_init()
        .expect("this test process logs to memory");
    let app = TestApp::spawn().await;
    let demo = app.seed_demo("admin@example.com");
    let invite = demo.invite_link.replace(&app.mailer().public_url, "");
    let token = invite.rsplit('/').next().unwrap().to_owned();
    assert_eq!(token.len(), 64);
    // Links of the other two kinds (their tokens need not be live to be secret).
    let other = keyfold::domain::token::random_token();
    let paths = [
        invite.clone(),
        format!("/portal/reset-password/{other}"),
        format!("/portal/users/password/{other}"),
    ];
    let fields = [
        ("new_password", "a long new password"),
        ("confirm_password", "a long new password"),
    ];
    for path in &paths {
        // Without a session: to the sign-in page, with no token in `next`.
        let r = client()
            .post(app.url(path))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{path}");
        let to = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(!to.contains(&token) && !to.contains(&other), "{to}");
        // With a session and a stale form: refused (logged as a warning), or to the
        // sign-in page where the dead link showed no form.
        let c = client();
        c.get(app.url(path)).send().await.unwrap();
        let r = c
            .post(app.url(path))
            .form(&[("csrf_token", "stale"), fields[0], fields[1]])
            .send()
            .await
            .unwrap();
        assert!([403, 303].contains(&r.status().as_u16()), "{path}");
    }
    // And the invite used for real.
    let c = client();
    let page = app.page_with(&c, &invite).await;
    let csrf = csrf_in(&page).unwrap();
    let r = c
        .post(app.url(&invite))
        .form(&[("csrf_token", csrf.as_str()), fields[0], fields[1]])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "the invite works");
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("/portal/invite/[redacted]"),
        "the requests were logged: {text}"
    );
    for secret in [&token, &other] {
        assert!(
            !text.contains(secret.as_str()),
            "a token in the log:\n{text}"
        );
    }
    assert!(
        !text.contains("SignInRequired"),
        "a redirect is not an error"
    );
}
