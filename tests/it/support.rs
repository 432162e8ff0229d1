//! `TestApp`: a copy of a fixture content folder, the real server started
//! on a free port over it, and a small HTTP client.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_zhihui");

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs `zhihui` with `args` and returns its output.
pub fn run(args: &[&str], dir: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

pub struct Response {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(String, String)>,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub struct TestApp {
    pub dir: tempfile::TempDir,
    pub base: String,
    child: Child,
    agent: ureq::Agent,
}

impl TestApp {
    /// Copies `fixtures/<name>/content` and serves it.
    pub fn start(name: &str) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&fixture(name).join("content"), &dir.path().join("content"));
        Self::serve(dir)
    }

    pub fn serve(dir: tempfile::TempDir) -> TestApp {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr = format!("127.0.0.1:{port}");
        let child = Command::new(BIN)
            .args(["serve", "--addr", &addr])
            .current_dir(dir.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let app = TestApp {
            dir,
            base: format!("http://{addr}"),
            child,
            agent,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if app.try_get("/healthz").is_some_and(|r| r.status == 200) {
                return app;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("server did not start on {addr}");
    }

    pub fn content(&self) -> PathBuf {
        self.dir.path().join("content")
    }

    fn try_get(&self, path: &str) -> Option<Response> {
        let mut response = self.agent.get(format!("{}{path}", self.base)).call().ok()?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let body = response.body_mut().read_to_string().unwrap_or_default();
        Some(Response { status, body, headers })
    }

    pub fn get(&self, path: &str) -> Response {
        self.try_get(path).unwrap_or_else(|| panic!("GET {path} failed"))
    }

    /// `/api/search?…` as JSON, asserting 200.
    pub fn search(&self, query: &str) -> Value {
        let r = self.get(&format!("/api/search?{query}"));
        assert_eq!(r.status, 200, "{query}: {}", r.body);
        r.json()
    }

    /// Polls until `check` holds or `timeout` passes.
    pub fn wait_for(&self, timeout: Duration, mut check: impl FnMut(&TestApp) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if check(self) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        false
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn ids(result: &Value) -> Vec<String> {
    result["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
