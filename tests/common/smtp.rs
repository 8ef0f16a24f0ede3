//! A real SMTP server for the mail tests: aiosmtpd (from PyPI) run as a process.

use std::path::{Path, PathBuf};

/// A real SMTP server (aiosmtpd) writing what it receives into a Maildir.
pub struct Smtp {
    child: Option<std::process::Child>,
    port: u16,
    dir: PathBuf,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Smtp {
    pub fn start(dir: &Path, port: u16) -> Smtp {
        // A folder that does not exist yet: aiosmtpd creates the Maildir structure in it.
        let mut s = Smtp { child: None, port, dir: dir.join("maildir") };
        s.restart();
        s
    }
    pub fn restart(&mut self) {
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let child = std::process::Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{}", self.port), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&self.dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start aiosmtpd (pip install aiosmtpd)");
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("aiosmtpd did not start on port {}", self.port);
    }
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        for _ in 0..50 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
    /// (To header, decoded message)
    pub fn messages(&self) -> Vec<(String, String)> {
        let mut out = vec![];
        let Ok(rd) = std::fs::read_dir(self.dir.join("new")) else {
            return out;
        };
        for e in rd.flatten() {
            let raw = std::fs::read_to_string(e.path()).unwrap();
            let text = decode_qp(&raw);
            let to = raw.lines().find(|l| l.to_ascii_lowercase().starts_with("to:")).unwrap_or("").to_string();
            out.push((to, text));
        }
        out
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Decodes quoted-printable (the transfer encoding the platform uses for both parts).
pub fn decode_qp(s: &str) -> String {
    let s = s.replace("=\r\n", "").replace("=\n", "");
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
