//! Every refusal on an API path is JSON in the documented shape
//! `{"error":{"code","message"}}`, whatever refused it: a path parameter
//! that does not parse, a path that is not UTF-8, a method the path does not
//! have, a body too large, not JSON, or of the wrong shape, a path nobody
//! serves. A page URL nobody serves gets an HTML 404 page.

use orgsso_test_support::{error_of, StatusCode, TestApp};
use reqwest::Method;

fn content_type(res: &reqwest::Response) -> String {
    res.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The error of a JSON error response, after checking the content type.
async fn api_error(res: reqwest::Response) -> (StatusCode, serde_json::Value) {
    assert!(
        content_type(&res).starts_with("application/json"),
        "{} answered {} with {:?}",
        res.url(),
        res.status(),
        content_type(&res)
    );
    let (status, error) = error_of(res).await;
    assert!(error["code"].is_string(), "{error}");
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{error}"
    );
    (status, error)
}

#[tokio::test]
async fn a_path_parameter_that_does_not_parse_is_a_json_400() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    for (method, path) in [
        (Method::DELETE, "/api/me/emails/not-a-number"),
        (
            Method::POST,
            "/api/me/emails/99999999999999999999999/primary",
        ),
        (Method::DELETE, "/api/me/tokens/1.5"),
    ] {
        let (status, error) = api_error(alice.send(method.clone(), path).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {path}");
        assert_eq!(error["code"], "bad_request", "{method} {path}");
    }
}

#[tokio::test]
async fn a_path_that_is_not_utf8_is_a_json_400() {
    let app = TestApp::spawn().await;
    for path in ["/api/users/%FF%FE", "/api/orgs/%C3%28/members"] {
        let (status, error) = api_error(app.client().get(path).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(error["code"], "bad_request", "{path}");
    }
}

#[tokio::test]
async fn a_method_the_path_lacks_is_a_json_405_naming_the_allowed_ones() {
    let app = TestApp::spawn().await;
    let res = app.client().send(Method::PUT, "/api/me").await;
    let allow = res
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (status, error) = api_error(res).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error["code"], "method_not_allowed");
    assert!(
        allow.contains("GET") && allow.contains("PATCH"),
        "Allow: {allow:?}"
    );
}

#[tokio::test]
async fn an_oversized_body_is_a_json_413() {
    let app = TestApp::spawn().await;
    let huge = format!(
        r#"{{"login":"alice","password":"{}"}}"#,
        "x".repeat(3 << 20)
    );
    // Announced by its length, and sent in chunks of unknown length.
    let announced = app
        .client()
        .send_raw(Method::POST, "/api/login", "application/json", huge.clone())
        .await;
    let (status, error) = api_error(announced).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error["code"], "payload_too_large");
    let (status, body) = chunked_post(&app.base_url, "/api/login", huge).await;
    assert_eq!(status, 413, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large", "{body}");
}

/// POSTs `body` as JSON in 64 KiB chunks of `Transfer-Encoding: chunked`, so
/// the server learns its size only while reading; returns status and body.
async fn chunked_post(base_url: &str, path: &str, body: String) -> (u16, String) {
    use std::io::{Read, Write};
    let addr = base_url.trim_start_matches("http://").to_owned();
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut conn = std::net::TcpStream::connect(&addr).unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
        );
        conn.write_all(head.as_bytes()).unwrap();
        for chunk in body.as_bytes().chunks(64 << 10) {
            // The server may answer and close before the whole body is sent.
            if conn.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).is_err()
                || conn.write_all(chunk).is_err()
                || conn.write_all(b"\r\n").is_err()
            {
                break;
            }
        }
        let _ = conn.write_all(b"0\r\n\r\n");
        let mut response = Vec::new();
        let _ = conn.read_to_end(&mut response);
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = text.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
        (status, body)
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_body_that_is_not_json_of_the_right_shape_is_refused_in_json() {
    let app = TestApp::spawn().await;
    let client = app.client();
    for (content_type, body, expected, code) in [
        (
            "application/json",
            "{\"login\":",
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "application/json",
            "{\"login\":\"alice\"}",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            "application/json",
            "{\"login\":1,\"password\":2}",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            "text/plain",
            "{\"login\":\"a\",\"password\":\"b\"}",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
    ] {
        let res = client
            .send_raw(Method::POST, "/api/login", content_type, body)
            .await;
        let (status, error) = api_error(res).await;
        assert_eq!(
            (status, error["code"].as_str()),
            (expected, Some(code)),
            "{content_type} {body}"
        );
    }
}

#[tokio::test]
async fn an_unknown_api_path_is_a_json_404() {
    let app = TestApp::spawn().await;
    for (method, path) in [
        (Method::GET, "/api/no/such/thing"),
        (Method::POST, "/api"),
        (Method::DELETE, "/api/"),
    ] {
        let (status, error) = api_error(app.client().send(method.clone(), path).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(error["code"], "not_found", "{method} {path}");
        assert!(!error["message"].to_string().contains('<'), "{error}");
    }
}

#[tokio::test]
async fn an_unknown_page_is_an_html_404_page() {
    let app = TestApp::spawn().await;
    for path in ["/no/such/page/at/all", "/organizations/acme/no-such-tab/x"] {
        let res = app.client().get(path).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(
            content_type(&res).starts_with("text/html"),
            "{path}: {:?}",
            content_type(&res)
        );
        let page = res.text().await.unwrap();
        assert!(
            page.contains("<html") && page.contains("404"),
            "{path}: {page}"
        );
    }
}

#[tokio::test]
async fn a_method_a_page_lacks_is_an_html_405_page() {
    let app = TestApp::spawn().await;
    let res = app.client().send(Method::PUT, "/login").await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(res.headers().contains_key("allow"));
    assert!(
        content_type(&res).starts_with("text/html"),
        "{:?}",
        content_type(&res)
    );
    assert!(res.text().await.unwrap().contains("405"));
}

#[tokio::test]
async fn json_errors_keep_their_headers() {
    let app = TestApp::spawn().await;
    let res = app.client().get("/api/me").await;
    assert!(res.headers().contains_key("www-authenticate"));
    let (status, error) = api_error(res).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["code"], "login_required");
}
