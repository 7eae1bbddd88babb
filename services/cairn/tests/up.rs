//! `cairn up` as a user runs it: the real binary, real HTTP on loopback, real signals.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `cairn up`, killed on drop if a test fails half-way.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn cairn() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cairn"));
    // The tests' own CAIRN_* variables (vector locations) must not leak into the server's config.
    for (name, _) in std::env::vars() {
        if name.starts_with("CAIRN_") {
            cmd.env_remove(name);
        }
    }
    cmd.env_remove("RUST_LOG");
    cmd
}

fn start(data_dir: &Path) -> Server {
    let mut child = cairn()
        .args(["up", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cairn");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read stdout");
    if line.is_empty() {
        let mut err = String::new();
        child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut err)
            .ok();
        panic!("cairn up exited before listening: {err}");
    }
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first stdout line {line:?}"))
        .to_owned();
    Server { child, base }
}

fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        assert!(
            started.elapsed() < limit,
            "cairn did not exit within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn up_serves_health_metrics_and_json_errors_then_stops_on_sigterm() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data_dir = tmp.path().join("data");
    let mut server = start(&data_dir);
    let http = reqwest::Client::new();

    let health = http
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .expect("GET /healthz");
    assert_eq!(health.status(), 200);
    let body: serde_json::Value = health.json().await.expect("health JSON");
    assert_eq!(body, serde_json::json!({"status": "SERVING"}));

    let missing = http
        .get(format!("{}/no/such/path", server.base))
        .send()
        .await
        .expect("GET unknown");
    assert_eq!(missing.status(), 404);
    let body: serde_json::Value = missing.json().await.expect("404 JSON");
    assert_eq!(body["code"], 404);
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));

    let wrong_method = http
        .post(format!("{}/healthz", server.base))
        .send()
        .await
        .expect("POST /healthz");
    assert_eq!(wrong_method.status(), 405);
    let body: serde_json::Value = wrong_method.json().await.expect("405 JSON");
    assert_eq!(body["code"], 405);

    // The Rekor API is mounted, and trailing slashes are tolerated as upstream does
    // (sigstore-python posts to /api/v1/log/entries/retrieve/).
    let info: serde_json::Value = http
        .get(format!("{}/api/v1/log/", server.base))
        .send()
        .await
        .expect("GET /api/v1/log/")
        .json()
        .await
        .expect("LogInfo JSON");
    assert_eq!(
        info["treeSize"], 1,
        "a new log holds its genesis entry: {info}"
    );
    let retrieved = http
        .post(format!("{}/api/v1/log/entries/retrieve/", server.base))
        .json(&serde_json::json!({"logIndexes": [0]}))
        .send()
        .await
        .expect("POST retrieve/");
    assert_eq!(retrieved.status(), 200);
    let entries: Vec<serde_json::Value> = retrieved.json().await.expect("entries");
    assert_eq!(entries.len(), 1);

    let metrics = http
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .expect("GET /metrics");
    assert_eq!(metrics.status(), 200);
    let content_type = metrics
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let text = metrics.text().await.expect("metrics text");
    assert!(text.contains("# TYPE cairn_build_info gauge"), "{text}");
    // The /healthz request above was counted under its route template, the unknown path under
    // "unmatched" (never the raw path, which would make label sets unbounded).
    assert!(
        text.contains(
            "cairn_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("route=\"unmatched\",status=\"404\"} 1"),
        "{text}"
    );
    assert!(!text.contains("/no/such/path"), "{text}");
    assert!(text.trim_end().ends_with("# EOF"), "{text}");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&data_dir)
            .expect("data dir created")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "data dir mode {mode:o}");
    }

    let pid = server.child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let status = wait_exit(&mut server.child, Duration::from_secs(15));
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
}

#[test]
fn up_rejects_an_invalid_configuration_before_touching_anything() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data_dir = tmp.path().join("never-created");
    let output = cairn()
        .args(["up", "--listen", "not-an-address", "--data-dir"])
        .arg(&data_dir)
        .output()
        .expect("run cairn");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("listen"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one-line error: {stderr}");
    assert!(
        !data_dir.exists(),
        "nothing is created for a bad configuration"
    );
}

#[test]
fn up_reports_a_taken_port_clearly() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr");
    let tmp = tempfile::tempdir().expect("tempdir");
    let output = cairn()
        .args(["up", "--listen", &addr.to_string(), "--data-dir"])
        .arg(tmp.path())
        .output()
        .expect("run cairn");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("binding {addr}")), "{stderr}");
}

#[test]
fn config_show_prints_the_effective_layered_configuration() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("cairn.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:4100\"\n[log]\nformat = \"json\"\n",
    )
    .expect("write");
    let output = cairn()
        .args(["config", "show", "--config"])
        .arg(&file)
        .args(["--data-dir", "/srv/cairn"])
        .env("CAIRN_LOG__FILTER", "warn")
        .output()
        .expect("run cairn");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let shown = String::from_utf8(output.stdout).expect("utf8");
    assert!(shown.contains("listen = \"127.0.0.1:4100\""), "{shown}");
    assert!(shown.contains("data_dir = \"/srv/cairn\""), "{shown}");
    assert!(shown.contains("format = \"json\""), "{shown}");
    assert!(shown.contains("filter = \"warn\""), "{shown}");
}

#[test]
fn a_request_whose_body_never_arrives_times_out_with_json() {
    use std::io::Write;
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut child = cairn()
        .args(["up", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(tmp.path().join("data"))
        .env("CAIRN_REQUEST_TIMEOUT_SECONDS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn cairn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read stdout");
    let server = Server {
        base: line.trim().trim_start_matches("listening on ").to_owned(),
        child,
    };
    let addr = server.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    // Promise 100 bytes, send 10, then stall.
    write!(
        stream,
        "POST /api/v1/log/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"kind\": "
    )
    .expect("write");
    let started = Instant::now();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "answered in time"
    );
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains("\"code\":408"), "{response}");
}
