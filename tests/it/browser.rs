//! The real pages in headless Chromium. Needs Debian's `chromium`: skipped
//! when it is missing, unless ZHIHUI_REQUIRE_BROWSER=1 (set by `.ci/run`),
//! where a missing browser fails the test instead.

use std::path::Path;
use std::process::Command;

use crate::support::{TestApp, enc};

fn chromium() -> Option<&'static str> {
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
fn dump_dom(browser: &str, url: &str) -> String {
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

#[test]
fn search_page_renders_results_in_chromium() {
    let Some(browser) = chromium() else { return };
    let app = TestApp::start("basic");
    let dom = dump_dom(browser, &format!("{}/search?q={}", app.base, enc("盾构 管片")));
    assert!(dom.contains("href=\"/records/tunnel-zhang/segment-repair\""), "{dom}");
    assert!(dom.contains("<mark>"), "highlights");
    assert!(dom.contains("class=\"facet\""));
}

#[test]
fn content_script_does_not_run_in_chromium() {
    let Some(browser) = chromium() else { return };
    let app = TestApp::start("basic");
    let dom = dump_dom(browser, &format!("{}/records/bridge-li/hanging-basket", app.base));
    assert!(dom.contains("挂篮悬臂浇筑施工工法"), "{dom}");
    assert!(!dom.contains("pwned"), "script from content ran");
    assert!(!dom.contains("data-xss"), "event handler from content ran");
}

/// A page in headless Chromium driven over the DevTools protocol.
struct Browser {
    child: std::process::Child,
    socket: tungstenite::WebSocket<std::net::TcpStream>,
    session: String,
    next_id: u64,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn start(binary: &str) -> Browser {
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

    fn call(&mut self, session: Option<&str>, method: &str, params: serde_json::Value) -> serde_json::Value {
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
                assert!(value["error"].is_null(), "{method}: {value}");
                return value["result"].clone();
            }
        }
    }

    /// Evaluates JavaScript in the page and returns its value.
    fn eval(&mut self, expression: &str) -> serde_json::Value {
        let session = self.session.clone();
        let params = serde_json::json!({"expression": expression, "returnByValue": true, "awaitPromise": true});
        self.call(Some(&session), "Runtime.evaluate", params)["result"]["value"].clone()
    }

    /// Polls `condition` (JavaScript) until true, or fails with `what`.
    fn wait_for(&mut self, condition: &str, what: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if self.eval(&format!(
                "(() => {{ try {{ return !!({condition}); }} catch (e) {{ return false; }} }})()"
            )) == true
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

    fn goto(&mut self, url: &str) {
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

#[test]
fn publishing_form_in_chromium_fill_preview_submit() {
    let Some(binary) = chromium() else { return };
    let (app, _) = crate::publish::app_with_users();
    let mut b = Browser::start(binary);
    b.goto(&format!("{}/login?next=%2Fpublish%3Fkind%3Dmethod", app.base));
    b.eval("document.querySelector('input[name=username]').value = 'pub-tunnel'; document.querySelector('input[name=password]').value = 'password-123'; document.querySelector('form.stack').submit(); true");
    b.wait_for("location.pathname === '/publish' && document.readyState === 'complete' && document.querySelector('#record-form')", "the publishing form after sign-in");
    // The fields of the chosen kind show, the others hide.
    assert_eq!(
        b.eval("document.querySelector('fieldset[data-kind=method]').hidden"),
        false
    );
    assert_eq!(
        b.eval("document.querySelector('fieldset[data-kind=patent]').hidden"),
        true
    );
    b.eval(
        "const f = document.querySelector('#record-form');
         f.title.value = '盾构管片错台浏览器测试工法';
         f.slug.value = 'browser-method';
         f.date.value = '2025-02-03';
         f.tags.value = '盾构，管片';
         f.level.value = 'enterprise';
         f.visibility.value = 'public';
         f.body.value = '## 工艺原理\\n\\n管片错台修复，浏览器里写的正文。';
         f.body.dispatchEvent(new Event('input'));
         true",
    );
    // Live preview by the server's renderer, and the novelty check.
    b.wait_for(
        "document.querySelector('#preview h2') && document.querySelector('#preview h2').id === '工艺原理'",
        "live preview",
    );
    b.wait_for(
        "document.querySelectorAll('#novelty li').length > 0",
        "novelty check results",
    );
    assert!(
        b.eval("document.querySelector('#novelty').innerText")
            .as_str()
            .unwrap()
            .contains("盾构管片错台快速修复工法")
    );
    // A marker on the old document tells when the next page has loaded.
    b.eval("window.oldPage = true; document.querySelector('button[value=preview]').click(); true");
    b.wait_for("!window.oldPage && document.readyState === 'complete' && document.querySelector('#preview h2') && document.querySelector('#record-form').title.value.includes('浏览器')", "server preview");
    b.eval("window.oldPage = true; document.querySelector('button[value=submit]').click(); true");
    b.wait_for(
        "location.pathname.endsWith('/records/tunnel-zhang/browser-method')",
        "the new record page",
    );
    b.wait_for(
        "document.querySelector('h1') && document.querySelector('h1').innerText === '盾构管片错台浏览器测试工法'",
        "record title",
    );
    assert!(
        b.eval("document.querySelector('.review-banner') !== null") == true,
        "marked as pending review"
    );
    assert!(app.content().join("tunnel-zhang/browser-method.md").is_file());
}
