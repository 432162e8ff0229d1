//! Headless Chromium for the browser tests: finding it (a missing browser
//! skips a test under plain `cargo test` and fails it when
//! ZHIHUI_REQUIRE_BROWSER=1, as `.ci/run` sets), one-shot DOM dumps, and
//! `Browser`, a page driven over the DevTools protocol (navigate, evaluate,
//! wait, screen size, print to PDF, screenshot).

use std::path::Path;
use std::process::Command;

pub fn chromium() -> Option<&'static str> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    if found.is_none() {
        assert!(
            std::env::var("ZHIHUI_REQUIRE_BROWSER").is_err(),
            "chromium is required (ZHIHUI_REQUIRE_BROWSER is set) but not installed"
        );
        eprintln!("skipping browser test: chromium not installed");
    }
    found
}

/// Headless, and no traffic beyond this machine (the network is closed).
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// The DOM after scripts ran, as Chromium sees it.
pub fn dump_dom(browser: &str, url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(browser)
        .args(CHROMIUM_FLAGS)
        .args([
            "--virtual-time-budget=3000",
            &format!("--user-data-dir={}", profile.path().display()),
            "--dump-dom",
            url,
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A page in headless Chromium driven over the DevTools protocol.
pub struct Browser {
    child: std::process::Child,
    socket: tungstenite::WebSocket<std::net::TcpStream>,
    session: String,
    next_id: u64,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub fn start(binary: &str) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let child = Command::new(binary)
            .args(CHROMIUM_FLAGS)
            .args([
                "--remote-debugging-port=0",
                &format!("--user-data-dir={}", profile.path().display()),
                "about:blank",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let port_file = profile.path().join("DevToolsActivePort");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let text = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file)
                && text.lines().count() >= 2
            {
                break text;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "chromium did not open its debugging port"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        let mut lines = text.lines();
        let (port, path) = (lines.next().unwrap(), lines.next().unwrap());
        let stream = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
        let (socket, _) = tungstenite::client(format!("ws://127.0.0.1:{port}{path}"), stream).unwrap();
        let mut browser = Browser {
            child,
            socket,
            session: String::new(),
            next_id: 0,
            _profile: profile,
        };
        let target = browser.call(None, "Target.createTarget", serde_json::json!({"url": "about:blank"}));
        let target_id = target["targetId"].as_str().unwrap().to_string();
        let attached = browser.call(
            None,
            "Target.attachToTarget",
            serde_json::json!({"targetId": target_id, "flatten": true}),
        );
        browser.session = attached["sessionId"].as_str().unwrap().to_string();
        browser
    }

    pub fn call(&mut self, session: Option<&str>, method: &str, params: serde_json::Value) -> serde_json::Value {
        self.try_call(session, method, params)
            .unwrap_or_else(|error| panic!("{method}: {error}"))
    }

    /// `call`, answering the protocol's error instead of failing on it.
    fn try_call(
        &mut self,
        session: Option<&str>,
        method: &str,
        params: serde_json::Value,
    ) -> Result<serde_json::Value, serde_json::Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = serde_json::json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            message["sessionId"] = serde_json::Value::String(s.to_string());
        }
        self.socket
            .send(tungstenite::Message::text(message.to_string()))
            .unwrap();
        loop {
            let reply = self.socket.read().unwrap();
            let Ok(text) = reply.to_text() else { continue };
            let value: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
            if value["id"] == id {
                return match value.get("error") {
                    Some(error) if !error.is_null() => Err(error.clone()),
                    _ => Ok(value["result"].clone()),
                };
            }
        }
    }

    /// Evaluates JavaScript in the page and returns its value.
    pub fn eval(&mut self, expression: &str) -> serde_json::Value {
        let session = self.session.clone();
        let params = serde_json::json!({"expression": expression, "returnByValue": true, "awaitPromise": true});
        self.call(Some(&session), "Runtime.evaluate", params)["result"]["value"].clone()
    }

    /// Polls `condition` (JavaScript) until true, or fails with `what`.
    pub fn wait_for(&mut self, condition: &str, what: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let session = self.session.clone();
        let expression = format!("(() => {{ try {{ return !!({condition}); }} catch (e) {{ return false; }} }})()");
        while std::time::Instant::now() < deadline {
            // A page that is being replaced has no context to evaluate in:
            // that answer is an error, and means "not yet".
            let params = serde_json::json!({"expression": expression, "returnByValue": true});
            if let Ok(result) = self.try_call(Some(&session), "Runtime.evaluate", params)
                && result["result"]["value"] == true
            {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!(
            "timed out waiting for {what}; page: {}",
            self.eval("document.body ? document.body.innerText.slice(0, 2000) : ''")
        );
    }

    pub fn goto(&mut self, url: &str) {
        let session = self.session.clone();
        self.call(Some(&session), "Page.navigate", serde_json::json!({"url": url}));
        self.wait_for(
            "document.readyState === 'complete' && location.href !== 'about:blank'",
            url,
        );
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    /// Sizes the page as a screen of `width` × `height` CSS pixels; `mobile`
    /// also emulates a phone (touch, `width=device-width` viewport).
    pub fn viewport(&mut self, width: u32, height: u32, mobile: bool) {
        let session = self.session.clone();
        self.call(
            Some(&session),
            "Emulation.setDeviceMetricsOverride",
            serde_json::json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}),
        );
    }

    /// Emulates a CSS media type (`print`, `screen`), so that the page's
    /// print rules can be read back with `getComputedStyle`.
    pub fn media(&mut self, media: &str) {
        let session = self.session.clone();
        self.call(
            Some(&session),
            "Emulation.setEmulatedMedia",
            serde_json::json!({"media": media}),
        );
    }

    /// Prints the current page to PDF as Chromium's print dialog would, with
    /// the page's own `@page` size and margins, and returns the file.
    pub fn print_pdf(&mut self) -> Vec<u8> {
        let session = self.session.clone();
        let result = self.call(
            Some(&session),
            "Page.printToPDF",
            serde_json::json!({"preferCSSPageSize": true, "printBackground": true}),
        );
        decode_base64(result["data"].as_str().expect("PDF data"))
    }

    /// `print_pdf`, tagged: the PDF's structure tree says which page each
    /// table row's cells landed on.
    pub fn print_tagged_pdf(&mut self) -> Vec<u8> {
        let session = self.session.clone();
        let result = self.call(
            Some(&session),
            "Page.printToPDF",
            serde_json::json!({"preferCSSPageSize": true, "printBackground": true, "generateTaggedPDF": true}),
        );
        decode_base64(result["data"].as_str().expect("PDF data"))
    }

    /// A PNG of what the page shows now.
    pub fn screenshot(&mut self) -> Vec<u8> {
        let session = self.session.clone();
        let result = self.call(
            Some(&session),
            "Page.captureScreenshot",
            serde_json::json!({"format": "png"}),
        );
        decode_base64(result["data"].as_str().expect("PNG data"))
    }
}

fn decode_base64(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("DevTools sends base64")
}

/// Signs `name` (password `password-123`, as `publish::app_with_users` makes
/// them) in through the login form and waits for the page `next`.
pub fn sign_in(b: &mut Browser, app: &crate::support::TestApp, name: &str, next: &str) {
    b.goto(&format!("{}/login?next={}", app.base, crate::support::enc(next)));
    b.eval(&format!(
        "document.querySelector('input[name=username]').value = '{name}'; document.querySelector('input[name=password]').value = 'password-123'; document.querySelector('form.stack').submit(); true"
    ));
    b.wait_for(
        &format!(
            "location.pathname === '{}' && document.readyState === 'complete'",
            next.split('?').next().unwrap()
        ),
        "signed in",
    );
}
