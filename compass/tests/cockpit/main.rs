//! The Cockpit in a real browser against a real `compass up`: headless Chromium signs in with
//! the admin token, reads the landscape of the examples, registers an application through the
//! form and finds it with kubectl, sees an application applied with kubectl appear without a
//! reload, renders an OpenAPI spec, shows a validation error at its field, requests and copies a
//! one-time token, provisions an `embedded` runtime and follows it to Ready, keeps a user
//! limited to one tenant out of another, and passes axe-core's WCAG A/AA rules with no serious or
//! critical violation. One installation and one browser serve every step, in order; each page
//! is photographed into `$CARGO_TARGET_TMPDIR/cockpit/cockpit-<page>.png` (or into
//! `$COCKPIT_SCREENSHOTS`, relative to the repository).

mod browser;
#[path = "../compass_up/mod.rs"]
mod compass_up;
mod idp;
mod operate;
mod quality;
mod read;

use std::path::PathBuf;

use browser::{Chromium, Tab};
use compass_api::client::DirectorClient;
use compass_up::CompassUp;
use serde_json::{Value, json};

/// The external id of the examples' tenant (`examples/00-tenant.yaml`).
pub const ACME: &str = "9b2f3c1d-4e5a-4b6c-8d7e-0f1a2b3c4d5e";

/// The token of a second user, allowed only in the default tenant.
const VIEWER_TOKEN: &str = "cockpit-test-viewer-token";

/// Everything the steps share.
pub struct Cockpit {
    /// The installation.
    pub compass: CompassUp,
    /// The browser's tab on the Cockpit.
    pub tab: Tab,
    /// The admin's token.
    pub admin_token: String,
    /// The Director as the admin, acting in ACME.
    pub director: DirectorClient,
    /// Where screenshots go.
    pub shots: PathBuf,
}

impl Cockpit {
    /// The `data` of a Director operation run from the test, failing on any error.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let answer = self
            .director
            .execute(query, variables)
            .await
            .expect("the Director answers");
        assert!(
            answer.body.get("errors").is_none(),
            "{query}: {}",
            answer.body
        );
        answer.body["data"].clone()
    }

    /// Photographs the page as `name.png`.
    pub async fn shot(&self, name: &str) {
        // Let polling settle and fonts render before the picture.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let file = self.shots.join(format!("cockpit-{name}.png"));
        self.tab.screenshot(&file).await;
    }
}

/// What the second user and the OIDC provider's users may do.
const SCOPES: [&str; 8] = [
    "application:read",
    "application:write",
    "runtime:read",
    "runtime:write",
    "label_definition:read",
    "tenant:read",
    "integration_system:read",
    "application_template:read",
];

/// The static users file: a viewer who may act only in the default tenant.
fn users_file(dir: &std::path::Path) -> PathBuf {
    let path = dir.join("users.yaml");
    let digest = compass_api::gateway::digest(VIEWER_TOKEN);
    let users = json!({ "users": [{ "name": "viewer", "tokenSha256": digest, "scopes": SCOPES,
        "tenants": [compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID] }] });
    std::fs::write(&path, serde_yaml::to_string(&users).unwrap()).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cockpit_runs_the_landscape_in_a_real_browser() {
    let dir = tempfile::tempdir().unwrap();
    let users = users_file(dir.path());
    let data_dir = dir.path().join("data");
    // An OIDC provider whose users act in ACME with the scopes of the group `operators`.
    let idp_ca = dir.path().join("idp-ca.crt");
    let idp = idp::Idp::start(
        &idp_ca,
        json!({ "tenants": [ACME], "groups": ["operators"] }),
    )
    .await;
    let groups = dir.path().join("groups.yaml");
    let scopes = serde_yaml::to_string(&json!({ "operators": SCOPES })).unwrap();
    std::fs::write(&groups, scopes).unwrap();
    let oidc = [
        ("--oidc-issuer", idp.url.clone()),
        ("--oidc-audience", idp::CLIENT_ID.to_owned()),
        ("--oidc-jwks-url", format!("{}/jwks", idp.url)),
        ("--oidc-ca-file", idp_ca.display().to_string()),
        ("--oidc-group-scopes-file", groups.display().to_string()),
        ("--oidc-authorization-url", format!("{}/authorize", idp.url)),
        ("--oidc-token-url", format!("{}/token", idp.url)),
    ];
    let mut args = vec![
        "--static-users-file".to_owned(),
        users.display().to_string(),
    ];
    args.extend(
        oidc.iter()
            .flat_map(|(flag, value)| [(*flag).to_owned(), value.clone()]),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let compass = CompassUp::start(&data_dir, &args);
    compass.kubectl_ok(&["apply", "-f", "examples/"]);
    let admin_token = std::fs::read_to_string(data_dir.join("admin-token")).unwrap();
    let ca = std::fs::read_to_string(data_dir.join("ca.crt")).unwrap();
    let director = DirectorClient::new(&compass.director_url(), &ca, admin_token.trim())
        .unwrap()
        .tenant(ACME);
    let cockpit_url = compass
        .lines()
        .iter()
        .find_map(|line| line.strip_prefix("compass: Cockpit"))
        .map(|url| url.trim().to_owned())
        .expect("compass up prints the Cockpit's URL");
    let shots = std::env::var_os("COCKPIT_SCREENSHOTS")
        .map(|dir| compass_up::repo().join(dir))
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cockpit"));
    std::fs::create_dir_all(&shots).unwrap();
    let chromium = Chromium::launch(&dir.path().join("profile")).await;
    // The root of the API listener leads to the Cockpit.
    let root = cockpit_url.trim_end_matches("/cockpit/").to_owned() + "/";
    let tab = chromium.open(&root).await;
    let cockpit = Cockpit {
        compass,
        tab,
        admin_token: admin_token.trim().to_owned(),
        director,
        shots,
    };

    read::sign_in(&cockpit).await;
    read::landscape(&cockpit).await;
    read::at_scale(&cockpit).await;
    read::open_api(&cockpit).await;
    read::events_and_documents(&cockpit).await;
    read::live(&cockpit).await;
    operate::register(&cockpit).await;
    operate::from_template(&cockpit).await;
    operate::validation_error(&cockpit).await;
    operate::scenarios_and_labels(&cockpit).await;
    operate::one_time_token(&cockpit).await;
    operate::integration_system(&cockpit).await;
    operate::provision(&cockpit).await;
    operate::unregister(&cockpit).await;
    quality::pages(&cockpit).await;
    read::tenant_isolation(&cockpit, VIEWER_TOKEN).await;
    read::oidc_sign_in(&cockpit).await;

    chromium.close().await;
    println!("screenshots in {}", cockpit.shots.display());
}
