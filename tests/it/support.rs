//! `TestApp`: a copy of a fixture content folder, the real server started
//! on a free port over it, and a small HTTP client.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_zhihui");

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// Copies the folder `from` to `to`, files and subfolders.
pub fn copy_dir(from: &Path, to: &Path) {
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

/// A temporary folder holding a copy of `fixtures/<name>/content` as
/// `content/`, for a test to add accounts or damage before serving it.
pub fn fixture_copy(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture(name).join("content"), &dir.path().join("content"));
    dir
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
    /// The folder the server runs in (content/, index/, data/).
    pub root: PathBuf,
    dir: Arc<tempfile::TempDir>,
    pub base: String,
    /// Options given to `serve` besides the address, kept for `restart`.
    args: Vec<String>,
    child: Mutex<Child>,
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
        Self::serve_in(Arc::new(dir), Vec::new())
    }

    /// Serves `dir` with more options (`--public-url …`).
    pub fn serve_with(dir: tempfile::TempDir, args: &[&str]) -> TestApp {
        Self::serve_in(Arc::new(dir), args.iter().map(|a| a.to_string()).collect())
    }

    fn serve_in(dir: Arc<tempfile::TempDir>, args: Vec<String>) -> TestApp {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr = format!("127.0.0.1:{port}");
        let child = Command::new(BIN)
            .args(["serve", "--addr", &addr])
            .args(&args)
            .current_dir(dir.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        let app = TestApp {
            root: dir.path().to_path_buf(),
            dir,
            base: format!("http://{addr}"),
            args,
            child: Mutex::new(child),
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

    /// Creates an account with the CLI, as staff would.
    pub fn add_user(dir: &Path, name: &str, role: &str, studio: Option<&str>) {
        let mut args = vec!["user", "add", name, "--role", role];
        if let Some(s) = studio {
            args.extend(["--studio", s]);
        }
        let mut child = Command::new(BIN)
            .args(&args)
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(b"password-123\n").unwrap();
        assert!(child.wait().unwrap().success(), "user add {name}");
    }

    /// A new API token for an account.
    pub fn token(dir: &Path, name: &str) -> String {
        let out = run(&["token", "new", name], dir);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// Kills the server with SIGKILL, mid-whatever it was doing.
    pub fn kill(&self) {
        let mut child = self.child.lock().unwrap();
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Kills the server and starts a new one over the same folder.
    pub fn restart(&self) -> TestApp {
        self.kill();
        Self::serve_in(self.dir.clone(), self.args.clone())
    }

    pub fn content(&self) -> PathBuf {
        self.root.join("content")
    }

    fn try_get(&self, path: &str) -> Option<Response> {
        self.request("GET", path, &[], None)
    }

    /// Any request; `None` when the connection failed.
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Option<Response> {
        let url = format!("{}{path}", self.base);
        let mut builder = ureq::http::Request::builder().method(method).uri(&url);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let request = builder.body(body.map(<[u8]>::to_vec).unwrap_or_default()).ok()?;
        let mut response = self.agent.run(request).ok()?;
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
        self.kill();
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
