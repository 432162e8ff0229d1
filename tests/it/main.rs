//! Integration tests: the real `zhihui` binary over fixture content
//! folders, driven over HTTP (and in headless Chromium where available).

mod browser;
mod cli;
mod hardening;
mod pages;
mod publish;
mod search;
mod support;
