//! Per-client rate limits on the public endpoints: a token bucket per address, one for sending (new requests,
//! cancels, callbacks) and a more generous one for reading status. Limits come from the configuration.

use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::Mutex,
    time::Instant,
};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{AppState, Config};

pub struct Limits {
    send: Bucket,
    read: Bucket,
    trust_forwarded_for: bool,
}

struct Bucket {
    per_minute: f64,
    clients: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl Bucket {
    fn new(per_minute: u32) -> Bucket {
        Bucket { per_minute: f64::from(per_minute.max(1)), clients: Mutex::new(HashMap::new()) }
    }

    /// Takes one token; on refusal, the seconds until the next one.
    fn take(&self, client: IpAddr) -> Result<(), u64> {
        let now = Instant::now();
        let mut clients = self.clients.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if clients.len() > 50_000 {
            // Forget clients whose buckets have refilled; they would start full anyway.
            clients.retain(|_, (_, last)| now.duration_since(*last).as_secs_f64() < 60.0);
        }
        let (tokens, last) = clients.entry(client).or_insert((self.per_minute, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.per_minute / 60.0).min(self.per_minute);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) * 60.0 / self.per_minute).ceil() as u64)
        }
    }
}

impl Limits {
    pub fn new(config: &Config) -> Limits {
        Limits {
            send: Bucket::new(config.send_limit_per_minute),
            read: Bucket::new(config.read_limit_per_minute),
            trust_forwarded_for: config.trust_forwarded_for,
        }
    }

    fn bucket(&self, method: &Method, path: &str) -> Option<&Bucket> {
        let status_page = path.starts_with("/r/") || path.starts_with("/api/v1/requests/");
        match *method {
            // Logging in counts as sending: it is where passwords are guessed.
            Method::POST
                if path == "/request" || path == "/api/v1/requests" || path.starts_with("/r/") || path == "/login" =>
            {
                Some(&self.send)
            }
            Method::GET if status_page => Some(&self.read),
            _ => None,
        }
    }

    fn client(&self, request: &Request) -> Option<IpAddr> {
        let forwarded = self
            .trust_forwarded_for
            .then(|| request.headers().get("x-forwarded-for")?.to_str().ok()?.split(',').next()?.trim().parse().ok())
            .flatten();
        forwarded.or_else(|| request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()))
    }
}

pub async fn enforce(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limits = &state.limits;
    if let (Some(bucket), Some(client)) =
        (limits.bucket(request.method(), request.uri().path()), limits.client(&request))
        && let Err(wait) = bucket.take(client)
    {
        let api = request.uri().path().starts_with("/api/");
        let message = "Too many requests from your connection. Wait a minute and try again, or call us.";
        let mut response = if api {
            (
                StatusCode::TOO_MANY_REQUESTS,
                axum::Json(serde_json::json!({"error": "rate_limited", "message": message})),
            )
                .into_response()
        } else {
            crate::routes::problem_page(StatusCode::TOO_MANY_REQUESTS, "Please wait a moment", message)
        };
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return response;
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_limit_then_refuses() {
        let bucket = Bucket::new(3);
        let client: IpAddr = [127, 0, 0, 1].into();
        assert!((0..3).all(|_| bucket.take(client).is_ok()));
        assert_eq!(bucket.take(client), Err(20));
        // Another client has its own bucket.
        assert!(bucket.take([127, 0, 0, 2].into()).is_ok());
    }
}
