// One application: its fields, labels, scenarios, webhooks, API definitions (OpenAPI rendered as
// operations), event definitions (AsyncAPI as channels and messages), documents (markdown,
// sanitised), fetch status with refetch, per-runtime credentials, trust, update and unregister.
import { html, useState } from '../lib.js';
import { director, currentTenant } from '../api.js';
import { usePoll } from '../poll.js';
import { href, navigate } from '../route.js';
import { ErrorBox, Status, Labels, Busy, ConfirmButton, Field, useAction, scenariosOf, when } from '../ui.js';
import { OpenApi, AsyncApi } from '../spec.js';
import { Markdown } from '../markdown.js';
import { Trust } from './tokens.js';
import { LabelEditor } from './labels.js';

const FETCH = 'fetchRequest { url mode status { condition timestamp } }';
const QUERY = `query ($id: ID!) { application(id: $id) {
  id name providerName description healthCheckURL integrationSystemID labels status { condition timestamp }
  webhooks { id type url }
  apiDefinitions { data { id name description targetURL group version { value deprecated }
    spec { data format type ${FETCH} } auths { runtimeID auth { credential { __typename } } } } }
  eventDefinitions { data { id name description group version { value } spec { data format type ${FETCH} } } }
  documents { data { id title displayName description format kind data ${FETCH} } }
  auths { id }
}
runtimes(first: 100) { data { id name } } }`;

export function ApplicationDetail({ id }) {
  const { data, error, loading, refresh } = usePoll(() => director(QUERY, { id }), [id]);
  const app = data && data.application;
  if (loading) return html`<${Busy} text="Loading the application…" />`;
  if (!app) {
    return html`<section><p><a href=${href('applications')}>← Applications</a></p>
      <${ErrorBox} error=${error} />
      ${!error && html`<h1>Not found</h1><p>This tenant has no application <code>${id}</code>.</p>`}</section>`;
  }
  return html`<section aria-labelledby="app-title">
    <p><a href=${href('applications')}>← Applications</a></p>
    <div class="title-row"><h1 id="app-title">${app.name}</h1> <${Status} condition=${app.status.condition} /></div>
    <${ErrorBox} error=${error} title="Refreshing failed; showing the last answer" />
    <${Overview} app=${app} onSaved=${refresh} />
    <section class="card" aria-labelledby="labels-title"><h2 id="labels-title">Labels</h2>
      <p>Scenarios: ${scenariosOf(app.labels).map((s) => html`<span class="badge">${s}</span> `)}</p>
      <${Labels} labels=${app.labels} />
      <${LabelEditor} kind="application" id=${app.id} labels=${app.labels} onSaved=${refresh} /></section>
    <section class="card" aria-labelledby="hooks-title"><h2 id="hooks-title">Webhooks</h2>
      ${(app.webhooks || []).length === 0 ? html`<p class="muted">None.</p>` : html`<ul>${app.webhooks.map((w) => html`<li>${w.type}: <code>${w.url}</code></li>`)}</ul>`}</section>
    <${Apis} apis=${(app.apiDefinitions || { data: [] }).data} runtimes=${data.runtimes.data} onRefetch=${refresh} />
    <${Events} events=${(app.eventDefinitions || { data: [] }).data} onRefetch=${refresh} />
    <${Documents} documents=${(app.documents || { data: [] }).data} />
    <${Trust} kind="application" id=${app.id} name=${app.name} auths=${app.auths} tenant=${currentTenant()} onChange=${refresh} />
    <section class="card" aria-labelledby="danger-title"><h2 id="danger-title">Unregister</h2>
      <${Unregister} app=${app} /></section>
  </section>`;
}

const UPDATE = 'mutation ($id: ID!, $in: ApplicationUpdateInput!) { updateApplication(id: $id, in: $in) { id } }';

function Overview({ app, onSaved }) {
  const [editing, setEditing] = useState(null);
  const [save, busy, error] = useAction(async () => {
    await director(UPDATE, { id: app.id, in: editing });
    setEditing(null);
    onSaved();
  });
  if (editing) {
    const set = (key) => (e) => setEditing({ ...editing, [key]: e.target.value });
    return html`<form class="card" aria-label="Edit application" onSubmit=${(e) => { e.preventDefault(); save(); }}>
      <${Field} label="Provider" value=${editing.providerName} onInput=${set('providerName')} />
      <${Field} label="Description" as="textarea" rows="3" value=${editing.description} onInput=${set('description')} />
      <${Field} label="Health check URL" value=${editing.healthCheckURL} onInput=${set('healthCheckURL')} />
      <button type="submit" class="primary" disabled=${busy}>Save</button> <button type="button" onClick=${() => setEditing(null)}>Cancel</button>
      <${ErrorBox} error=${error} title="Not saved" />
    </form>`;
  }
  return html`<div class="card"><dl class="facts">
    <div><dt>Id</dt><dd><code>${app.id}</code></dd></div>
    <div><dt>Provider</dt><dd>${app.providerName || '—'}</dd></div>
    <div><dt>Description</dt><dd>${app.description || '—'}</dd></div>
    <div><dt>Health check</dt><dd>${app.healthCheckURL || '—'}</dd></div>
    <div><dt>Integration system</dt><dd>${app.integrationSystemID || '—'}</dd></div>
    <div><dt>Status since</dt><dd>${when(app.status.timestamp)}</dd></div>
  </dl>
  <button onClick=${() => setEditing({ providerName: app.providerName || '', description: app.description || '', healthCheckURL: app.healthCheckURL || '' })}>Edit</button></div>`;
}

