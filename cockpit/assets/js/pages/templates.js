// Application templates: list, create (the application input as JSON, placeholders found in
// it), delete, and register an application from one through a form made of its placeholders.
import { html, useState } from '../lib.js';
import { director, everyPage, problemAt } from '../api.js';
import { usePoll } from '../poll.js';
import { href, navigate } from '../route.js';
import { ErrorBox, Field, Busy, ConfirmButton, useAction } from '../ui.js';

const LIST = `query ($first: Int, $after: PageCursor) { applicationTemplates(first: $first, after: $after) {
  data { id name description applicationInput placeholders { name description } accessLevel } pageInfo { endCursor hasNextPage } } }`;
const CREATE = 'mutation ($in: ApplicationTemplateInput!) { createApplicationTemplate(in: $in) { id } }';
const DELETE = 'mutation ($id: ID!) { deleteApplicationTemplate(id: $id) { id } }';
const FROM = 'mutation ($in: ApplicationFromTemplateInput!) { registerApplicationFromTemplate(in: $in) { id } }';

// The `{{placeholder}}` names a template's input uses, in order of appearance.
export function placeholdersIn(text) {
  return [...new Set([...String(text).matchAll(/\{\{\s*([A-Za-z0-9_-]+)\s*\}\}/g)].map((m) => m[1]))];
}

export function Templates({ id }) {
  const { data, error, loading, refresh } = usePoll(() => everyPage(LIST, 'applicationTemplates'), []);
  if (loading) return html`<${Busy} text="Loading templates…" />`;
  const templates = data || [];
  const chosen = id && templates.find((t) => t.id === id);
  if (id) {
    return chosen ? html`<${FromTemplate} template=${chosen} />`
      : html`<section><p><a href=${href('templates')}>← Templates</a></p><h1>Not found</h1><p>No template <code>${id}</code>.</p></section>`;
  }
  return html`<section aria-labelledby="templates-title">
    <h1 id="templates-title">Application templates</h1>
    <${ErrorBox} error=${error} />
    ${templates.length === 0 && html`<p class="muted">None.</p>`}
    ${templates.map((t) => html`<${Template} key=${t.id} template=${t} onChange=${refresh} />`)}
    <${CreateTemplate} onSaved=${refresh} />
  </section>`;
}

function Template({ template, onChange }) {
  const [remove, busy, error] = useAction(async () => { await director(DELETE, { id: template.id }); onChange(); });
  return html`<article class="card">
    <h2>${template.name}</h2>
    <p>${template.description || ''}</p>
    <p>Placeholders: ${template.placeholders.map((p) => html`<code>${p.name}</code> `)}</p>
    <div class="actions"><a class="button primary" href=${href('templates', template.id)}>Register an application from it</a>
      <${ConfirmButton} label="Delete" busy=${busy} onConfirm=${remove} question=${`Delete ${template.name}? Applications registered from it stay.`} /></div>
    <${ErrorBox} error=${error} />
  </article>`;
}

function FromTemplate({ template }) {
  const [values, setValues] = useState({});
  const [register, busy, error] = useAction(async () => {
    const input = { templateName: template.name, values: template.placeholders.map((p) => ({ placeholder: p.name, value: values[p.name] || '' })) };
    const data = await director(FROM, { in: input });
    navigate('applications', data.registerApplicationFromTemplate.id);
  });
  return html`<section aria-labelledby="from-title">
    <p><a href=${href('templates')}>← Templates</a></p>
    <h1 id="from-title">Register from ${template.name}</h1>
    <form aria-label=${`Register from ${template.name}`} onSubmit=${(e) => { e.preventDefault(); register(); }}>
      ${template.placeholders.map((p) => html`<${Field} label=${p.name} hint=${p.description} required value=${values[p.name] || ''}
        onInput=${(e) => setValues({ ...values, [p.name]: e.target.value })} error=${problemAt(error, p.name)} />`)}
      <button type="submit" class="primary" disabled=${busy}>Register</button>
    </form>
    <${ErrorBox} error=${error} title="Not registered" />
  </section>`;
}

function CreateTemplate({ onSaved }) {
  const [form, setForm] = useState({ name: '', description: '', input: '{\n  "name": "{{name}}"\n}' });
  const [parseError, setParseError] = useState(null);
  const [save, busy, error] = useAction(async () => {
    let applicationInput;
    try { applicationInput = JSON.parse(form.input); setParseError(null); } catch (failure) { setParseError(`Not JSON: ${failure.message}`); return; }
    const placeholders = placeholdersIn(form.input).map((name) => ({ name }));
    await director(CREATE, { in: { name: form.name.trim(), description: form.description.trim() || null, applicationInput, placeholders, accessLevel: 'GLOBAL' } });
    setForm({ name: '', description: '', input: '{\n  "name": "{{name}}"\n}' });
    onSaved();
  });
  return html`<form class="card" aria-label="Create a template" onSubmit=${(e) => { e.preventDefault(); save(); }}>
    <h2>Create a template</h2>
    <${Field} label="Name" required value=${form.name} onInput=${(e) => setForm({ ...form, name: e.target.value })} error=${problemAt(error, 'name')} />
    <${Field} label="Description" value=${form.description} onInput=${(e) => setForm({ ...form, description: e.target.value })} />
    <${Field} label="Application input (JSON with {{placeholders}})" as="textarea" rows="8" class="mono" value=${form.input}
      onInput=${(e) => setForm({ ...form, input: e.target.value })} error=${parseError || problemAt(error, 'applicationInput')} />
    <button type="submit" class="primary" disabled=${busy}>Create</button>
    <${ErrorBox} error=${error} title="Not created" />
  </form>`;
}
