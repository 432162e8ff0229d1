//! The real pages in headless Chromium. Needs Debian's `chromium`: skipped
//! when it is missing, unless ZHIHUI_REQUIRE_BROWSER=1 (set by `.ci/run`),
//! where a missing browser fails the test instead.

use crate::chrome::{Browser, chromium, dump_dom};
use crate::support::{TestApp, enc};

#[test]
fn search_page_renders_results_in_chromium() {
    let Some(browser) = chromium() else { return };
    let app = TestApp::start("basic");
    let dom = dump_dom(browser, &format!("{}/search?q={}", app.base, enc("盾构 管片")));
    assert!(dom.contains("href=\"/records/tunnel-zhang/segment-repair\""), "{dom}");
    assert!(dom.contains("<mark>"), "highlights");
    assert!(dom.contains("class=\"facet\""));
}

#[test]
fn content_script_does_not_run_in_chromium() {
    let Some(browser) = chromium() else { return };
    let app = TestApp::start("basic");
    let dom = dump_dom(browser, &format!("{}/records/bridge-li/hanging-basket", app.base));
    assert!(dom.contains("挂篮悬臂浇筑施工工法"), "{dom}");
    assert!(!dom.contains("pwned"), "script from content ran");
    assert!(!dom.contains("data-xss"), "event handler from content ran");
}

#[test]
fn publishing_form_in_chromium_fill_preview_submit() {
    let Some(binary) = chromium() else { return };
    let (app, _) = crate::publish::app_with_users();
    let mut b = Browser::start(binary);
    b.goto(&format!("{}/login?next=%2Fpublish%3Fkind%3Dmethod", app.base));
    b.eval("document.querySelector('input[name=username]').value = 'pub-tunnel'; document.querySelector('input[name=password]').value = 'password-123'; document.querySelector('form.stack').submit(); true");
    b.wait_for("location.pathname === '/publish' && document.readyState === 'complete' && document.querySelector('#record-form')", "the publishing form after sign-in");
    // The fields of the chosen kind show, the others hide.
    assert_eq!(
        b.eval("document.querySelector('fieldset[data-kind=method]').hidden"),
        false
    );
    assert_eq!(
        b.eval("document.querySelector('fieldset[data-kind=patent]').hidden"),
        true
    );
    b.eval(
        "const f = document.querySelector('#record-form');
         f.title.value = '盾构管片错台浏览器测试工法';
         f.slug.value = 'browser-method';
         f.date.value = '2025-02-03';
         f.tags.value = '盾构，管片';
         f.level.value = 'enterprise';
         f.visibility.value = 'public';
         f.body.value = '## 工艺原理\\n\\n管片错台修复，浏览器里写的正文。';
         f.body.dispatchEvent(new Event('input'));
         true",
    );
    // Live preview by the server's renderer, and the novelty check.
    b.wait_for(
        "document.querySelector('#preview h2') && document.querySelector('#preview h2').id === '工艺原理'",
        "live preview",
    );
    b.wait_for(
        "document.querySelectorAll('#novelty li').length > 0",
        "novelty check results",
    );
    assert!(
        b.eval("document.querySelector('#novelty').innerText")
            .as_str()
            .unwrap()
            .contains("盾构管片错台快速修复工法")
    );
    // A marker on the old document tells when the next page has loaded.
    b.eval("window.oldPage = true; document.querySelector('button[value=preview]').click(); true");
    b.wait_for("!window.oldPage && document.readyState === 'complete' && document.querySelector('#preview h2') && document.querySelector('#record-form').title.value.includes('浏览器')", "server preview");
    b.eval("window.oldPage = true; document.querySelector('button[value=submit]').click(); true");
    b.wait_for(
        "location.pathname.endsWith('/records/tunnel-zhang/browser-method')",
        "the new record page",
    );
    b.wait_for(
        "document.querySelector('h1') && document.querySelector('h1').innerText === '盾构管片错台浏览器测试工法'",
        "record title",
    );
    assert!(
        b.eval("document.querySelector('.review-banner') !== null") == true,
        "marked as pending review"
    );
    assert!(app.content().join("tunnel-zhang/browser-method.md").is_file());
}
