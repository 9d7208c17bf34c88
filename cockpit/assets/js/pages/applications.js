// The Applications list (search, label filters in the Director's syntax, paging) and the
// register form (common fields, or the full ApplicationRegisterInput as JSON).
import { html, useState, useMemo } from '../lib.js';
import { everyPage, director, problemAt } from '../api.js';
import { usePoll } from '../poll.js';
import { href, navigate } from '../route.js';
import { ErrorBox, Field, Status, Busy, useAction, scenariosOf } from '../ui.js';
import { useScenarios } from './scenarios.js';

const LIST = `query ($filter: [LabelFilter!], $first: Int, $after: PageCursor) {
  applications(filter: $filter, first: $first, after: $after) {
    data { id name providerName description labels status { condition } }
    pageInfo { endCursor hasNextPage }
  } }`;

const PAGE_SIZE = 25;

// Label filters typed one a line: `key` or `key: query` (the query is JSON the value contains, or
// for `scenarios` a JSON path such as `$[*] ? (@ == "marketing")`).
export function parseFilters(text) {
  return text.split('\n').map((line) => line.trim()).filter(Boolean).map((line) => {
    const colon = line.indexOf(':');
    if (colon < 0) return { key: line };
    return { key: line.slice(0, colon).trim(), query: line.slice(colon + 1).trim() };
  });
}

export function Applications() {
  const [search, setSearch] = useState('');
  const [filterText, setFilterText] = useState('');
  const [filters, setFilters] = useState([]);
  const [page, setPage] = useState(0);
  const key = JSON.stringify(filters);
  const { data, error, loading } = usePoll(
    () => everyPage(LIST, 'applications', filters.length ? { filter: filters } : {}), [key],
  );
  const matching = useMemo(() => (data || []).filter((app) => matches(app, search)).sort(byName), [data, search]);
  const pages = Math.max(1, Math.ceil(matching.length / PAGE_SIZE));
  const shown = matching.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
  return html`<section aria-labelledby="apps-title">
    <div class="title-row">
      <h1 id="apps-title">Applications</h1>
      <a class="button primary" href=${href('applications', 'new')}>Register application</a>
    </div>
    <form class="filters" onSubmit=${(e) => { e.preventDefault(); setFilters(parseFilters(filterText)); setPage(0); }}>
      <${Field} label="Search" type="search" value=${search} placeholder="name, provider, description"
        onInput=${(e) => { setSearch(e.target.value); setPage(0); }} />
      <${Field} label="Label filters" as="textarea" rows="2" value=${filterText}
        onInput=${(e) => setFilterText(e.target.value)}
        hint=${'One a line: key, or key: query — e.g. region: "eu", or scenarios: $[*] ? (@ == "marketing")'} />
      <button type="submit">Apply filters</button>
    </form>
    <${ErrorBox} error=${error} />
    ${loading ? html`<${Busy} text="Loading applications…" />` : html`
      <p class="muted" role="status">${matching.length} application${matching.length === 1 ? '' : 's'}</p>
      <div class="table-wrap"><table class="list">
        <thead><tr><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Scenarios</th><th scope="col">Provider</th></tr></thead>
        <tbody>${shown.map((app) => html`<tr>
          <td><a href=${href('applications', app.id)}>${app.name}</a></td>
          <td><${Status} condition=${app.status.condition} /></td>
          <td>${scenariosOf(app.labels).join(', ')}</td>
          <td>${app.providerName || ''}</td>
        </tr>`)}</tbody>
      </table></div>
      <${Pager} page=${page} pages=${pages} setPage=${setPage} />`}
  </section>`;
}

export function byName(a, b) {
  return a.name.localeCompare(b.name);
}

function matches(item, search) {
  const needle = search.trim().toLowerCase();
  if (!needle) return true;
  return [item.name, item.providerName, item.description].some((v) => v && v.toLowerCase().includes(needle));
}

