//! The server's own accept loop, in place of `axum::serve`, for what that one cannot do: close a client that
//! is slow to send its request head (`--header-read-timeout`), close a kept-alive connection left idle
//! (`--idle-timeout`, apart from the head timeout, so it can outlast a load balancer's), and, when the server
//! stops, close idle connections at once while answers in flight finish.
//!
//! Each connection is watched through its bytes and its requests: a request is in flight from the moment hyper
//! has its head until its answer's body is dropped (sent, or abandoned by a client that left). With nothing in
//! flight, the first byte read starts the head's clock; no byte at all, the idle clock. A fresh connection owes
//! its first head within the head timeout.

use std::{
    convert::Infallible,
    io,
    net::SocketAddr,
    pin::{Pin, pin},
    sync::{Arc, Mutex, PoisonError},
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    Router,
    body::{Body, Bytes, HttpBody},
    extract::ConnectInfo,
    http::Request,
};
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::rt::TokioIo;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::Notify,
    time::{Instant, sleep_until},
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tower::ServiceExt;

/// How long a connection may be slow or silent.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// From a request head's first byte (or from connecting) to its last.
    pub header_read: Duration,
    /// With no request in flight and nothing sent.
    pub idle: Duration,
}

/// How long a connection asked to close (idle, or the server stopping) has to say goodbye before it is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Accepts connections until `closing` is cancelled, each served in a task of `connections`. Returns once it
/// has stopped accepting (the listener is dropped with it).
pub async fn accept(
    listener: TcpListener,
    router: Router,
    timeouts: Timeouts,
    closing: CancellationToken,
    connections: TaskTracker,
) {
    // HTTP/1.1 only: browsers speak HTTP/2 over TLS, which a proxy in front ends. Telling the two apart by the
    // first bytes would also make hyper read a head twice, into a buffer twice as large: 8 KiB more per open feed.
    let mut builder = http1::Builder::new();
    // Our own clock closes slow heads (hyper's would also cut idle keep-alive connections at the same moment).
    builder.header_read_timeout(None).half_close(false);
    let builder = Arc::new(builder);
    loop {
        let accepted = tokio::select! {
            biased;
            () = closing.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            // The client gave up before we took it: nothing to do.
            Err(e) if is_connection_error(&e) => continue,
            // Out of file descriptors or the like: wait a little rather than spin.
            Err(e) => {
                tracing::error!(error = %e, "accepting a connection failed");
                tokio::select! {
                    () = closing.cancelled() => break,
                    () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                }
            }
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set");
        }
        connections.spawn(serve_connection(stream, peer, router.clone(), builder.clone(), timeouts, closing.clone()));
    }
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    )
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    builder: Arc<http1::Builder>,
    timeouts: Timeouts,
    closing: CancellationToken,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched { inner: stream, activity: activity.clone() });
    let service = Serve { router, activity: activity.clone(), peer };
    let mut conn = pin!(builder.serve_connection(io, service));
    let mut asked_to_close = false;
    let mut drop_at: Option<Instant> = None;
    loop {
        // Once asked to close, idleness is what we are waiting out: only a slow head still counts.
        let due = activity.due(timeouts).filter(|(_, why)| !(asked_to_close && *why == Due::Idle));
        let changed = activity.changed.notified();
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = closing.cancelled(), if !asked_to_close => {
                conn.as_mut().graceful_shutdown();
                asked_to_close = true;
                // Nothing in flight: no reason to wait for a head that may never come.
                if activity.nothing_in_flight() {
                    drop_at = Some(Instant::now() + CLOSE_GRACE);
                }
            }
            () = changed => {}
            () = sleep_until(due.map_or_else(Instant::now, |(at, _)| at)), if due.is_some() => {
                // Check again: a request may have started at this very moment.
                match activity.due(timeouts) {
                    Some((at, Due::Head)) if at <= Instant::now() => {
                        tracing::debug!("closed a connection whose request head was too slow");
                        return;
                    }
                    Some((at, Due::Idle)) if at <= Instant::now() && !asked_to_close => {
                        conn.as_mut().graceful_shutdown();
                        asked_to_close = true;
                        drop_at = Some(Instant::now() + CLOSE_GRACE);
                    }
                    _ => {}
                }
            }
            () = sleep_until(drop_at.unwrap_or_else(Instant::now)), if drop_at.is_some() => return,
        }
    }
}

/// One connection's requests, each answered by the router.
struct Serve {
    router: Router,
    activity: Arc<Activity>,
    peer: SocketAddr,
}

impl hyper::service::Service<Request<Incoming>> for Serve {
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = futures::future::BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn call(&self, mut request: Request<Incoming>) -> Self::Future {
        let started = InFlight::start(&self.activity);
        // What `into_make_service_with_connect_info` gave: the rate limits read it.
        request.extensions_mut().insert(ConnectInfo(self.peer));
        let router = self.router.clone();
        // Boxed: hyper keeps the future in each connection, and the router's is kilobytes.
        Box::pin(async move {
            let response = router.oneshot(request.map(Body::new)).await?;
            Ok(response.map(|body| Body::new(Answer { body, _in_flight: started })))
        })
    }
}

/// What a connection is doing, as its watcher sees it.
struct Activity {
    state: Mutex<State>,
    changed: Notify,
}

struct State {
    in_flight: usize,
    /// When the next request head began to arrive (or the connection was made), while nothing is in flight.
    head_since: Option<Instant>,
    /// When the last request in flight finished.
    idle_since: Instant,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Due {
    Head,
    Idle,
}

impl Activity {
    fn new() -> Activity {
        let now = Instant::now();
        Activity {
            state: Mutex::new(State { in_flight: 0, head_since: Some(now), idle_since: now }),
            changed: Notify::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// When the connection is due to close, and why; `None` while a request is in flight (its body has its own
    /// timeout, and a live feed is meant to last).
    fn due(&self, timeouts: Timeouts) -> Option<(Instant, Due)> {
        let state = self.state();
        if state.in_flight > 0 {
            return None;
        }
        Some(match state.head_since {
            Some(since) => (since + timeouts.header_read, Due::Head),
            None => (state.idle_since + timeouts.idle, Due::Idle),
        })
    }

    fn nothing_in_flight(&self) -> bool {
        self.state().in_flight == 0
    }

    fn read_some(&self) {
        let mut state = self.state();
        if state.in_flight == 0 && state.head_since.is_none() {
            state.head_since = Some(Instant::now());
            drop(state);
            self.changed.notify_one();
        }
    }
}

/// A request in flight, until its answer's body is dropped.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: &Arc<Activity>) -> InFlight {
        {
            let mut state = activity.state();
            state.in_flight += 1;
            state.head_since = None;
        }
        activity.changed.notify_one();
        InFlight(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        {
            let mut state = self.0.state();
            state.in_flight = state.in_flight.saturating_sub(1);
            if state.in_flight == 0 {
                state.idle_since = Instant::now();
            }
        }
        self.0.changed.notify_one();
    }
}

/// An answer's body, holding its request in flight until it is sent or dropped.
struct Answer {
    body: Body,
    _in_flight: InFlight,
}

impl HttpBody for Answer {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// The socket, telling its connection's watcher when bytes arrive.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.activity.read_some();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
