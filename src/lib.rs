//! Zhihui (智汇): a knowledge-sharing and achievement repository for
//! innovation studio alliances.
//!
//! The domain modules know nothing of HTTP or templates: `content` (the
//! content contract: front matter, validation, Markdown, folder walking),
//! `search` (analysis, the index and its sync, queries, facets, snippets,
//! visibility), `auth` (viewers and roles, accounts, API tokens, sessions,
//! sign-in limits), `publish` (writes on a viewer's behalf, review, history
//! and audit), `requests` (adoption requests, 申请对接), `feeds` (Atom
//! feeds), `exhibit` (exhibits' builder edits, boards, QR codes and
//! offline copy), `problems` (the 劳模帮帮团 problem board and its
//! state rules), `stats` (figures over a search's matches, the annual
//! report, CSV and XLSX), `atomic` (crash-safe file writes) and `watch` (applies edits
//! made to the files to the index while the server runs). `web` is the only
//! place with routes and the only one that imports axum; `cli` the only
//! place with commands.

pub mod atomic;
pub mod auth;
pub mod cli;
pub mod content;
pub mod exhibit;
pub mod feeds;
pub mod patents;
pub mod problems;
pub mod publish;
pub mod requests;
pub mod search;
pub mod stats;
pub mod studios;
pub mod watch;
pub mod web;
