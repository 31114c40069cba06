//! The server answers health, readiness, metrics and the OpenAPI document.

use orgsso_test_support::{json_body, StatusCode, TestApp};

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = TestApp::spawn().await;
    let client = app.client();
    assert_eq!(client.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(client.get("/readyz").await.status(), StatusCode::OK);
    let metrics = client.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("orgsso_http_requests_total"), "{metrics}");
    assert!(metrics.contains("route=\"/readyz\""), "{metrics}");
}

#[tokio::test]
async fn responses_carry_a_request_id() {
    let app = TestApp::spawn().await;
    let res = app.client().get("/healthz").await;
    assert!(res.headers().get("x-request-id").is_some());
}

#[tokio::test]
async fn openapi_document_lists_the_api() {
    let app = TestApp::spawn().await;
    let doc = json_body(app.client().get("/api/openapi.json").await).await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/orgs/{org}/members"]["post"].is_object());
}
