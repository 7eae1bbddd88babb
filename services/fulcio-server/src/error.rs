//! The one place where the CA's failures become HTTP responses, as Fulcio's grpc-gateway writes
//! them: `{"code": <gRPC code>, "message": "<fixed text>", "details": []}` with the HTTP status of
//! that gRPC code. Client-facing messages are Fulcio's fixed strings; the detail (which may name a
//! claim or a parse error, never a token) goes to the log only.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Fulcio's client-facing messages (`pkg/server/error.go`).
pub mod messages {
    /// The token could not be verified or mapped to an identity.
    pub const INVALID_IDENTITY_TOKEN: &str = "There was an error processing the identity token";
    /// The CSR did not parse.
    pub const INVALID_CSR: &str = "The certificate signing request could not be parsed";
    /// The public key did not parse.
    pub const INVALID_PUBLIC_KEY: &str =
        "The public key supplied in the request could not be parsed";
    /// The key is too weak or of an unsupported kind.
    pub const INSECURE_PUBLIC_KEY: &str = "The public key supplied in the request is insecure";
    /// The proof of possession or CSR signature did not verify.
    pub const INVALID_SIGNATURE: &str =
        "The signature supplied in the request could not be verified";
    /// The CT log did not return an SCT.
    pub const CT_FAILED: &str = "Error entering certificate in CTL";
    /// The CA backend failed.
    pub const CA_FAILED: &str = "error communicating with CA backend";
    /// The request body is not valid JSON of the request shape.
    pub const MALFORMED_REQUEST: &str = "The request body could not be parsed";
    /// The request body is too large.
    pub const TOO_LARGE: &str = "The request body is too large";
    /// The OIDC provider could not be reached to fetch its keys.
    pub const IDP_UNAVAILABLE: &str = "The identity provider could not be reached; retry later";
}

/// gRPC status codes used by the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrpcCode {
    /// 3 → HTTP 400.
    InvalidArgument = 3,
    /// 7 → HTTP 403.
    PermissionDenied = 7,
    /// 13 → HTTP 500.
    Internal = 13,
    /// 14 → HTTP 503.
    Unavailable = 14,
    /// 16 → HTTP 401.
    Unauthenticated = 16,
    /// 8 → HTTP 429.
    ResourceExhausted = 8,
}

impl GrpcCode {
    /// The HTTP status grpc-gateway maps this code to.
    pub fn http_status(self) -> StatusCode {
        match self {
            GrpcCode::InvalidArgument => StatusCode::BAD_REQUEST,
            GrpcCode::PermissionDenied => StatusCode::FORBIDDEN,
            GrpcCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            GrpcCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            GrpcCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            GrpcCode::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        }
    }
}

/// A failed CA request: a gRPC code, the fixed client message and a detail for the log.
#[derive(Debug)]
pub struct FulcioError {
    /// The gRPC code (decides the HTTP status).
    pub code: GrpcCode,
    /// The fixed message the client sees.
    pub message: &'static str,
    /// What actually went wrong, logged only.
    pub detail: String,
    /// HTTP 413 instead of the code's status (the gateway's body limit).
    pub too_large: bool,
}

impl FulcioError {
    /// A 400 with a fixed message and a logged detail.
    pub fn invalid(message: &'static str, detail: impl std::fmt::Display) -> Self {
        FulcioError {
            code: GrpcCode::InvalidArgument,
            message,
            detail: detail.to_string(),
            too_large: false,
        }
    }

    /// Any code.
    pub fn new(code: GrpcCode, message: &'static str, detail: impl std::fmt::Display) -> Self {
        FulcioError {
            code,
            message,
            detail: detail.to_string(),
            too_large: false,
        }
    }

    /// A 413.
    pub fn too_large(limit: usize) -> Self {
        FulcioError {
            code: GrpcCode::ResourceExhausted,
            message: messages::TOO_LARGE,
            detail: format!("request body exceeds {limit} bytes"),
            too_large: true,
        }
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        if self.too_large {
            StatusCode::PAYLOAD_TOO_LARGE
        } else {
            self.code.http_status()
        }
    }
}

/// The grpc-gateway error body.
#[derive(Debug, Serialize)]
struct GatewayErrorBody {
    code: i32,
    message: &'static str,
    details: [(); 0],
}

impl IntoResponse for FulcioError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(detail = %self.detail, client_message = self.message, "certificate request failed");
        } else {
            tracing::info!(detail = %self.detail, client_message = self.message, "certificate request refused");
        }
        let body = GatewayErrorBody {
            code: self.code as i32,
            message: self.message,
            details: [],
        };
        (status, Json(body)).into_response()
    }
}
