//! The HTTP/1.1 server loop, with the limits a public server needs against slow and
//! hostile clients: a bound on connections, a deadline for a request's headers and one
//! for its body, an idle timeout, and a deadline for graceful shutdown after which
//! in-flight requests are cut. `axum::serve` has none of these.

use axum::extract::ConnectInfo;
use axum::http::{header, HeaderValue, Request, Response, StatusCode};
use axum::Router;
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};
use tower::ServiceExt as _;

#[derive(Clone, Copy, Debug)]
pub struct ServerLimits {
    pub header_read_timeout: Duration,
    pub request_body_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
    pub shutdown_timeout: Duration,
}

/// Serves `router` on `listener` until `shutdown` resolves; then stops accepting, lets
/// in-flight requests finish for up to `shutdown_timeout`, and cuts what is left.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (closing, close_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        // Wait for a free slot before accepting: past the bound, clients wait in the
        // kernel's backlog instead of taking a descriptor each.
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break, // never closed
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of descriptors, or a connection reset before it was accepted.
                    tracing::warn!(error = %err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        while connections.try_join_next().is_some() {}
        connections.spawn(connection(
            stream,
            peer,
            router.clone(),
            limits,
            close_rx.clone(),
            slot,
        ));
    }
    drop(listener);
    let _ = closing.send(true);
    let drained = tokio::time::timeout(limits.shutdown_timeout, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            connections = connections.len(),
            deadline_s = limits.shutdown_timeout.as_secs_f64(),
            "shutdown deadline passed; cutting the remaining connections"
        );
        connections.shutdown().await;
    }
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: ServerLimits,
    mut closing: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let activity = Activity::new();
    let io = TokioIo::new(Watched {
        inner: stream,
        activity: activity.clone(),
    });
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let router = router.clone();
        async move {
            Ok::<_, std::convert::Infallible>(
                handle(router, request, peer, limits.request_body_timeout).await,
            )
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);

    let mut closing_gracefully = *closing.borrow();
    if closing_gracefully {
        conn.as_mut().graceful_shutdown();
    }
    let idle_check = tokio::time::sleep(limits.idle_timeout);
    tokio::pin!(idle_check);
    let mut asked_to_close_when_idle = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(error = %err, %peer, "connection ended with an error");
                }
                return;
            }
            changed = closing.changed(), if !closing_gracefully => {
                // A dropped sender also means the server is going away.
                let _ = changed;
                closing_gracefully = true;
                conn.as_mut().graceful_shutdown();
            }
            () = &mut idle_check => {
                let due = activity.last() + limits.idle_timeout;
                if Instant::now() < due {
                    idle_check.as_mut().reset(due);
                } else if !asked_to_close_when_idle {
                    // Closes at once if no request is in flight, else after its response.
                    asked_to_close_when_idle = true;
                    conn.as_mut().graceful_shutdown();
                    idle_check.as_mut().reset(Instant::now() + limits.idle_timeout);
                } else {
                    tracing::debug!(%peer, "cutting a connection idle for twice the idle timeout");
                    return;
                }
            }
        }
    }
}

async fn handle(
    router: Router,
    request: Request<Incoming>,
    peer: SocketAddr,
    body_timeout: Duration,
) -> Response<axum::body::Body> {
    let timed_out = Arc::new(AtomicBool::new(false));
    let mut request = request.map(|body| {
        axum::body::Body::new(DeadlineBody {
            inner: body,
            deadline: Box::pin(tokio::time::sleep(body_timeout)),
            timed_out: timed_out.clone(),
        })
    });
    request.extensions_mut().insert(ConnectInfo(peer));
    let response = match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    if timed_out.load(Ordering::Relaxed) {
        // Whatever the handler made of the broken body, the truth is a timeout; the rest
        // of the body will not be read, so the connection cannot be reused.
        let mut timeout = Response::new(axum::body::Body::from(
            "{\"error\":{\"code\":\"request_timeout\",\"message\":\"the request body was not received in time\"}}",
        ));
        *timeout.status_mut() = StatusCode::REQUEST_TIMEOUT;
        let headers = timeout.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        return timeout;
    }
    response
}

/// A request body that fails once its deadline passes, however steadily it trickles.
struct DeadlineBody {
    inner: Incoming,
    deadline: Pin<Box<Sleep>>,
    timed_out: Arc<AtomicBool>,
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if this.inner.is_end_stream() {
            return Poll::Ready(None);
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            this.timed_out.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(Box::new(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body was not received in time",
            )))));
        }
        Pin::new(&mut this.inner)
            .poll_frame(cx)
            .map_err(|e| Box::new(e) as Self::Error)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// When a connection last read or wrote a byte.
#[derive(Clone)]
struct Activity {
    start: Instant,
    millis: Arc<AtomicU64>,
}

impl Activity {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            millis: Arc::default(),
        }
    }

    fn touch(&self) {
        let millis = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.millis.store(millis, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.start + Duration::from_millis(self.millis.load(Ordering::Relaxed))
    }
}

/// A stream that records its activity.
struct Watched {
    inner: TcpStream,
    activity: Activity,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
