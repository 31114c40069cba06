//! Resource limits over real HTTP: bounded password hashing, metrics that no request can
//! grow, slow clients cut by the header, body and idle timeouts, a bound on connections,
//! a shutdown deadline, and throttled verification mail. Timeouts are set tiny through
//! the configuration, so nothing here waits long.

use orgsso_test_support::{error_of, json_body, StatusCode, TestApp};
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A raw connection to the app, for clients no HTTP library would imitate.
fn connect(app: &TestApp) -> TcpStream {
    let addr = app.base_url.trim_start_matches("http://");
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_nodelay(true).unwrap();
    stream
}

/// Reads until the server closes the connection; `None` if it is still open after `limit`.
/// Returns what was read and when the connection ended.
async fn wait_for_close(mut stream: TcpStream, limit: Duration) -> Option<(Duration, String)> {
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while started.elapsed() < limit {
            stream
                .set_read_timeout(Some(Duration::from_millis(100)))
                .unwrap();
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut =>
                {
                    continue
                }
                Err(_) => break, // reset: closed too
            }
        }
        (started.elapsed() < limit).then(|| {
            (
                started.elapsed(),
                String::from_utf8_lossy(&seen).into_owned(),
            )
        })
    })
    .await
    .unwrap()
}

/// Sends `head`, then the body one byte every 50 ms from another thread, until the server
/// stops taking it or 200 bytes went out. Returns a handle to read the answer on.
fn trickle(app: &TestApp, head: &str) -> TcpStream {
    let mut stream = connect(app);
    stream.write_all(head.as_bytes()).unwrap();
    let mut writer = stream.try_clone().unwrap();
    std::thread::spawn(move || {
        for _ in 0..200 {
            if writer.write_all(b" ").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    stream
}

const TRICKLED_LOGIN: &str = "POST /api/login HTTP/1.1\r\nHost: localhost\r\n\
     Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n";

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /metrics:\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_logins_and_signups_beyond_the_hashing_queue_is_answered_busy() {
    let app = TestApp::spawn_configured(|c| {
        c.password_hash_workers = Some(1);
        c.password_hash_queue = 2;
    })
    .await;
    let requests = (0..40).map(|i| {
        let client = app.client();
        async move {
            let res = if i % 4 == 0 {
                client
                    .post_json(
                        "/api/signup",
                        json!({"username": format!("new{i}"), "email": format!("new{i}@example.com"), "password": "correct horse battery"}),
                    )
                    .await
            } else {
                client
                    .post_json(
                        "/api/login",
                        json!({"login": format!("nobody{i}"), "password": "guess guess"}),
                    )
                    .await
            };
            let retry_after = res
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            let status = res.status();
            let body = json_body(res).await;
            (status, retry_after, body)
        }
    });
    let answers = futures_join_all(requests.collect()).await;
    let mut busy = 0;
    for (status, retry_after, body) in &answers {
        match *status {
            StatusCode::SERVICE_UNAVAILABLE => {
                busy += 1;
                assert_eq!(body["error"]["code"], "busy", "{body}");
                let wait: u64 = retry_after
                    .as_deref()
                    .expect("Retry-After")
                    .parse()
                    .unwrap();
                assert!((1..=60).contains(&wait), "{wait}");
            }
            StatusCode::UNAUTHORIZED | StatusCode::CREATED => {}
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!(
        busy > 0,
        "40 hashes at once on 1 worker and 2 queue slots: none refused"
    );
    assert!(busy < 40, "some were served");

    let metrics = app.client().get("/metrics").await.text().await.unwrap();
    assert_eq!(metric(&metrics, "orgsso_password_hashes_peak_running"), 1.0);
    assert_eq!(
        metric(&metrics, "orgsso_password_hashes_refused_total"),
        f64::from(busy)
    );
    assert_eq!(metric(&metrics, "orgsso_password_hashes_running"), 0.0);
    assert_eq!(metric(&metrics, "orgsso_password_hashes_queued"), 0.0);

    // Once the burst is over, hashing serves again.
    let res = app
        .client()
        .post_json(
            "/api/login",
            json!({"login": "nobody", "password": "guess guess"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

/// `join_all` without a futures dependency: each request on its own task.
async fn futures_join_all<F>(futures: Vec<F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}

#[tokio::test]
async fn invented_methods_and_unknown_paths_add_no_metrics_series() {
    let app = TestApp::spawn().await;
    let client = app.client();
    let series = |text: &str| text.lines().filter(|l| !l.starts_with('#')).count();
    // Every series the requests below can touch exists once this has run.
    client.get("/healthz").await;
    client.get("/no-such-page-0").await;
    let odd = reqwest::Method::from_bytes(b"FROBNICATE0").unwrap();
    client.send(odd.clone(), "/healthz").await;
    client.send(odd, "/no-such-page-0").await;
    client.get("/metrics").await;
    let before = series(&client.get("/metrics").await.text().await.unwrap());
    for i in 1..30 {
        let odd = reqwest::Method::from_bytes(format!("FROBNICATE{i}").as_bytes()).unwrap();
        client.send(odd.clone(), "/healthz").await;
        client.send(odd, &format!("/no-such-page-{i}")).await;
        client.get(&format!("/no-such-page-{i}")).await;
    }
    let after = client.get("/metrics").await.text().await.unwrap();
    assert!(!after.contains("FROBNICATE"), "{after}");
    assert!(!after.contains("no-such-page"), "{after}");
    assert!(after.contains("method=\"other\""), "{after}");
    assert_eq!(series(&after), before, "{after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_header_is_cut_at_the_header_timeout() {
    let app =
        TestApp::spawn_configured(|c| c.header_read_timeout = Duration::from_millis(300)).await;
    let mut half = connect(&app);
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
        .unwrap();
    let (after, _) = wait_for_close(half, Duration::from_secs(3))
        .await
        .expect("a half-sent header is still held after 3 s");
    assert!(after >= Duration::from_millis(250), "{after:?}");
    // A connection that never sends anything goes the same way.
    let silent = connect(&app);
    assert!(wait_for_close(silent, Duration::from_secs(3))
        .await
        .is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_body_is_answered_408_at_the_body_timeout() {
    let app = TestApp::spawn_configured(|c| {
        c.request_body_timeout = Duration::from_millis(500);
    })
    .await;
    let stream = trickle(&app, TRICKLED_LOGIN);
    let (after, answer) = wait_for_close(stream, Duration::from_secs(3))
        .await
        .expect("a body trickled at 20 bytes/s is still read after 3 s");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(after >= Duration::from_millis(450), "{after:?}");
    // The server is fine.
    assert_eq!(app.client().get("/healthz").await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_silent_mid_request_is_cut_after_the_idle_timeout() {
    let app = TestApp::spawn_configured(|c| {
        c.idle_timeout = Duration::from_millis(300);
    })
    .await;
    // The headers promise a body that never comes; the header and body timeouts are long.
    let mut stalled = connect(&app);
    stalled.write_all(TRICKLED_LOGIN.as_bytes()).unwrap();
    let (after, _) = wait_for_close(stalled, Duration::from_secs(3))
        .await
        .expect("a silent connection is still held after 3 s");
    assert!(after >= Duration::from_millis(250), "{after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_bound_wait_until_one_is_free() {
    let app = TestApp::spawn_configured(|c| c.max_connections = 2).await;
    let holders = [connect(&app), connect(&app)];
    // Both are accepted and held (the header timeout is 10 s); a third client waits.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let url = format!("{}/healthz", app.base_url);
    assert!(
        client.get(&url).send().await.is_err(),
        "answered beyond the connection bound"
    );
    drop(holders);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    assert_eq!(
        client.get(&url).send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_cuts_a_trickling_request_at_the_deadline() {
    let mut app = TestApp::spawn_configured(|c| {
        c.shutdown_timeout = Duration::from_millis(300);
    })
    .await;
    let stream = trickle(&app, TRICKLED_LOGIN);
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.begin_shutdown();
    let (after, _) = wait_for_close(stream, Duration::from_secs(3))
        .await
        .expect("a trickling request kept the server 3 s past the signal");
    assert!(after >= Duration::from_millis(250), "{after:?}");
}

#[tokio::test]
async fn verification_mail_is_throttled_per_address_with_retry_after() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let res = alice
        .post_json("/api/me/emails", json!({"email": "late@example.org"}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = json_body(res).await["id"].as_i64().unwrap();
    let resend = format!("/api/me/emails/{id}/resend");
    // One resend right away: the first link may have been lost.
    assert_eq!(
        alice.post_json(&resend, json!({})).await.status(),
        StatusCode::NO_CONTENT
    );
    for _ in 0..13 {
        let res = alice.post_json(&resend, json!({})).await;
        let wait: i64 = res
            .headers()
            .get("retry-after")
            .expect("Retry-After")
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        let (status, error) = error_of(res).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(error["code"], "too_many_mails");
    }
    assert_eq!(app.mails_to("late@example.org").await.len(), 2);
}

#[tokio::test]
async fn an_account_cannot_mail_many_new_addresses_at_once() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await; // the sign-up mail counts
    let mut statuses = Vec::new();
    for i in 0..6 {
        let res = alice
            .post_json(
                "/api/me/emails",
                json!({"email": format!("a{i}@example.org")}),
            )
            .await;
        statuses.push(res.status());
    }
    assert_eq!(
        statuses,
        [
            StatusCode::CREATED,
            StatusCode::CREATED,
            StatusCode::CREATED,
            StatusCode::CREATED,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    // The refused address was not added, so it can be added later.
    assert!(app.mails_to("a4@example.org").await.is_empty());
}
