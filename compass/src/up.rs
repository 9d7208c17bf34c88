//! `compass up`: everything on one machine. The embedded control plane, the product's CRDs, a
//! default tenant, and the controllers with their admin listener, in one process.

mod install;

pub use install::install;

use std::{
    process::ExitCode,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use compass_cache::Watches;
use k8s_openapi::api::core::v1::Namespace;
use kube::Api;

use compass_api::{
    audit::{Audit, AuditSink},
    metrics::ApiMetrics,
};
use compass_crds::well_known::{DEFAULT_TENANT_EXTERNAL_ID, DEFAULT_TENANT_NAMESPACE};
use compass_operator::{metrics::Metrics, run::OperatorOptions, shutdown};

use crate::{
    api,
    cli::{ApiSettingsArgs, UpArgs},
    operator,
};

/// Runs everything until Ctrl-C or SIGTERM.
pub async fn run_up(args: UpArgs) -> ExitCode {
    crate::parent::exit_with_parent();
    let UpArgs {
        data_dir,
        apiserver_address,
        tls_sans,
        api_address,
        admin_address,
        static_users_file,
        no_controllers,
        controllers,
        settings:
            ApiSettingsArgs {
                trust,
                audit_limits,
                oauth,
            },
    } = args;
    let started =
        crate::apiserver::start_control_plane(&data_dir, apiserver_address, tls_sans, false);
    let control_plane = match started.await {
        Ok(control_plane) => control_plane,
        Err(error) => {
            eprintln!(
                "error: starting the embedded control plane in {} failed: {error}",
                data_dir.display()
            );
            return ExitCode::FAILURE;
        }
    };
    let client = match crate::local_client::local_client(&control_plane) {
        Ok(client) => client,
        Err(error) => {
            eprintln!("error: connecting to the embedded control plane failed: {error}");
            return ExitCode::FAILURE;
        }
    };
    let operator_config = controllers.config();
    if let Err(error) = install(&client, &operator_config.system_namespace).await {
        eprintln!("error: installing the CustomResourceDefinitions and defaults failed: {error}");
        return ExitCode::FAILURE;
    }
    let api_metrics = Arc::new(ApiMetrics::default());
    let audit_file = AuditSink::File {
        path: data_dir.join("audit.log"),
        max_bytes: audit_limits.audit_log_max_bytes,
    };
    let audit_sink = audit_limits.sink(audit_file);
    let audit = match Audit::start(&audit_sink, api_metrics.clone()) {
        Ok(audit) => audit,
        Err(error) => {
            eprintln!("error: opening the audit log failed: {error}");
            control_plane.shutdown().await;
            return ExitCode::FAILURE;
        }
    };
    let (trigger, stop) = shutdown::channel();
    let scopes = compass_api::scopes::ScopesConfig::default_config();
    let mut users = vec![api::admin_user(&control_plane.admin_token, &scopes)];
    if let Some(path) = &static_users_file {
        match api::read_users(path) {
            Ok(more) => users.extend(more),
            Err(error) => {
                eprintln!("error: --static-users-file: {error}");
                control_plane.shutdown().await;
                return ExitCode::FAILURE;
            }
        }
    }
    let mut api_config = compass_api::server::ApiConfig {
        users,
        scopes,
        playground_tenant: Some(DEFAULT_TENANT_EXTERNAL_ID.to_owned()),
        audit,
        rate_limits: audit_limits.rate_limits(),
        metrics: api_metrics.clone(),
        ..compass_api::server::ApiConfig::default()
    };
    trust.apply(&mut api_config);
    if let Err(error) = oauth.apply(&mut api_config) {
        eprintln!("error: {error}");
        control_plane.shutdown().await;
        return ExitCode::FAILURE;
    }
    let public_url = api_config.public_url.clone();
    let token_lifetime = api_config.token_lifetimes.runtime;
    let listener = api::ApiListener {
        address: api_address,
        tls: control_plane.tls(),
        config: api_config,
    };
    // One set of stores for the Director and the controllers: each kind is watched and held once.
    let watches = Watches::new(client.clone());
    if !no_controllers {
        // Every store the controllers read lists now, beside the Director's, not after them.
        compass_operator::controllers::stores::Stores::new(&watches);
    }
    // The controllers start beside the Director rather than once its caches are full: on a
    // large installation their leader election and their first pass over what was listed then
    // overlap the listing, which is most of a start.
    let ready = Arc::new(AtomicBool::new(false));
    let operator = (!no_controllers).then(|| {
        let options = OperatorOptions {
            config: operator_config.clone(),
            // The API's metrics are served beside the controllers'.
            metrics: Arc::new(Metrics::with(|registry| api_metrics.register(registry))),
            ready: ready.clone(),
            sole_identity: Some(leader_prefix(&data_dir)),
        };
        let serving = operator::serve(
            client.clone(),
            watches.clone(),
            admin_address,
            options,
            stop.clone(),
        );
        tokio::spawn(serving)
    });
    let running_api =
        match api::start(client.clone(), watches.clone(), listener, stop.clone()).await {
            Ok(running) => running,
            Err(error) => {
                eprintln!("error: starting the GraphQL API failed: {error}");
                trigger.fire();
                if let Some(operator) = operator
                    && let Err(error) = stop_operator(operator).await
                {
                    eprintln!("error: the operator stopped: {error}");
                }
                control_plane.shutdown().await;
                return ExitCode::FAILURE;
            }
        };
    println!("compass: Kubernetes API server  {}", control_plane.url);
    println!(
        "compass: Director GraphQL       https://{}{}",
        running_api.address,
        compass_api::server::DIRECTOR_PATH
    );
    println!(
        "compass: Connector GraphQL      https://{}{} (compass connect)",
        running_api.address,
        compass_api::connector::CONNECTOR_PATH
    );
    println!(
        "compass: Provisioner GraphQL    https://{}{}",
        running_api.address,
        compass_api::provisioner::PROVISIONER_PATH
    );
    println!(
        "compass: Cockpit                https://{}{}",
        running_api.address,
        compass_cockpit::PATH
    );
    println!(
        "compass: kubeconfig             {}",
        control_plane.kubeconfig.display()
    );
    println!(
        "compass: admin token            {}",
        data_dir.join("admin-token").display()
    );
    println!(
        "compass: default tenant         {DEFAULT_TENANT_EXTERNAL_ID} (send it in the Tenant header)"
    );
    if let AuditSink::File { path, .. } = &audit_sink {
        println!("compass: audit log              {}", path.display());
    }
    println!("compass: metrics                http://{admin_address}/metrics");
    println!(
        "compass: try: KUBECONFIG={} kubectl get compass -A",
        control_plane.kubeconfig.display()
    );

    let Some(mut operator) = operator else {
        return run_without_controllers(
            admin_address,
            &api_metrics,
            running_api,
            control_plane,
            trigger,
            stop,
        )
        .await;
    };
    let connector_url = format!(
        "{}{}",
        public_url.unwrap_or_else(|| format!("https://{}", running_api.address)),
        compass_api::connector::CONNECTOR_PATH
    );
    let agents = crate::provisioner::AgentsPairAt {
        connector_url,
        ca_pem: Some(control_plane.ca_pem.clone()),
        token_lifetime,
    };
    let providers =
        crate::provisioner::local_providers(&client, &data_dir, operator_config.outbound.clone());
    let provisioner = providers.map(|providers| {
        crate::provisioner::start(
            client.clone(),
            &watches,
            providers,
            agents,
            api_metrics.clone(),
            stop.clone(),
        )
    });
    let provisioner = match provisioner {
        Ok(task) => task,
        Err(error) => {
            eprintln!("error: {error}");
            trigger.fire();
            if let Err(error) = stop_operator(operator).await {
                eprintln!("error: the operator stopped: {error}");
            }
            control_plane.shutdown().await;
            return ExitCode::FAILURE;
        }
    };
    let namespaces: Api<Namespace> = Api::all(client.clone());
    // One signal future for the whole run: Ctrl-C while the operator starts stops it too.
    let interrupted = shutdown::signal();
    tokio::pin!(interrupted);
    let finished = tokio::select! {
        () = usable(&ready, &namespaces) => None,
        () = &mut interrupted => None,
        finished = &mut operator => Some(finished.unwrap_or_else(|e| Err(e.to_string()))),
    };
    let finished = match finished {
        None if ready.load(Ordering::SeqCst) => {
            println!("compass: ready");
            tokio::select! {
                () = &mut interrupted => None,
                finished = &mut operator => Some(finished.unwrap_or_else(|e| Err(e.to_string()))),
            }
        }
        other => other,
    };
    println!("compass: shutting down");
    trigger.fire();
    // The operator finishes (and releases its Lease) while the control plane still answers.
    let outcome = match finished {
        Some(outcome) => outcome,
        None => stop_operator(operator).await,
    };
    let _ = running_api.task.await;
    // The embedded runtimes' processes stop with the provisioner; should it not finish in time,
    // they still go with this process (their supervisors' groups are killed when dropped, and
    // they exit when their parent is gone).
    if tokio::time::timeout(Duration::from_secs(10), provisioner)
        .await
        .is_err()
    {
        eprintln!("compass: the provisioner did not stop within 10 s");
    }
    control_plane.shutdown().await;
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: the operator stopped: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The rest of a run without controllers: the admin listener with the API's metrics alone,
/// until Ctrl-C or SIGTERM; then the API, the listener and the control plane stopped in turn.
async fn run_without_controllers(
    admin_address: std::net::SocketAddr,
    api_metrics: &ApiMetrics,
    running_api: api::RunningApi,
    control_plane: compass_apiserver::ControlPlane,
    trigger: shutdown::Trigger,
    stop: shutdown::Shutdown,
) -> ExitCode {
    let ready = Arc::new(AtomicBool::new(true));
    let admin = crate::admin::serve_api_metrics(admin_address, api_metrics, ready, stop).await;
    let outcome = match &admin {
        Ok(_) => {
            println!("compass: ready (controllers not running)");
            shutdown::signal().await;
            println!("compass: shutting down");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    };
    trigger.fire();
    let _ = running_api.task.await;
    if let Ok(admin) = admin {
        let _ = admin.await;
    }
    control_plane.shutdown().await;
    outcome
}

/// Waits up to 10 s for the operator, already told to stop, to finish (and release its Lease);
/// how it ended.
async fn stop_operator(
    operator: tokio::task::JoinHandle<Result<(), String>>,
) -> Result<(), String> {
    match tokio::time::timeout(Duration::from_secs(10), operator).await {
        Ok(finished) => finished.unwrap_or_else(|e| Err(e.to_string())),
        Err(_) => Err("the operator did not stop within 10 s".to_owned()),
    }
}

/// The leader identity prefix of the operator of the installation in `data_dir`: one per
/// directory, which only one process at a time may use.
fn leader_prefix(data_dir: &std::path::Path) -> String {
    use sha2::{Digest, Sha256};
    let path = data_dir
        .canonicalize()
        .unwrap_or_else(|_| data_dir.to_owned());
    let digest = Sha256::digest(path.as_os_str().as_encoded_bytes());
    let short = compass_crds::hex::lower(&digest[..6]);
    format!("compass-up-{short}")
}

/// Completes once `flag` is true.
async fn until(flag: &AtomicBool) {
    while !flag.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Completes once the controllers run (`ready`) and the default tenant's namespace exists, so
/// that what `compass up` prints as usable is: `kubectl -n default-tenant ...` right after
/// `ready` works. The Tenant controller makes the namespace moments after it starts; should it
/// not within 30 s, `ready` is said anyway and the Tenant's status says why.
async fn usable(ready: &AtomicBool, namespaces: &Api<Namespace>) {
    until(ready).await;
    for _ in 0..1500 {
        if let Ok(Some(_)) = namespaces.get_opt(DEFAULT_TENANT_NAMESPACE).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
