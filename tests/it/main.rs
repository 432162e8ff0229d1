//! Integration tests: the real `zhihui` binary over fixture content
//! folders, driven over HTTP (and in headless Chromium where available).

mod auth;
mod browser;
mod chrome;
mod cli;
mod exhibits;
mod facets;
mod feeds;
mod hardening;
mod joint;
mod pages;
mod problems;
mod props;
mod publish;
mod quality;
mod ranking;
mod recovery;
mod requests;
mod search;
mod security;
mod stats;
mod studios;
mod support;
mod ui;
