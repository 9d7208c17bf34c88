//! Headless Chromium for the Cockpit's tests, driven over the DevTools protocol: Debian's
//! `/usr/bin/chromium` (or `$CHROME`) with its own profile directory, no network of its own, and
//! the handler polled for as long as the browser lives. A `Tab` offers what the tests do on a
//! page: evaluate, wait for a condition, click and type as a user, resize, screenshot.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use chromiumoxide::{
    Browser, BrowserConfig, Page,
    cdp::browser_protocol::{
        browser::{PermissionDescriptor, PermissionSetting, SetPermissionParams},
        emulation::{MediaFeature, SetDeviceMetricsOverrideParams},
        page::CaptureScreenshotFormat,
    },
    page::ScreenshotParams,
};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

/// How long a test waits for something to show in the page.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// A running headless Chromium.
pub struct Chromium {
    browser: Browser,
    handler: tokio::task::JoinHandle<()>,
}

impl Chromium {
    /// Starts Chromium with its profile in `profile` (each browser needs its own).
    pub async fn launch(profile: &Path) -> Self {
        let executable = std::env::var_os("CHROME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
        let config = BrowserConfig::builder()
            .chrome_executable(executable)
            .new_headless_mode()
            // Tests run as root in CI containers, where Chromium's sandbox cannot start.
            .no_sandbox()
            .user_data_dir(profile)
            .window_size(1280, 800)
            // No emulated viewport of the client's own: it re-applies it as pages change, which
            // would undo `resize`. The window's size is the viewport.
            .viewport(None)
            // The machine's network is closed: nothing may try to reach Google, and the API's
            // certificate is the test installation's own.
            .args([
                "disable-background-networking",
                "disable-component-update",
                "disable-sync",
                "no-first-run",
                "disable-quic",
                "disable-gpu",
                "ignore-certificate-errors",
            ])
            .build()
            .expect("a browser configuration");
        let (browser, mut handler) = Browser::launch(config)
            .await
            .expect("Chromium starts (apt-get install -y chromium)");
        // Keep polling even after an error: newer Chromium sends messages this client cannot
        // parse, which must not stop the connection.
        let handler = tokio::spawn(async move { while handler.next().await.is_some() {} });
        Self { browser, handler }
    }

    /// A new tab at `url`, allowed to use the clipboard.
    pub async fn open(&self, url: &str) -> Tab {
        let origin = url::Url::parse(url)
            .expect("a URL")
            .origin()
            .ascii_serialization();
        for name in ["clipboard-read", "clipboard-write"] {
            let grant = SetPermissionParams::builder()
                .permission(PermissionDescriptor::new(name))
                .setting(PermissionSetting::Granted)
                .origin(origin.clone())
                .build()
                .expect("a permission");
            self.browser
                .execute(grant)
                .await
                .expect("clipboard access is granted");
        }
        let page = self
            .browser
            .new_page("about:blank")
            .await
            .expect("a new tab");
        // Uncaught errors are kept in the page, for a failing wait to show them.
        page.evaluate_on_new_document(
            "window.__errors = []; \
             addEventListener('error', (e) => window.__errors.push(String(e.message))); \
             addEventListener('unhandledrejection', (e) => window.__errors.push(String(e.reason)));",
        )
        .await
        .expect("the error trap installs");
        page.goto(url).await.expect("the page loads");
        Tab { page }
    }

    /// Closes the browser and waits for it to end.
    pub async fn close(mut self) {
        let _ = self.browser.close().await;
        let _ = self.browser.wait().await;
        self.handler.abort();
    }
}

/// One tab.
pub struct Tab {
    /// The page, for what the helpers do not cover.
    pub page: Page,
}

impl Tab {
    /// The value of a JavaScript expression (a promise is awaited).
    pub async fn eval<T: DeserializeOwned>(&self, expression: &str) -> T {
        let result = self
            .page
            .evaluate_expression(expression)
            .await
            .unwrap_or_else(|e| panic!("evaluating {expression} failed: {e}"));
        result
            .into_value()
            .unwrap_or_else(|e| panic!("{expression} gave no value of the type asked: {e}"))
    }

