// One runtime: status, labels (set and remove), the applications it receives, its provisioning
// (provision through a provider and follow the operation), trust, and unregister.
import { html } from '../lib.js';
import { director, provisioner, currentTenant } from '../api.js';
import { usePoll } from '../poll.js';
import { href, navigate } from '../route.js';
import { ErrorBox, Status, Labels, Busy, ConfirmButton, useAction, scenariosOf, when } from '../ui.js';
import { Trust } from './tokens.js';
import { Provisioning } from './provision.js';
import { LabelEditor } from './labels.js';

const QUERY = `query ($id: ID!) {
  runtime(id: $id) { id name description labels status { condition timestamp } metadata { creationTimestamp } auths { id } }
  applicationsForRuntime(runtimeID: $id, first: 100) { data { id name status { condition } } totalCount }
}`;

const STATUS = `query ($id: String!) { runtimeStatus(id: $id) {
  lastOperationStatus { id operation state message }
  runtimeConnectionStatus { status errors { message } }
  runtimeConfiguration { clusterConfig { ... on ProviderConfig { provider kubernetesVersion } } }
  agent { available unavailableReason lastHeartbeat version connectionState lastSync certificateExpiry appliedApplications failedApplications }
} }`;

async function load(id) {
  const found = await director(QUERY, { id }).catch((error) => {
    // applicationsForRuntime fails with NOT_FOUND for a foreign id: the page says not found.
    if (error.has && error.has('NOT_FOUND')) return { runtime: null };
    throw error;
  });
  if (!found.runtime) return found;
  const provisioning = await provisioner(STATUS, { id }).then((d) => d.runtimeStatus).catch(() => null);
  return { ...found, provisioning };
}

export function RuntimeDetail({ id }) {
  const { data, error, loading, refresh } = usePoll(() => load(id), [id]);
  const runtime = data && data.runtime;
  if (loading) return html`<${Busy} text="Loading the runtime…" />`;
  if (!runtime) {
    return html`<section><p><a href=${href('runtimes')}>← Runtimes</a></p>
      <${ErrorBox} error=${error} />
      ${!error && html`<h1>Not found</h1><p>This tenant has no runtime <code>${id}</code>.</p>`}</section>`;
  }
  const apps = (data.applicationsForRuntime && data.applicationsForRuntime.data) || [];
  const connection = data.provisioning && data.provisioning.runtimeConnectionStatus;
  return html`<section aria-labelledby="runtime-title">
    <p><a href=${href('runtimes')}>← Runtimes</a></p>
    <div class="title-row"><h1 id="runtime-title">${runtime.name}</h1> <${Status} condition=${runtime.status.condition} /></div>
    <${ErrorBox} error=${error} title="Refreshing failed; showing the last answer" />
    <dl class="facts card">
      <div><dt>Id</dt><dd><code>${runtime.id}</code></dd></div>
      <div><dt>Description</dt><dd>${runtime.description || '—'}</dd></div>
      <div><dt>Registered</dt><dd>${when(runtime.metadata.creationTimestamp)}</dd></div>
      <div><dt>Status since</dt><dd>${when(runtime.status.timestamp)}</dd></div>
      <div><dt>Agent connection</dt><dd>${connection ? html`<${Status} condition=${connection.status} />` : 'not provisioned here'}</dd></div>
    </dl>
    <${AgentFacts} agent=${data.provisioning && data.provisioning.agent} />
    <section class="card" aria-labelledby="rt-labels"><h2 id="rt-labels">Labels</h2>
      <p>Scenarios: ${scenariosOf(runtime.labels).map((s) => html`<span class="badge">${s}</span> `)}</p>
      <${Labels} labels=${runtime.labels} />
      <${LabelEditor} kind="runtime" id=${runtime.id} labels=${runtime.labels} onSaved=${refresh} /></section>
    <section class="card" aria-labelledby="rt-apps"><h2 id="rt-apps">Applications it receives (${apps.length})</h2>
      ${apps.length === 0 ? html`<p class="muted">None: it shares no scenario with an application.</p>` : html`<ul>
        ${apps.map((a) => html`<li><a href=${href('applications', a.id)}>${a.name}</a> <${Status} condition=${a.status.condition} /></li>`)}</ul>`}
    </section>
    <${Provisioning} id=${runtime.id} status=${data.provisioning} onChange=${refresh} />
    <${Trust} kind="runtime" id=${runtime.id} name=${runtime.name} auths=${runtime.auths} tenant=${currentTenant()} onChange=${refresh} />
    <section class="card" aria-labelledby="rt-danger"><h2 id="rt-danger">Unregister</h2>
      <${Unregister} runtime=${runtime} count=${apps.length} /></section>
  </section>`;
}

const UNREGISTER = 'mutation ($id: ID!) { unregisterRuntime(id: $id) { id } }';

function Unregister({ runtime, count }) {
  const [run, busy, error] = useAction(async () => { await director(UNREGISTER, { id: runtime.id }); navigate('runtimes'); });
  return html`<div><${ConfirmButton} label="Unregister" busy=${busy} onConfirm=${run}
    question=${`Unregister ${runtime.name}? It receives ${count} application${count === 1 ? '' : 's'}; their credentials for it are removed.`} />
    <${ErrorBox} error=${error} /></div>`;
}

// What the runtime's agent last reported, and its heartbeat.
function AgentFacts({ agent }) {
  if (!agent) {
    return html`<section class="card" aria-labelledby="rt-agent"><h2 id="rt-agent">Agent</h2>
      <p class="muted">No agent has reported for this runtime yet.</p></section>`;
  }
  const counts = `${agent.appliedApplications ?? 0} applied, ${agent.failedApplications ?? 0} failed`;
  return html`<section class="card" aria-labelledby="rt-agent"><h2 id="rt-agent">Agent</h2>
    <dl class="facts agent-facts">
      <div><dt>Heartbeat</dt><dd><${Status} condition=${agent.available ? 'Available' : 'Unavailable'} />
        ${agent.unavailableReason && html` <span class="muted">${agent.unavailableReason}</span>`}</dd></div>
      <div><dt>Last heartbeat</dt><dd>${when(agent.lastHeartbeat) || '—'}</dd></div>
      <div><dt>Version</dt><dd>${agent.version || '—'}</dd></div>
      <div><dt>Connection state</dt><dd>${agent.connectionState ? html`<${Status} condition=${agent.connectionState} />` : '—'}</dd></div>
      <div><dt>Applications</dt><dd>${counts}</dd></div>
      <div><dt>Last sync</dt><dd>${when(agent.lastSync) || '—'}</dd></div>
      <div><dt>Certificate expires</dt><dd>${when(agent.certificateExpiry) || '—'}</dd></div>
    </dl></section>`;
}