export function Pager({ page, pages, setPage }) {
  if (pages <= 1) return null;
  return html`<nav class="pager" aria-label="Pages">
    <button disabled=${page === 0} onClick=${() => setPage(page - 1)}>Previous</button>
    <span>Page ${page + 1} of ${pages}</span>
    <button disabled=${page + 1 >= pages} onClick=${() => setPage(page + 1)}>Next</button>
  </nav>`;
}

const REGISTER = 'mutation ($in: ApplicationRegisterInput!) { registerApplication(in: $in) { id name } }';

export function RegisterApplication() {
  const [mode, setMode] = useState('form');
  const [form, setForm] = useState({ name: '', providerName: '', description: '', healthCheckURL: '', scenarios: [] });
  const [json, setJson] = useState('');
  const [jsonError, setJsonError] = useState(null);
  const scenarios = useScenarios();
  const input = () => {
    const value = { name: form.name.trim() };
    for (const key of ['providerName', 'description', 'healthCheckURL']) if (form[key].trim()) value[key] = form[key].trim();
    if (form.scenarios.length) value.labels = { scenarios: form.scenarios };
    return value;
  };
  const [register, busy, error] = useAction(async (value) => {
    const { registerApplication } = await director(REGISTER, { in: value });
    navigate('applications', registerApplication.id);
  });
  const submit = (event) => {
    event.preventDefault();
    if (mode === 'form') return register(input());
    try {
      const value = JSON.parse(json);
      setJsonError(null);
      return register(value);
    } catch (failure) {
      setJsonError(`Not JSON: ${failure.message}`);
      return undefined;
    }
  };
  const set = (key) => (e) => setForm({ ...form, [key]: e.target.value });
  const toggle = (name) => setForm({
    ...form, scenarios: form.scenarios.includes(name) ? form.scenarios.filter((s) => s !== name) : [...form.scenarios, name],
  });
  const switchTo = (next) => {
    if (next === 'json' && !json) setJson(JSON.stringify(input(), null, 2));
    setMode(next);
  };
  return html`<section aria-labelledby="register-title">
    <p><a href=${href('applications')}>← Applications</a></p>
    <h1 id="register-title">Register an application</h1>
    <div class="tabs" role="group" aria-label="Input">
      <button aria-pressed=${mode === 'form'} onClick=${() => switchTo('form')}>Form</button>
      <button aria-pressed=${mode === 'json'} onClick=${() => switchTo('json')}>JSON (full input)</button>
    </div>
    <form onSubmit=${submit} aria-label="Register an application">
      ${mode === 'form' ? html`
        <${Field} label="Name" name="name" required value=${form.name} onInput=${set('name')} error=${problemAt(error, 'name')}
          hint="Lower-case letters, digits and dashes, at most 36 characters, not starting with a digit." />
        <${Field} label="Provider" name="providerName" value=${form.providerName} onInput=${set('providerName')} />
        <${Field} label="Description" as="textarea" name="description" rows="3" value=${form.description} onInput=${set('description')} error=${problemAt(error, 'description')} />
        <${Field} label="Health check URL" name="healthCheckURL" type="url" value=${form.healthCheckURL} onInput=${set('healthCheckURL')} error=${problemAt(error, 'healthCheckURL')} />
        <fieldset><legend>Scenarios</legend>
          ${(scenarios || []).map((name) => html`<label class="check">
            <input type="checkbox" checked=${form.scenarios.includes(name)} onChange=${() => toggle(name)} /> ${name}</label>`)}
        </fieldset>` : html`
        <${Field} label="ApplicationRegisterInput (JSON)" as="textarea" name="json" rows="16" class="mono"
          value=${json} onInput=${(e) => setJson(e.target.value)} error=${jsonError}
          hint="Every field of the Director's ApplicationRegisterInput: webhooks, apiDefinitions, eventDefinitions, documents…" />`}
      <button type="submit" class="primary" disabled=${busy}>${busy ? 'Registering…' : 'Register'}</button>
    </form>
    <${ErrorBox} error=${error} title="The application was not registered" />
  </section>`;
}
