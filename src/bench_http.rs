//! `opstap bench-http`: the platform under HTTP load, measured the same way each time. Starts
//! `opstap serve` as its own process (this binary) on the demo region, or on the database and
//! index of an `opstap bench` run (national data), reads its steady-state memory, and runs
//! `wrk` (Debian's package `wrk`, a well-kept C load generator) with a fixed number of
//! connections against
//! - candidate proposals (`GET /api/v1/candidates/{id}/proposals`, a klantmanager's token, its
//!   caseload in a fixed order),
//! - public placement search (`GET /api/v1/search/placements`, a fixed list of searches).
//!
//! The load generator runs on the same machine as the server, as on the 2-core machines this is
//! measured on; the figures are throughput and wrk's latency percentiles.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct HttpBenchConfig {
    /// Working folder (emptied first, for the demo).
    pub dir: PathBuf,
    /// Use the database and index of an `opstap bench` run in this folder instead of the demo.
    pub national: Option<PathBuf>,
    pub refdata: PathBuf,
    pub port: u16,
    pub connections: u32,
    pub threads: u32,
    pub seconds: u32,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Load {
    pub name: String,
    pub requests: u64,
    pub requests_per_s: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    /// Responses other than 2xx/3xx, and socket errors.
    pub errors: u64,
    /// CPU time the server process used during the load (user + system, all threads) per
    /// request, ms: what a request costs, less dependent on how fast the machine is just then
    /// and on the load generator sharing its cores.
    pub server_cpu_ms_per_request: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct HttpReport {
    pub data: String,
    pub start_s: f64,
    /// Resident memory of the server once started and idle (VmRSS), MB.
    pub server_rss_idle_mb: f64,
    /// Peak resident memory of the server over the whole run (VmHWM), MB.
    pub server_rss_peak_mb: f64,
    pub connections: u32,
    pub seconds: u32,
    pub loads: Vec<Load>,
}

/// One HTTP/1.0 request; returns the status and the body.
fn http(port: u16, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> anyhow::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut req = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n");
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", b.len()));
    }
    req.push_str("\r\n");
    if let Some(b) = body {
        req.push_str(b);
    }
    s.write_all(req.as_bytes())?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((status, body))
}

/// Milliseconds from wrk's "1.23ms", "456.00us", "1.02s".
fn wrk_ms(v: &str) -> Option<f64> {
    let (num, unit) = v.find(|c: char| c.is_ascii_alphabetic()).map(|i| v.split_at(i))?;
    let n: f64 = num.parse().ok()?;
    Some(match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => return None,
    })
}

/// Reads wrk's report (with `--latency`).
pub fn parse_wrk(name: &str, out: &str) -> anyhow::Result<Load> {
    let mut l = Load {
        name: name.into(),
        requests: 0,
        requests_per_s: 0.0,
        p50_ms: 0.0,
        p90_ms: 0.0,
        p99_ms: 0.0,
        errors: 0,
        server_cpu_ms_per_request: 0.0,
    };
    for line in out.lines().map(str::trim) {
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            ["50%", v] => l.p50_ms = wrk_ms(v).unwrap_or(0.0),
            ["90%", v] => l.p90_ms = wrk_ms(v).unwrap_or(0.0),
            ["99%", v] => l.p99_ms = wrk_ms(v).unwrap_or(0.0),
            ["Requests/sec:", v] => l.requests_per_s = v.parse().unwrap_or(0.0),
            [n, "requests", "in", ..] => l.requests = n.parse().unwrap_or(0),
            ["Non-2xx", "or", "3xx", "responses:", n] => l.errors += n.parse::<u64>().unwrap_or(0),
            ["Socket", "errors:", rest @ ..] => {
                l.errors += rest.iter().filter_map(|x| x.trim_end_matches(',').parse::<u64>().ok()).sum::<u64>();
            }
            _ => {}
        }
    }
    anyhow::ensure!(l.requests > 0, "wrk reported no requests:\n{out}");
    Ok(l)
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn lua_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// CPU time (user + system) a process has used, ms, from a `/proc/PID/stat` line: fields 14 and
/// 15, in clock ticks of 1/100 s (Linux's USER_HZ); the command name (field 2) may hold spaces
/// and parentheses, so the fields are counted after its last ')'.
pub(crate) fn cpu_ms_of_stat(stat: &str) -> Option<f64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 * 10.0)
}

fn cpu_ms(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    cpu_ms_of_stat(&stat).ok_or_else(|| anyhow::anyhow!("unreadable /proc/{pid}/stat: {stat}"))
}

