//! The stylesheet and scripts, compiled into the binary: pages need no
//! file beside it and ask no other server for anything.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const STYLE: &str = include_str!("static/style.css");
const PAGE_SCRIPT: &str = include_str!("static/page.js");
const APP_SCRIPT: &str = include_str!("static/app.js");

/// `GET /static/{file}`.
pub(super) async fn serve(Path(file): Path<String>) -> Response {
    let (body, media_type) = match file.as_str() {
        "style.css" => (STYLE, "text/css; charset=utf-8"),
        "page.js" => (PAGE_SCRIPT, "text/javascript; charset=utf-8"),
        "app.js" => (APP_SCRIPT, "text/javascript; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, media_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}
