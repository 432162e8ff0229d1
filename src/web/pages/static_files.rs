//! The stylesheet and script under `/static/`, compiled into the binary.

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::web::AppError;

const STYLE: &str = include_str!("../../../templates/static/style.css");
const STATS_STYLE: &str = include_str!("../../../templates/static/stats.css");
const PROBLEMS_STYLE: &str = include_str!("../../../templates/static/problems.css");
const SCRIPT: &str = include_str!("../../../templates/static/app.js");
const EXHIBIT: &str = crate::exhibit::export::STYLE;
const EXHIBIT_BUILDER: &str = include_str!("../../../templates/static/exhibit-builder.js");
const EXHIBIT_LANDSCAPE: &str = include_str!("../../../templates/static/exhibit-landscape.css");

pub async fn static_file(Path(file): Path<String>) -> Result<Response, AppError> {
    let (body, content_type) = match file.as_str() {
        "style.css" => (STYLE, "text/css; charset=utf-8"),
        "stats.css" => (STATS_STYLE, "text/css; charset=utf-8"),
        "problems.css" => (PROBLEMS_STYLE, "text/css; charset=utf-8"),
        "app.js" => (SCRIPT, "text/javascript; charset=utf-8"),
        "exhibit.css" => (EXHIBIT, "text/css; charset=utf-8"),
        "exhibit-builder.js" => (EXHIBIT_BUILDER, "text/javascript; charset=utf-8"),
        "exhibit-landscape.css" => (EXHIBIT_LANDSCAPE, "text/css; charset=utf-8"),
        _ => return Err(AppError::NotFound),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response())
}