fn run_wrk(cfg: &HttpBenchConfig, pid: u32, name: &str, script: &Path) -> anyhow::Result<Load> {
    let cpu_before = cpu_ms(pid)?;
    let out = Command::new("wrk")
        .args(["-t", &cfg.threads.to_string(), "-c", &cfg.connections.to_string(), "-d", &format!("{}s", cfg.seconds), "--latency", "-s"])
        .arg(script)
        .arg(format!("http://127.0.0.1:{}", cfg.port))
        .output()?;
    let cpu = cpu_ms(pid)? - cpu_before;
    anyhow::ensure!(out.status.success(), "wrk failed: {}", String::from_utf8_lossy(&out.stderr));
    let mut l = parse_wrk(name, &String::from_utf8_lossy(&out.stdout))?;
    l.server_cpu_ms_per_request = cpu / l.requests as f64;
    Ok(l)
}

pub fn run(cfg: &HttpBenchConfig) -> anyhow::Result<HttpReport> {
    if Command::new("wrk").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_err() {
        anyhow::bail!("bench-http needs wrk (Debian: apt-get install wrk)");
    }
    std::fs::create_dir_all(&cfg.dir)?;
    let (db, index, account, password, data) = match &cfg.national {
        Some(d) => (
            format!("sqlite://{}", d.join("bench.sqlite").display()),
            d.join("index"),
            // Amsterdam's klantmanager: the largest caseload of the bench data.
            "km-0363@bench.local".to_string(),
            "bench-password-123".to_string(),
            format!("national ({})", d.display()),
        ),
        None => {
            let work = cfg.dir.join("demo");
            if work.exists() {
                std::fs::remove_dir_all(&work)?;
            }
            std::fs::create_dir_all(&work)?;
            (
                format!("sqlite://{}", work.join("opstap.sqlite").display()),
                work.join("index"),
                "klantmanager1@lochem.demo".to_string(),
                crate::demo::DEMO_PASSWORD.to_string(),
                "demo region".to_string(),
            )
        }
    };
    let log = std::fs::File::create(cfg.dir.join("serve.log"))?;
    let started = Instant::now();
    let child = Command::new(std::env::current_exe()?)
        .args(["--database-url", &db, "--index-dir"])
        .arg(&index)
        .arg("--refdata")
        .arg(&cfg.refdata)
        .arg("--mail-dir")
        .arg(cfg.dir.join("mail"))
        .args(["serve", "--bind", &format!("127.0.0.1:{}", cfg.port), "--demo", if cfg.national.is_some() { "false" } else { "true" }])
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()?;
    let server = Server(child);
    let pid = server.0.id();
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        if let Ok((200, _)) = http(cfg.port, "GET", "/health", None, None) {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "the server did not start; see {}", cfg.dir.join("serve.log").display());
        std::thread::sleep(Duration::from_millis(200));
    }
    let start_s = started.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_secs(2));
    let server_rss_idle_mb = crate::bench::proc_status_mb(&pid.to_string(), "VmRSS:");

    let body = serde_json::json!({ "email": account, "password": password }).to_string();
    let (s, b) = http(cfg.port, "POST", "/api/v1/auth/login", None, Some(&body))?;
    anyhow::ensure!(s == 200, "login as {account} failed: {s} {b}");
    let token = serde_json::from_str::<serde_json::Value>(&b)?["token"].as_str().unwrap_or_default().to_string();
    let (s, b) = http(cfg.port, "GET", "/api/v1/candidates?mine=true&limit=500", Some(&token), None)?;
    anyhow::ensure!(s == 200, "the caseload: {s} {b}");
    let list: serde_json::Value = serde_json::from_str(&b)?;
    let ids: Vec<String> =
        list["items"].as_array().map(|a| a.iter().filter_map(|c| c["id"].as_str().map(String::from)).collect()).unwrap_or_default();
    anyhow::ensure!(!ids.is_empty(), "the klantmanager {account} has no candidates");

    let proposals = cfg.dir.join("proposals.lua");
    std::fs::write(
        &proposals,
        format!(
            "local ids = {{{}}}\nlocal i = 0\nrequest = function()\n  i = i + 1\n  return wrk.format(\"GET\", \"/api/v1/candidates/\" .. ids[(i % #ids) + 1] .. \"/proposals\", {{[\"Authorization\"] = {}}})\nend\n",
            ids.iter().map(|i| lua_string(i)).collect::<Vec<_>>().join(", "),
            lua_string(&format!("Bearer {token}")),
        ),
    )?;
    let searches = [
        "/api/v1/search/placements?q=hovenier",
        "/api/v1/search/placements?q=schoonmaak&pc4=7241&max_km=20",
        "/api/v1/search/placements?kind=werkervaringsplaats",
        "/api/v1/search/placements?q=magazijn",
        "/api/v1/search/placements?q=kok&hours=24",
        "/api/v1/search/placements?pc4=7201&max_km=15",
        "/api/v1/search/placements?q=zorg&with_support=true",
        "/api/v1/search/placements",
    ];
    let search = cfg.dir.join("search.lua");
    std::fs::write(
        &search,
        format!(
            "local paths = {{{}}}\nlocal i = 0\nrequest = function()\n  i = i + 1\n  return wrk.format(\"GET\", paths[(i % #paths) + 1])\nend\n",
            searches.iter().map(|p| lua_string(p)).collect::<Vec<_>>().join(", ")
        ),
    )?;
    for p in searches {
        let (s, b) = http(cfg.port, "GET", p, None, None)?;
        anyhow::ensure!(s == 200, "{p}: {s} {b}");
    }
    let loads = vec![run_wrk(cfg, pid, "candidate proposals (klantmanager)", &proposals)?, run_wrk(cfg, pid, "public placement search", &search)?];
    let server_rss_peak_mb = crate::bench::proc_status_mb(&pid.to_string(), "VmHWM:");
    drop(server);
    Ok(HttpReport { data, start_s, server_rss_idle_mb, server_rss_peak_mb, connections: cfg.connections, seconds: cfg.seconds, loads })
}

