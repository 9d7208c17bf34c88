// Setting and removing one label of an application or a runtime. A value is read as JSON when
// it parses (`["a","b"]`, `{"level":1}`, `3`), else as a string.
import { html, useState } from '../lib.js';
import { director } from '../api.js';
import { ErrorBox, Field, useAction } from '../ui.js';

const MUTATIONS = {
  runtime: {
    set: 'mutation ($id: ID!, $key: String!, $value: Any!) { setRuntimeLabel(runtimeID: $id, key: $key, value: $value) { key } }',
    remove: 'mutation ($id: ID!, $key: String!) { deleteRuntimeLabel(runtimeID: $id, key: $key) { key } }',
  },
  application: {
    set: 'mutation ($id: ID!, $key: String!, $value: Any!) { setApplicationLabel(applicationID: $id, key: $key, value: $value) { key } }',
    remove: 'mutation ($id: ID!, $key: String!) { deleteApplicationLabel(applicationID: $id, key: $key) { key } }',
  },
};

// The labels the Director keeps itself and refuses to change.
const SYSTEM = ['name', 'integration-system-id'];

export function LabelEditor({ kind, id, labels, onSaved }) {
  const m = MUTATIONS[kind];
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [set, busy, error] = useAction(async () => {
    let parsed = value;
    try { parsed = JSON.parse(value); } catch { /* a plain string */ }
    await director(m.set, { id, key: key.trim(), value: parsed });
    setKey('');
    setValue('');
    onSaved();
  });
  const [remove, removing, removeError] = useAction(async (k) => { await director(m.remove, { id, key: k }); onSaved(); });
  const removable = Object.keys(labels || {}).filter((k) => !SYSTEM.includes(k));
  return html`<form class="inline-form" aria-label="Set a label" onSubmit=${(e) => { e.preventDefault(); set(); }}>
    <${Field} label="Label key" value=${key} required onInput=${(e) => setKey(e.target.value)} />
    <${Field} label="Value (JSON or text)" value=${value} required onInput=${(e) => setValue(e.target.value)} />
    <button type="submit" disabled=${busy}>Set label</button>
    ${removable.length > 0 && html`<${Field} label="Remove label" as="select" value="" disabled=${removing}
      onChange=${(e) => e.target.value && remove(e.target.value)}>
      <option value="">Choose a label…</option>${removable.map((k) => html`<option value=${k}>${k}</option>`)}</${Field}>`}
    <${ErrorBox} error=${error || removeError} title="The label was not changed" />
  </form>`;
}
