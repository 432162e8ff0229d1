//! Zhihui (智汇): a knowledge-sharing and achievement repository for
//! innovation studio alliances.
//!
//! Domain modules (`content`, `search`, `auth`) know nothing of HTTP or
//! templates; `web` is the only place with routes, `cli` the only place
//! with commands.

pub mod atomic;
pub mod auth;
pub mod cli;
pub mod content;
pub mod publish;
pub mod search;
pub mod web;
