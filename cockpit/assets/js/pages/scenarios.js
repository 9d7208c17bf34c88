// Scenarios and label definitions. Scenarios are the enum of the `scenarios` label definition:
// adding one updates that schema; removing one shows what still uses it (the Director refuses
// while something does). Other label definitions are edited as JSON Schema, with a parse error
// or the Director's validation error shown at the field.
import { html, useState } from '../lib.js';
import { director, everyPage, problemAt } from '../api.js';
import { usePoll } from '../poll.js';
import { href } from '../route.js';
import { ErrorBox, Field, Busy, ConfirmButton, useAction, scenariosOf, schemaOf } from '../ui.js';

const DEFINITIONS = 'query { labelDefinitions { key schema } }';
const SCENARIOS = 'query { labelDefinition(key: "scenarios") { schema } }';
const USERS = `query ($first: Int, $after: PageCursor) { applications(first: $first, after: $after) { data { id name labels } pageInfo { endCursor hasNextPage } } }`;
const RUNTIME_USERS = `query ($first: Int, $after: PageCursor) { runtimes(first: $first, after: $after) { data { id name labels } pageInfo { endCursor hasNextPage } } }`;
const UPDATE = 'mutation ($in: LabelDefinitionInput!) { updateLabelDefinition(in: $in) { key } }';
const CREATE = 'mutation ($in: LabelDefinitionInput!) { createLabelDefinition(in: $in) { key } }';
const DELETE = 'mutation ($key: String!, $related: Boolean) { deleteLabelDefinition(key: $key, deleteRelatedLabels: $related) { key } }';

function enumOf(raw) {
  const schema = schemaOf(raw);
  const items = schema && schema.items && schema.items.enum;
  return Array.isArray(items) ? items : [];
}

// The tenant's scenario names, kept current.
export function useScenarios() {
  const { data } = usePoll(() => director(SCENARIOS).then((d) => enumOf(d.labelDefinition && d.labelDefinition.schema)), []);
  return data;
}

async function load() {
  const [defs, apps, runtimes] = await Promise.all([
    director(DEFINITIONS), everyPage(USERS, 'applications'), everyPage(RUNTIME_USERS, 'runtimes'),
  ]);
  const definitions = defs.labelDefinitions.map((d) => ({ ...d, schema: schemaOf(d.schema) }));
  return { definitions, users: [...apps.map((a) => ({ ...a, kind: 'applications' })), ...runtimes.map((r) => ({ ...r, kind: 'runtimes' }))] };
}

export function Scenarios() {
  const { data, error, loading, refresh } = usePoll(load, []);
  if (loading) return html`<${Busy} text="Loading scenarios and label definitions…" />`;
  if (!data) return html`<${ErrorBox} error=${error} />`;
  const scenarios = data.definitions.find((d) => d.key === 'scenarios');
  const others = data.definitions.filter((d) => d.key !== 'scenarios');
  return html`<section aria-labelledby="scenarios-title">
    <h1 id="scenarios-title">Scenarios and label definitions</h1>
    <${ErrorBox} error=${error} />
    <${ScenarioList} schema=${scenarios && scenarios.schema} users=${data.users} onChange=${refresh} />
    <section class="card" aria-labelledby="defs-title"><h2 id="defs-title">Label definitions</h2>
      ${others.map((d) => html`<${Definition} key=${d.key} definition=${d} users=${data.users.filter((u) => u.labels && d.key in u.labels)} onChange=${refresh} />`)}
      <${DefinitionForm} onSaved=${refresh} />
    </section>
  </section>`;
}

function Users({ users }) {
  if (!users.length) return html`<span class="muted">nothing uses it</span>`;
  return html`<span>used by ${users.map((u) => html`<a href=${href(u.kind, u.id)}>${u.name}</a> `)}</span>`;
}

