// The Runtimes list and the register form.
import { html, useState, useMemo } from '../lib.js';
import { everyPage, director, provisioner } from '../api.js';
import { usePoll } from '../poll.js';
import { href, navigate } from '../route.js';
import { ErrorBox, Field, Status, Busy, useAction, scenariosOf, when } from '../ui.js';
import { Pager, byName } from './applications.js';
import { useScenarios } from './scenarios.js';

const LIST = `query ($first: Int, $after: PageCursor) { runtimes(first: $first, after: $after) {
  data { id name description labels status { condition } metadata { creationTimestamp } }
  pageInfo { endCursor hasNextPage } } }`;

const PAGE_SIZE = 25;

// The agents of the runtimes on one page, in one request: `runtimeStatus` once per runtime.
async function agentsOf(ids) {
  if (!ids.length) return {};
  const fields = ids.map((id, i) => `r${i}: runtimeStatus(id: ${JSON.stringify(id)}) { agent { available version lastHeartbeat } }`);
  const data = await provisioner(`{ ${fields.join(' ')} }`, {}).catch(() => ({}));
  return Object.fromEntries(ids.map((id, i) => [id, data[`r${i}`] && data[`r${i}`].agent]));
}

export function Runtimes() {
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(0);
  const { data, error, loading } = usePoll(() => everyPage(LIST, 'runtimes'), []);
  const matching = useMemo(() => (data || []).filter((r) => !search.trim() || r.name.includes(search.trim().toLowerCase())).sort(byName), [data, search]);
  const pages = Math.max(1, Math.ceil(matching.length / PAGE_SIZE));
  const shown = matching.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
  const agents = usePoll(() => agentsOf(shown.map((r) => r.id)), [shown.map((r) => r.id).join()]).data || {};
  return html`<section aria-labelledby="runtimes-title">
    <div class="title-row"><h1 id="runtimes-title">Runtimes</h1>
      <a class="button primary" href=${href('runtimes', 'new')}>Register runtime</a></div>
    <${Field} label="Search" type="search" value=${search} onInput=${(e) => { setSearch(e.target.value); setPage(0); }} />
    <${ErrorBox} error=${error} />
    ${loading ? html`<${Busy} text="Loading runtimes…" />` : html`
      <p class="muted" role="status">${matching.length} runtime${matching.length === 1 ? '' : 's'}</p>
      <div class="table-wrap"><table class="list">
        <thead><tr><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Agent</th><th scope="col">Scenarios</th><th scope="col">Registered</th></tr></thead>
        <tbody>${shown.map((r) => html`<tr>
          <td><a href=${href('runtimes', r.id)}>${r.name}</a></td>
          <td><${Status} condition=${r.status.condition} /></td>
          <td>${agents[r.id] ? html`<${Status} condition=${agents[r.id].available ? 'Available' : 'Unavailable'} /> ${agents[r.id].version || ''}` : html`<span class="muted">none</span>`}</td>
          <td>${scenariosOf(r.labels).join(', ')}</td>
          <td>${when(r.metadata.creationTimestamp)}</td></tr>`)}</tbody>
      </table></div>
      <${Pager} page=${page} pages=${pages} setPage=${setPage} />`}
  </section>`;
}

const REGISTER = 'mutation ($in: RuntimeInput!) { registerRuntime(in: $in) { id } }';

export function RegisterRuntime() {
  const [form, setForm] = useState({ name: '', description: '', scenarios: [] });
  const scenarios = useScenarios();
  const [register, busy, error] = useAction(async () => {
    const input = { name: form.name.trim() };
    if (form.description.trim()) input.description = form.description.trim();
    if (form.scenarios.length) input.labels = { scenarios: form.scenarios };
    const { registerRuntime } = await director(REGISTER, { in: input });
    navigate('runtimes', registerRuntime.id);
  });
  const toggle = (name) => setForm({
    ...form, scenarios: form.scenarios.includes(name) ? form.scenarios.filter((s) => s !== name) : [...form.scenarios, name],
  });
  return html`<section aria-labelledby="register-runtime-title">
    <p><a href=${href('runtimes')}>← Runtimes</a></p>
    <h1 id="register-runtime-title">Register a runtime</h1>
    <form aria-label="Register a runtime" onSubmit=${(e) => { e.preventDefault(); register(); }}>
      <${Field} label="Name" name="name" required value=${form.name} onInput=${(e) => setForm({ ...form, name: e.target.value })} />
      <${Field} label="Description" as="textarea" rows="3" value=${form.description} onInput=${(e) => setForm({ ...form, description: e.target.value })} />
      <fieldset><legend>Scenarios</legend>
        ${(scenarios || []).map((name) => html`<label class="check">
          <input type="checkbox" checked=${form.scenarios.includes(name)} onChange=${() => toggle(name)} /> ${name}</label>`)}
      </fieldset>
      <button type="submit" class="primary" disabled=${busy}>${busy ? 'Registering…' : 'Register'}</button>
    </form>
    <${ErrorBox} error=${error} title="The runtime was not registered" />
  </section>`;
}
