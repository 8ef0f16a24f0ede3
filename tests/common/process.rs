//! `opstap serve` as a real process (the built binary, its real configuration from the
//! environment), and a small blocking HTTP/1.1 client to talk to it.

use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const JWT_SECRET: &str = "process-test-secret-process-test-secret";

/// One `opstap serve` process.
pub struct Server {
    child: Option<Child>,
    pub addr: String,
    pub log: PathBuf,
    env: Vec<(String, String)>,
}

impl Server {
    /// Starts `opstap serve` on `db_url` with its own index folder under `dir`, and waits until
    /// `/health` answers. `env` adds or overrides environment variables (e.g. OPSTAP_SMTP_URL).
    pub fn start(db_url: &str, dir: &Path, name: &str, env: &[(&str, &str)]) -> Server {
        let mut s = Server::configure(db_url, dir, name, env);
        s.restart();
        s
    }

    fn configure(db_url: &str, dir: &Path, name: &str, env: &[(&str, &str)]) -> Server {
        let port = super::smtp::free_port();
        let mut all: Vec<(String, String)> = vec![
            ("DATABASE_URL".into(), db_url.into()),
            ("OPSTAP_BIND".into(), format!("127.0.0.1:{port}")),
            ("OPSTAP_DEMO".into(), "false".into()),
            ("OPSTAP_INDEX_DIR".into(), dir.join(format!("index-{name}")).display().to_string()),
            ("OPSTAP_MAIL_DIR".into(), dir.join(format!("mail-{name}")).display().to_string()),
            ("OPSTAP_REFDATA".into(), super::refdata_dir().display().to_string()),
            ("OPSTAP_JWT_SECRET".into(), JWT_SECRET.into()),
            ("OPSTAP_WORKER_INTERVAL_SECS".into(), "1".into()),
            ("RUST_LOG".into(), "info,actix_web=warn,tantivy=warn".into()),
        ];
        for (k, v) in env {
            all.retain(|(a, _)| a != k);
            all.push((k.to_string(), v.to_string()));
        }
        Server { child: None, addr: format!("127.0.0.1:{port}"), log: dir.join(format!("serve-{name}.log")), env: all }
    }

    /// Starts the process without waiting for it (`wait_ready` waits).
    pub fn spawn(db_url: &str, dir: &Path, name: &str, env: &[(&str, &str)]) -> Server {
        let mut s = Server::configure(db_url, dir, name, env);
        s.launch();
        s
    }

    /// Starts the process again with the same configuration (after `kill`).
    pub fn restart(&mut self) {
        self.launch();
        self.wait_ready();
    }

    fn launch(&mut self) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).expect("log file");
        let mut c = Command::new(env!("CARGO_BIN_EXE_opstap"));
        c.arg("serve").stdin(Stdio::null()).stdout(log.try_clone().expect("log")).stderr(log);
        c.env_remove("OPSTAP_SMTP_URL");
        for (k, v) in &self.env {
            c.env(k, v);
        }
        self.child = Some(c.spawn().expect("start opstap serve"));
    }

    /// Waits until `/health` answers 200 (at most 120 s); panics when the process exits first.
    pub fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if let Some(st) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!("opstap serve exited with {st} during start:\n{}", self.log_text());
            }
            if let Ok((200, _)) = try_request(&self.addr, "GET", "/health", None, None) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("opstap serve did not answer within 120 s:\n{}", self.log_text());
    }

    /// `kill -9`: no shutdown of any kind.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill(); // SIGKILL on Unix
            let _ = c.wait();
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> (u16, Value) {
        request(&self.addr, method, path, token, body)
    }
    pub fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.call("GET", path, token, None)
    }
    pub fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        self.call("POST", path, token, Some(body))
    }
    pub fn login(&self, email: &str) -> String {
        let (s, v) = self.post("/api/v1/auth/login", None, &serde_json::json!({"email": email, "password": super::PW}));
        assert_eq!(s, 200, "login {email}: {v}");
        v["token"].as_str().expect("token").to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Sends one request; panics when the server cannot be reached.
pub fn request(addr: &str, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> (u16, Value) {
    try_request(addr, method, path, token, body).unwrap_or_else(|e| panic!("{method} {path} on {addr}: {e}"))
}

/// Sends one request (HTTP/1.1, `Connection: close`); returns the status and the JSON body
/// (Null when empty or not JSON).
pub fn try_request(addr: &str, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> std::io::Result<(u16, Value)> {
    try_request_head(addr, method, path, token, body).map(|(s, _, v)| (s, v))
}

/// As `try_request`, with the response's head (status line and headers, lower-cased).
pub fn try_request_head(addr: &str, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> std::io::Result<(u16, String, Value)> {
    try_request_raw(addr, method, path, token, body).map(|(s, h, b)| (s, h, serde_json::from_slice(&b).unwrap_or(Value::Null)))
}

/// One request; the status, the head (lower-cased) and the body as bytes.
pub fn try_request_raw(addr: &str, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> std::io::Result<(u16, String, Vec<u8>)> {
    try_request_with(addr, method, path, token, body, &[])
}

/// As `try_request_raw`, with extra request headers.
pub fn try_request_with(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> std::io::Result<(u16, String, Vec<u8>)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAccept: application/json\r\n");
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if body.is_some() {
        req.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", payload.len()));
    }
    req.push_str("\r\n");
    req.push_str(&payload);
    s.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| std::io::Error::other("no HTTP response"))?;
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let rest = &raw[split + 4..];
    let status: u16 = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).ok_or_else(|| std::io::Error::other("bad status line"))?;
    let chunked = head.lines().any(|l| l.starts_with("transfer-encoding:") && l.contains("chunked"));
    let body = if chunked { dechunk(rest) } else { rest.to_vec() };
    Ok((status, head, body))
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let Ok(n) = usize::from_str_radix(String::from_utf8_lossy(&rest[..eol]).trim(), 16) else {
            break;
        };
        let data = &rest[eol + 2..];
        if n == 0 || data.len() < n {
            break;
        }
        out.extend_from_slice(&data[..n]);
        rest = data[n..].strip_prefix(b"\r\n").unwrap_or(&data[n..]);
    }
    out
}

/// Polls `f` until it returns Some (at most `timeout`); returns the value and the time it took.
pub fn wait_for<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<(T, Duration)> {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return Some((v, start.elapsed()));
        }
        if start.elapsed() > timeout {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
