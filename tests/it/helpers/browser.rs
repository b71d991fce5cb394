//! Headless Chromium driven through chromedriver (WebDriver) with fantoccini.
//!
//! Each browser gets its own chromedriver on a free port and a fresh profile folder.
//! Where Chromium is missing the test is skipped with a message — except under `CI=true`,
//! where a missing browser fails the run.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

const CHROMEDRIVER: &[&str] = &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"];
const CHROMIUM: &[&str] = &["/usr/bin/chromium", "/usr/bin/chromium-browser"];

fn find(candidates: &[&str]) -> Option<String> {
    candidates
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(|p| p.to_string())
}

impl Browser {
    /// Starts a headless browser, or returns `None` (outside CI) when none is installed.
    pub async fn start() -> Option<Browser> {
        let (Some(driver_bin), Some(chromium)) = (find(CHROMEDRIVER), find(CHROMIUM)) else {
            if super::strict() {
                panic!("chromium and chromedriver are required under CI=true (apt-get install chromium chromium-driver)");
            }
            eprintln!(
                "SKIPPED: chromium/chromedriver not installed; run `bash .ci/run` to install them"
            );
            return None;
        };
        let port = free_port();
        let driver = Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().expect("a profile folder");
        let webdriver = format!("http://127.0.0.1:{port}");
        wait_for_driver(port).await;
        let args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--window-size=1280,900".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({ "binary": chromium, "args": args }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&webdriver)
            .await
            .expect("a WebDriver session");
        Some(Browser {
            client,
            driver,
            _profile: profile,
        })
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("page loads");
    }

    /// Fills the input whose `<label for>` has this text.
    pub async fn fill(&self, label: &str, value: &str) {
        let field = self.field_by_label(label).await;
        field.clear().await.expect("clear field");
        field.send_keys(value).await.expect("type into field");
    }

    /// Chooses a file for the file input whose `<label for>` has this text.
    pub async fn choose_file(&self, label: &str, path: &std::path::Path) {
        let field = self.field_by_label(label).await;
        field
            .send_keys(&path.display().to_string())
            .await
            .expect("choose file");
    }

    /// The form control a visible `<label>` points to (a required field's label ends in
    /// a star).
    pub async fn field_by_label(&self, label: &str) -> fantoccini::elements::Element {
        let xpath = format!(
            "//*[@id=//label[normalize-space(.)={} or normalize-space(.)={}]/@for]",
            xpath_literal(label),
            xpath_literal(&format!("{label} *"))
        );
        self.client
            .find(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no field labelled {label:?}: {e}"))
    }

    /// Opens a `<details>` section by clicking its summary.
    pub async fn expand(&self, summary: &str) {
        let xpath = format!("//summary[normalize-space(.)={}]", xpath_literal(summary));
        self.client
            .find(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no section {summary:?}: {e}"))
            .click()
            .await
            .expect("open section");
    }

    /// The value of a cookie of the current page.
    pub async fn cookie(&self, name: &str) -> Option<String> {
        self.client
            .get_all_cookies()
            .await
            .expect("cookies")
            .into_iter()
            .find(|c| c.name() == name)
            .map(|c| c.value().to_owned())
    }

    /// Chooses the option with this visible text in the select labelled `label`.
    pub async fn select(&self, label: &str, option: &str) {
        self.field_by_label(label)
            .await
            .select_by_label(option)
            .await
            .unwrap_or_else(|e| panic!("no option {option:?} in {label:?}: {e}"));
    }

    /// Clicks the button with this visible text and waits for the page it leads to.
    pub async fn click_button(&self, text: &str) {
        self.click_button_at("", text).await;
    }

    /// Clicks the button with this text in the table row that mentions `row`.
    pub async fn click_button_in_row(&self, row: &str, text: &str) {
        let scope = format!("//tr[contains(., {})]", xpath_literal(row));
        self.click_button_at(&scope, text).await;
    }

    async fn click_button_at(&self, scope: &str, text: &str) {
        let xpath = format!(
            "{scope}//button[normalize-space(.)={}]",
            xpath_literal(text)
        );
        let button = self
            .client
            .find(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no button {text:?}: {e}"));
        let old = self
            .client
            .find(Locator::Css("html"))
            .await
            .expect("a page");
        button.click().await.expect("click button");
        self.wait_for_new_page(old).await;
    }

    /// Clicks the link with this visible text and waits for the page it leads to.
    pub async fn click_link(&self, text: &str) {
        let link = self
            .client
            .find(Locator::LinkText(text))
            .await
            .unwrap_or_else(|e| panic!("no link {text:?}: {e}"));
        let old = self
            .client
            .find(Locator::Css("html"))
            .await
            .expect("a page");
        link.click().await.expect("click link");
        self.wait_for_new_page(old).await;
    }

    /// Waits until `old` (the previous page's root) is gone and the new page has loaded.
    async fn wait_for_new_page(&self, old: fantoccini::elements::Element) {
        let started = Instant::now();
        while old.tag_name().await.is_ok() {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "the page did not change"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        while started.elapsed() < Duration::from_secs(15) {
            let state = self
                .client
                .execute("return document.readyState", vec![])
                .await;
            if matches!(state, Ok(ref v) if v.as_str() == Some("complete")) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the new page did not finish loading");
    }

    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("current URL")
            .path()
            .to_owned()
    }

    pub async fn text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .expect("a body")
            .text()
            .await
            .expect("body text")
    }

    /// Saves a PNG screenshot under `target/screenshots/` and returns its path.
    pub async fn screenshot(&self, name: &str) -> std::path::PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("its address")
        .port()
}

async fn wait_for_driver(port: u16) {
    let started = Instant::now();
    let status = format!("http://127.0.0.1:{port}/status");
    while started.elapsed() < Duration::from_secs(20) {
        if let Ok(r) = reqwest::get(&status).await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not answer on port {port}");
}

/// Quotes a string for XPath, whatever quotes it holds.
fn xpath_literal(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else if !s.contains('"') {
        format!("\"{s}\"")
    } else {
        let parts: Vec<String> = s.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}
