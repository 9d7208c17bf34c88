// Integration systems: list, register, describe, unregister, and their OAuth client credentials.
import { html, useState } from '../lib.js';
import { director, everyPage, problemAt } from '../api.js';
import { usePoll } from '../poll.js';
import { ErrorBox, Field, Busy, ConfirmButton, CopyField, useAction } from '../ui.js';

const LIST = `query ($first: Int, $after: PageCursor) { integrationSystems(first: $first, after: $after) {
  data { id name description auths { id } } pageInfo { endCursor hasNextPage } } }`;
const REGISTER = 'mutation ($in: IntegrationSystemInput!) { registerIntegrationSystem(in: $in) { id } }';
const UPDATE = 'mutation ($id: ID!, $in: IntegrationSystemInput!) { updateIntegrationSystem(id: $id, in: $in) { id } }';
const UNREGISTER = 'mutation ($id: ID!) { unregisterIntegrationSystem(id: $id) { id } }';
const CREDENTIALS = 'mutation ($id: ID!) { requestClientCredentialsForIntegrationSystem(id: $id) { id auth { credential { ... on OAuthCredentialData { clientId clientSecret url } } } } }';
const REVOKE = 'mutation ($id: ID!) { deleteSystemAuthForIntegrationSystem(authID: $id) { id } }';

export function Systems() {
  const { data, error, loading, refresh } = usePoll(() => everyPage(LIST, 'integrationSystems'), []);
  const [form, setForm] = useState({ name: '', description: '' });
  const [register, busy, registerError] = useAction(async () => {
    await director(REGISTER, { in: { name: form.name.trim(), description: form.description.trim() || null } });
    setForm({ name: '', description: '' });
    refresh();
  });
  return html`<section aria-labelledby="systems-title">
    <h1 id="systems-title">Integration systems</h1>
    <${ErrorBox} error=${error} />
    ${loading ? html`<${Busy} />` : (data || []).map((system) => html`<${System} key=${system.id} system=${system} onChange=${refresh} />`)}
    ${!loading && data && data.length === 0 && html`<p class="muted">None registered.</p>`}
    <form class="card" aria-label="Register an integration system" onSubmit=${(e) => { e.preventDefault(); register(); }}>
      <h2>Register an integration system</h2>
      <${Field} label="Name" required value=${form.name} onInput=${(e) => setForm({ ...form, name: e.target.value })} error=${problemAt(registerError, 'name')} />
      <${Field} label="Description" value=${form.description} onInput=${(e) => setForm({ ...form, description: e.target.value })} />
      <button type="submit" class="primary" disabled=${busy}>Register</button>
      <${ErrorBox} error=${registerError} title="Not registered" />
    </form>
  </section>`;
}

function System({ system, onChange }) {
  const [description, setDescription] = useState(system.description || '');
  const [secret, setSecret] = useState(null);
  const [save, saving, saveError] = useAction(async () => { await director(UPDATE, { id: system.id, in: { name: system.name, description } }); onChange(); });
  const [remove, removing, removeError] = useAction(async () => { await director(UNREGISTER, { id: system.id }); onChange(); });
  const [request, requesting, requestError] = useAction(async () => {
    const data = await director(CREDENTIALS, { id: system.id });
    setSecret(data.requestClientCredentialsForIntegrationSystem.auth.credential);
    onChange();
  });
  const [revoke, revoking, revokeError] = useAction(async (id) => { await director(REVOKE, { id }); onChange(); });
  return html`<article class="card">
    <h2>${system.name}</h2>
    <p class="muted"><code>${system.id}</code></p>
    <form class="inline-form" aria-label=${`Describe ${system.name}`} onSubmit=${(e) => { e.preventDefault(); save(); }}>
      <${Field} label="Description" value=${description} onInput=${(e) => setDescription(e.target.value)} />
      <button type="submit" disabled=${saving}>Save</button>
    </form>
    <div class="actions">
      <button onClick=${request} disabled=${requesting}>Request client credentials</button>
      <${ConfirmButton} label="Unregister" busy=${removing} onConfirm=${remove}
        question=${`Unregister ${system.name}? Refused while applications of any tenant name it.`} />
    </div>
    ${secret && html`<div class="secret"><p>Client credentials (shown once):</p>
      <${CopyField} label="Client id" value=${secret.clientId} rows="1" />
      <${CopyField} label="Client secret" value=${secret.clientSecret} rows="1" />
      <${CopyField} label="Token URL" value=${secret.url} rows="1" /></div>`}
    <h3>Client identities</h3>
    ${(system.auths || []).length === 0 ? html`<p class="muted">None.</p>` : html`<ul>${system.auths.map((a) => html`<li><code>${a.id}</code>
      <${ConfirmButton} label="Revoke" busy=${revoking} onConfirm=${() => revoke(a.id)} question=${`Revoke ${a.id}?`} /></li>`)}</ul>`}
    <${ErrorBox} error=${saveError || removeError || requestError || revokeError} />
  </article>`;
}