    /// Waits until `expression` is truthy, failing with `what` and the page's text.
    pub async fn wait(&self, what: &str, expression: &str) {
        let deadline = Instant::now() + DEADLINE;
        let probe =
            format!("(() => {{ try {{ return !!({expression}); }} catch {{ return false; }} }})()");
        loop {
            // While the page navigates (a sign-in through the identity provider) there is no
            // context to evaluate in: that is a no, for now.
            let answer = self.page.evaluate_expression(probe.as_str()).await;
            if answer.ok().and_then(|a| a.into_value::<bool>().ok()) == Some(true) {
                return;
            }
            if Instant::now() > deadline {
                let text: String = self.eval("document.body.innerText").await;
                let errors: Vec<String> = self.eval("window.__errors || []").await;
                // What the text does not show: what the fields hold and which buttons are busy.
                let fields: Vec<String> = self
                    .eval("[...document.querySelectorAll('input, textarea, button')].map((e) => `${e.tagName.toLowerCase()} ${e.value ?? ''}${e.disabled ? ' (disabled)' : ''}`)")
                    .await;
                panic!(
                    "timed out waiting for {what}; the page shows:\n{text}\nfields: {fields:?}\nerrors: {errors:?}"
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for the text to show anywhere in the page.
    pub async fn wait_text(&self, text: &str) {
        let expression = format!("document.body.innerText.includes({})", js(text));
        self.wait(&format!("the text {text:?}"), &expression).await;
    }

    /// Goes to the route `hash` (`#/applications`) in the page, as following a link does.
    pub async fn route(&self, hash: &str) {
        self.eval::<String>(&format!("location.hash = {}", js(hash)))
            .await;
    }

    /// Reloads the page and waits for it to load.
    pub async fn reload(&self) {
        self.page.reload().await.expect("the page reloads");
    }

    /// Clicks, as a user does with the mouse, the first element matching `selector`.
    pub async fn click(&self, selector: &str) {
        let element = self
            .page
            .find_element(selector)
            .await
            .unwrap_or_else(|e| panic!("no {selector} to click: {e}"));
        element.click().await.expect("the click lands");
    }

    /// Clicks the button or link whose text is `text`, with the mouse.
    pub async fn click_text(&self, text: &str) {
        let mark = format!(
            "(() => {{ const hit = [...document.querySelectorAll('button, a')].find((e) => e.textContent.trim() === {}); \
             document.querySelectorAll('[data-test-target]').forEach((e) => e.removeAttribute('data-test-target')); \
             if (hit) hit.setAttribute('data-test-target', ''); return !!hit; }})()",
            js(text)
        );
        self.wait(&format!("a button {text:?}"), &mark).await;
        self.click("[data-test-target]").await;
    }

    /// Types `text` into the labelled field `label`, key by key, after emptying it.
    pub async fn fill(&self, label: &str, text: &str) {
        let mark = format!(
            "(() => {{ const label = [...document.querySelectorAll('label')].find((l) => l.textContent.trim().startsWith({})); \
             const field = label && (label.control || document.getElementById(label.htmlFor)); if (!field) return false; \
             document.querySelectorAll('[data-test-field]').forEach((e) => e.removeAttribute('data-test-field')); \
             field.setAttribute('data-test-field', ''); field.focus(); field.select && field.select(); return true; }})()",
            js(label)
        );
        self.wait(&format!("a field labelled {label:?}"), &mark)
            .await;
        let field = self
            .page
            .find_element("[data-test-field]")
            .await
            .expect("the field");
        field.click().await.expect("the field takes focus");
        // Select what is there so typing replaces it.
        self.eval::<bool>("(() => { const f = document.querySelector('[data-test-field]'); f.select && f.select(); return true; })()").await;
        if text.is_empty() {
            field.press_key("Backspace").await.expect("a key press");
        } else {
            field.type_str(text).await.expect("typing");
        }
    }

    /// Presses a key (`Enter`, `Tab`) in the focused element.
    pub async fn press(&self, selector: &str, key: &str) {
        let element = self.page.find_element(selector).await.expect("the element");
        element.press_key(key).await.expect("a key press");
    }

    /// Sets the viewport to `width` × `height` CSS pixels (`mobile` for a phone).
    pub async fn resize(&self, width: i64, height: i64, mobile: bool) {
        let metrics = SetDeviceMetricsOverrideParams::new(width, height, 1.0, mobile);
        self.page
            .execute(metrics)
            .await
            .expect("the viewport changes");
    }

    /// Makes the page see `prefers-color-scheme: dark` (or light).
    pub async fn color_scheme(&self, scheme: &str) {
        let feature = MediaFeature::new("prefers-color-scheme", scheme);
        self.page
            .emulate_media_features(vec![feature])
            .await
            .expect("the colour scheme changes");
    }

    /// Writes a PNG of the whole page to `path`.
    pub async fn screenshot(&self, path: &Path) {
        let params = ScreenshotParams::builder()
            .format(CaptureScreenshotFormat::Png)
            .full_page(true)
            .build();
        self.page
            .save_screenshot(params, path)
            .await
            .unwrap_or_else(|e| panic!("a screenshot to {}: {e}", path.display()));
    }
}

/// A string as a JavaScript literal.
pub fn js(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}