const REFETCH_API = 'mutation ($id: ID!) { refetchAPISpec(apiID: $id) { data } }';
const REFETCH_EVENT = 'mutation ($id: ID!) { refetchEventDefinitionSpec(eventID: $id) { data } }';

function FetchStatus({ fetch, id, mutation, onRefetch }) {
  const [refetch, busy, error] = useAction(async () => { await director(mutation, { id }); onRefetch(); });
  if (!fetch) return null;
  return html`<p class="fetch">Fetched from <code>${fetch.url}</code>: <${Status} condition=${fetch.status.condition} />
    ${fetch.status.timestamp && html` <span class="muted">${when(fetch.status.timestamp)}</span>`}
    <button onClick=${refetch} disabled=${busy}>${busy ? 'Refetching…' : 'Refetch'}</button>
    <${ErrorBox} error=${error} /></p>`;
}

const CREDENTIAL = { BasicCredentialData: 'basic', OAuthCredentialData: 'OAuth' };

function Apis({ apis, runtimes, onRefetch }) {
  const nameOf = (id) => (runtimes.find((r) => r.id === id) || { name: id }).name;
  return html`<section class="card" aria-labelledby="apis-title"><h2 id="apis-title">API definitions</h2>
    ${apis.length === 0 && html`<p class="muted">None.</p>`}
    ${apis.map((api) => html`<article class="definition">
      <h3>${api.name} ${api.version && html`<span class="muted">${api.version.value}${api.version.deprecated ? ' (deprecated)' : ''}</span>`}</h3>
      <p><code>${api.targetURL}</code>${api.spec && html` · ${api.spec.type} ${api.spec.format}`}</p>
      <${Markdown} text=${api.description} />
      ${api.spec && html`<${FetchStatus} fetch=${api.spec.fetchRequest} id=${api.id} mutation=${REFETCH_API} onRefetch=${onRefetch} />`}
      ${api.spec && api.spec.type === 'OPEN_API' ? html`<${OpenApi} data=${api.spec.data} />`
        : api.spec && api.spec.data ? html`<pre class="raw">${api.spec.data}</pre>` : null}
      ${(api.auths || []).length > 0 && html`<p>Credentials per runtime: ${api.auths.map((a) => html`<a href=${href('runtimes', a.runtimeID)}>${nameOf(a.runtimeID)}</a>
        <span class="muted">(${a.auth && a.auth.credential ? CREDENTIAL[a.auth.credential.__typename] || 'set' : 'none'})</span> `)}</p>`}
    </article>`)}
  </section>`;
}

function Events({ events, onRefetch }) {
  return html`<section class="card" aria-labelledby="events-title"><h2 id="events-title">Event definitions</h2>
    ${events.length === 0 && html`<p class="muted">None.</p>`}
    ${events.map((event) => html`<article class="definition">
      <h3>${event.name} ${event.version && html`<span class="muted">${event.version.value}</span>`}</h3>
      <${Markdown} text=${event.description} />
      ${event.spec && html`<${FetchStatus} fetch=${event.spec.fetchRequest} id=${event.id} mutation=${REFETCH_EVENT} onRefetch=${onRefetch} />`}
      ${event.spec && html`<${AsyncApi} data=${event.spec.data} />`}
    </article>`)}
  </section>`;
}

function Documents({ documents }) {
  return html`<section class="card" aria-labelledby="docs-title"><h2 id="docs-title">Documents</h2>
    ${documents.length === 0 && html`<p class="muted">None.</p>`}
    ${documents.map((doc) => html`<article class="definition">
      <h3>${doc.displayName || doc.title}</h3>
      ${doc.fetchRequest && html`<p class="fetch">From <code>${doc.fetchRequest.url}</code>: <${Status} condition=${doc.fetchRequest.status.condition} /></p>`}
      <${Markdown} text=${doc.data || doc.description} />
    </article>`)}
  </section>`;
}

const UNREGISTER = 'mutation ($id: ID!) { unregisterApplication(id: $id) { id } }';

function Unregister({ app }) {
  const [run, busy, error] = useAction(async () => {
    await director(UNREGISTER, { id: app.id });
    navigate('applications');
  });
  return html`<div>
    <${ConfirmButton} label="Unregister" busy=${busy} onConfirm=${run}
      question=${`Unregister ${app.name}? Its credentials and content go with it; runtimes in its scenarios stop receiving it.`} />
    <${ErrorBox} error=${error} /></div>`;
}