function ScenarioList({ schema, users, onChange }) {
  const names = enumOf(schema);
  const [name, setName] = useState('');
  const save = (next) => director(UPDATE, { in: { key: 'scenarios', schema: { ...schema, items: { ...(schema.items || {}), type: 'string', enum: next } } } });
  const [add, busy, error] = useAction(async () => { await save([...names, name.trim()]); setName(''); onChange(); });
  const [remove, removing, removeError] = useAction(async (gone) => { await save(names.filter((n) => n !== gone)); onChange(); });
  return html`<section class="card" aria-labelledby="scen-title"><h2 id="scen-title">Scenarios</h2>
    <ul class="scenarios">${names.map((n) => {
      const using = users.filter((u) => scenariosOf(u.labels).includes(n));
      return html`<li><span class="badge">${n}</span> <${Users} users=${using} />
        ${n !== 'DEFAULT' && html` <${ConfirmButton} label="Delete" busy=${removing} onConfirm=${() => remove(n)}
          question=${using.length ? `${n} is still used by ${using.map((u) => u.name).join(', ')}; the Director refuses until they leave it. Try anyway?` : `Delete the scenario ${n}?`} />`}</li>`;
    })}</ul>
    <form class="inline-form" aria-label="Add a scenario" onSubmit=${(e) => { e.preventDefault(); add(); }}>
      <${Field} label="New scenario" value=${name} required onInput=${(e) => setName(e.target.value)} error=${problemAt(error, 'schema')} />
      <button type="submit" disabled=${busy}>Add scenario</button>
    </form>
    <${ErrorBox} error=${error || removeError} title="The scenarios were not changed" />
  </section>`;
}

function Definition({ definition, users, onChange }) {
  const [editing, setEditing] = useState(false);
  const [remove, busy, error] = useAction(async () => { await director(DELETE, { key: definition.key, related: users.length > 0 }); onChange(); });
  if (editing) return html`<${DefinitionForm} definition=${definition} onSaved=${() => { setEditing(false); onChange(); }} onCancel=${() => setEditing(false)} />`;
  return html`<article class="definition">
    <h3><code>${definition.key}</code></h3> <${Users} users=${users} />
    <pre class="raw">${definition.schema ? JSON.stringify(definition.schema, null, 2) : 'any value'}</pre>
    <button onClick=${() => setEditing(true)}>Edit</button>
    <${ConfirmButton} label="Delete" busy=${busy} onConfirm=${remove}
      question=${users.length ? `Delete ${definition.key}? Its label goes from ${users.map((u) => u.name).join(', ')}.` : `Delete ${definition.key}?`} />
    <${ErrorBox} error=${error} />
  </article>`;
}

function DefinitionForm({ definition, onSaved, onCancel }) {
  const [key, setKey] = useState(definition ? definition.key : '');
  const [text, setText] = useState(definition && definition.schema ? JSON.stringify(definition.schema, null, 2) : '');
  const [parseError, setParseError] = useState(null);
  const [save, busy, error] = useAction(async () => {
    let schema = null;
    if (text.trim()) {
      try { schema = JSON.parse(text); setParseError(null); } catch (failure) { setParseError(`Not JSON: ${failure.message}`); return; }
    }
    await director(definition ? UPDATE : CREATE, { in: { key: key.trim(), schema } });
    if (!definition) { setKey(''); setText(''); }
    onSaved();
  });
  return html`<form class="definition-form" aria-label=${definition ? `Edit ${definition.key}` : 'Define a label'} onSubmit=${(e) => { e.preventDefault(); save(); }}>
    ${!definition && html`<h3>Define a label</h3>`}
    <${Field} label="Key" value=${key} required readonly=${!!definition} onInput=${(e) => setKey(e.target.value)} error=${problemAt(error, 'key')} />
    <${Field} label="JSON Schema" as="textarea" rows="6" class="mono" value=${text} onInput=${(e) => setText(e.target.value)}
      error=${parseError || problemAt(error, 'schema')} hint="Empty for any value." />
    <button type="submit" class="primary" disabled=${busy}>${definition ? 'Save' : 'Define'}</button>
    ${onCancel && html` <button type="button" onClick=${onCancel}>Cancel</button>`}
    <${ErrorBox} error=${error} title="Not saved" />
  </form>`;
}