impl std::fmt::Display for HttpReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Opstap over HTTP: {}, {} connections, {} s per load (wrk)", self.data, self.connections, self.seconds)?;
        writeln!(
            f,
            "Server: ready in {:.1} s, resident memory {:.0} MB idle, {:.0} MB at most",
            self.start_s, self.server_rss_idle_mb, self.server_rss_peak_mb
        )?;
        writeln!(
            f,
            "{:<38} {:>9} {:>9} {:>8} {:>8} {:>8} {:>7} {:>12}",
            "load", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "errors", "cpu ms/req"
        )?;
        for l in &self.loads {
            writeln!(
                f,
                "{:<38} {:>9} {:>9.0} {:>8.1} {:>8.1} {:>8.1} {:>7} {:>12.3}",
                l.name, l.requests, l.requests_per_s, l.p50_ms, l.p90_ms, l.p99_ms, l.errors, l.server_cpu_ms_per_request
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_wrk_reports() {
        let out = "Running 10s test @ http://127.0.0.1:18080\n  2 threads and 64 connections\n  Thread Stats   Avg      Stdev     Max   +/- Stdev\n    Latency    31.20ms   10.01ms 120.00ms   80.00%\n  Latency Distribution\n     50%   30.10ms\n     75%   35.00ms\n     90%  900.00us\n     99%    1.20s\n  20480 requests in 10.00s, 40.00MB read\n  Non-2xx or 3xx responses: 3\nRequests/sec:   2048.00\nTransfer/sec:      4.00MB\n";
        let l = super::parse_wrk("x", out).unwrap();
        assert_eq!(l.requests, 20480);
        assert_eq!(l.requests_per_s, 2048.0);
        assert_eq!(l.p50_ms, 30.1);
        assert_eq!(l.p90_ms, 0.9);
        assert_eq!(l.p99_ms, 1200.0);
        assert_eq!(l.errors, 3);
        assert!(super::parse_wrk("x", "nothing").is_err());
    }

    #[test]
    fn reads_cpu_time_from_proc_stat() {
        // utime 1234 and stime 56 ticks; the name holds a space and a parenthesis.
        let stat = "4242 (opstap (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 56 0 0 20 0 9 0 100 1000000 2000 18446744073709551615";
        assert_eq!(super::cpu_ms_of_stat(stat), Some(12900.0));
        assert_eq!(super::cpu_ms_of_stat("4242 (opstap) S 1"), None);
        // This process's own line parses, and its CPU time only grows.
        let me = std::fs::read_to_string("/proc/self/stat").unwrap();
        let a = super::cpu_ms_of_stat(&me).unwrap();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let b = super::cpu_ms_of_stat(&std::fs::read_to_string("/proc/self/stat").unwrap()).unwrap();
        assert!(b >= a, "{a} -> {b}");
    }
}
