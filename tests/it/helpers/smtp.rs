//! A real SMTP server on loopback, in the test process (mailin-embedded): it receives
//! what Keyfold's mail worker sends through lettre and keeps every message.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mailin_embedded::{response, Handler, Response, Server};

/// One received message: its recipients and its raw data.
#[derive(Clone, Debug)]
pub struct Mail {
    pub to: Vec<String>,
    pub data: String,
}

impl Mail {
    /// The data with quoted-printable soft line breaks joined.
    pub fn text(&self) -> String {
        self.data.replace("=\r\n", "").replace("=\n", "")
    }

    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_lowercase());
        self.data
            .lines()
            .take_while(|l| !l.is_empty())
            .find(|l| l.to_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].trim().to_owned())
    }

    pub fn subject(&self) -> String {
        self.header("Subject").unwrap_or_default()
    }

    pub fn message_id(&self) -> String {
        self.header("Message-ID").unwrap_or_default()
    }

    /// The first link in the message whose path starts with `path` (e.g.
    /// "/portal/invite/"), up to its 64 hex characters.
    pub fn link(&self, path: &str) -> Option<String> {
        let text = self.text();
        let start = text.find(path)?;
        let token: String = text[start + path.len()..]
            .chars()
            .take_while(|c| c.is_ascii_hexdigit())
            .collect();
        (token.len() == 64).then(|| format!("{path}{token}"))
    }
}

#[derive(Clone)]
struct Collector {
    mails: Arc<Mutex<Vec<Mail>>>,
    to: Vec<String>,
    buf: Vec<u8>,
    /// How long the server takes to accept each message.
    delay: Duration,
}

impl Handler for Collector {
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.buf.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.buf.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        std::thread::sleep(self.delay);
        let mail = Mail {
            to: std::mem::take(&mut self.to),
            data: String::from_utf8_lossy(&self.buf).into_owned(),
        };
        self.buf.clear();
        self.mails.lock().unwrap().push(mail);
        response::OK
    }
}

/// The running server (it serves until the test process ends).
#[derive(Clone)]
pub struct SmtpServer {
    pub port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpServer {
    /// Starts a server on a free loopback port.
    pub fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        Self::serve(listener, Duration::ZERO)
    }

    /// A server that takes `delay` to accept each message (a slow relay).
    pub fn start_slow(delay: Duration) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        Self::serve(listener, delay)
    }

    /// Starts a server on `port` (one a test reserved and found closed so far).
    pub fn start_on(port: u16) -> SmtpServer {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("the port is free");
        Self::serve(listener, Duration::ZERO)
    }

    fn serve(listener: TcpListener, delay: Duration) -> SmtpServer {
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let handler = Collector {
            mails: mails.clone(),
            to: Vec::new(),
            buf: Vec::new(),
            delay,
        };
        let mut server = Server::new(handler);
        server.with_name("smtp.test").with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        SmtpServer { port, mails }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    /// Waits (up to 20 s) for a message to `to` matching `pred`, and returns it.
    pub async fn wait_for(&self, to: &str, pred: impl Fn(&Mail) -> bool) -> Mail {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(m) = self
                .mails()
                .into_iter()
                .rev()
                .find(|m| m.to.iter().any(|t| t.contains(to)) && pred(m))
            {
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "no matching email to {to} arrived; received: {:#?}",
                self.mails()
                    .iter()
                    .map(|m| (&m.to, m.subject()))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until at least `n` messages arrived (up to `secs`).
    pub async fn wait_count(&self, n: usize, secs: u64) -> Vec<Mail> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let mails = self.mails();
            if mails.len() >= n {
                return mails;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {n} emails arrived",
                mails.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A port nothing listens on (reserved, then released).
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A "server" that accepts connections and never answers: a worker talking to it is in
/// the middle of an SMTP exchange. Returns its port and the count of connections.
pub fn stalling_server() -> (u16, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(Mutex::new(0));
    let c = count.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            *c.lock().unwrap() += 1;
            held.push(stream);
        }
    });
    (port, count)
}
