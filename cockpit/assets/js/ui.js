// Small shared pieces of every view: error display, status badges, labels, labelled fields,
// confirmation, copy-ready values and the busy state of an action.
import { html, useState, useRef, useEffect } from './lib.js';

// Every problem of an ApiError (or any error) with its message, code and path.
export function ErrorBox({ error, title = 'The request failed' }) {
  if (!error) return null;
  const problems = error.problems || [{ message: error.message || String(error) }];
  return html`<div class="error" role="alert">
    <strong>${title}</strong>
    <ul>${problems.map((p) => html`<li>
      <span class="error-message">${p.message}</span>
      ${p.code && html` <code class="error-code">${p.code}</code>`}
      ${p.field && html` <span class="error-field">field <code>${p.field}</code></span>`}
      ${p.path && html` <span class="error-path">in ${p.path}</span>`}
    </li>`)}</ul>
  </div>`;
}

const STATES = {
  READY: ['ok', '●', 'Ready'], CONNECTED: ['ok', '●', 'Connected'], SUCCEEDED: ['ok', '●', 'Succeeded'],
  Succeeded: ['ok', '●', 'Succeeded'], Connected: ['ok', '●', 'Connected'],
  INITIAL: ['wait', '◌', 'Initial'], UNKNOWN: ['wait', '?', 'Unknown'], Pending: ['wait', '◌', 'Pending'],
  InProgress: ['wait', '◐', 'In progress'], Disconnected: ['bad', '✕', 'Disconnected'],
  FAILED: ['bad', '✕', 'Failed'], Failed: ['bad', '✕', 'Failed'],
  Available: ['ok', '●', 'Available'], Unavailable: ['bad', '✕', 'Unavailable'],
  Synchronized: ['ok', '●', 'Synchronized'],
};

// A state as text with a symbol, so it does not rest on colour alone.
export function Status({ condition }) {
  const [kind, symbol, text] = STATES[condition] || ['wait', '?', condition || 'Unknown'];
  return html`<span class="status status-${kind}"><span aria-hidden="true">${symbol}</span> ${text}</span>`;
}

export function health(condition) {
  return (STATES[condition] || ['wait'])[0];
}

// The labels of an object, values shown as JSON where they are not strings.
export function Labels({ labels }) {
  const entries = Object.entries(labels || {});
  if (!entries.length) return html`<p class="muted">No labels.</p>`;
  return html`<dl class="labels">${entries.map(([key, value]) => html`
    <div><dt>${key}</dt><dd>${typeof value === 'string' ? value : JSON.stringify(value)}</dd></div>`)}
  </dl>`;
}

export function scenariosOf(labels) {
  const value = labels && labels.scenarios;
  return Array.isArray(value) ? value : value ? [value] : [];
}

let fieldIds = 0;

// A labelled input, textarea or select; `hint` and `error` are tied to it for screen readers.
export function Field({ label, as = 'input', hint, error, children, ...props }) {
  const id = useRef(props.id || `field-${(fieldIds += 1)}`).current;
  const described = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ') || undefined;
  const control = as === 'textarea'
    ? html`<textarea id=${id} aria-describedby=${described} aria-invalid=${error ? 'true' : undefined} ...${props} />`
    : as === 'select'
      ? html`<select id=${id} aria-describedby=${described} ...${props}>${children}</select>`
      : html`<input id=${id} aria-describedby=${described} aria-invalid=${error ? 'true' : undefined} ...${props} />`;
  return html`<div class="field">
    <label for=${id}>${label}</label>
    ${control}
    ${hint && html`<small id=${`${id}-hint`} class="hint">${hint}</small>`}
    ${error && html`<small id=${`${id}-error`} class="field-error" role="alert">${error}</small>`}
  </div>`;
}

// Runs an async action once at a time: [run, busy, error, reset].
export function useAction(action) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const run = async (...args) => {
    setBusy(true);
    setError(null);
    try {
      return await action(...args);
    } catch (failure) {
      setError(failure);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return [run, busy, error, () => setError(null)];
}

// A destructive button that asks first, in the page: what goes and what still uses it.
export function ConfirmButton({ label, question, onConfirm, busy }) {
  const [asking, setAsking] = useState(false);
  const confirm = useRef(null);
  useEffect(() => { if (asking && confirm.current) confirm.current.focus(); }, [asking]);
  if (!asking) return html`<button class="danger" onClick=${() => setAsking(true)}>${label}</button>`;
  return html`<div class="confirm" role="group" aria-label="Confirm">
    <p>${question}</p>
    <button ref=${confirm} class="danger" disabled=${busy} onClick=${async () => { await onConfirm(); setAsking(false); }}>
      ${busy ? 'Working…' : `Yes, ${label.toLowerCase()}`}</button>
    <button onClick=${() => setAsking(false)}>Cancel</button>
  </div>`;
}

// A value to copy (a token, a command): shown read-only with a Copy button.
export function CopyField({ label, value, rows = 2 }) {
  const [copied, setCopied] = useState(false);
  const id = useRef(`copy-${(fieldIds += 1)}`).current;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      // Without clipboard permission, select the text and use the older copy command.
      const area = document.getElementById(id);
      area.select();
      document.execCommand('copy');
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  };
  return html`<div class="copy field">
    <label for=${id}>${label}</label>
    <textarea id=${id} class="mono" readonly rows=${rows} value=${value}></textarea>
    <div><button onClick=${copy}>Copy</button> <span role="status" class="muted">${copied ? 'Copied' : ''}</span></div>
  </div>`;
}

// The shown status of a long action.
export function Busy({ text = 'Working…' }) {
  return html`<span class="busy" role="status"><span class="spinner" aria-hidden="true"></span> ${text}</span>`;
}

export function when(timestamp) {
  if (!timestamp) return '';
  const date = new Date(timestamp);
  return Number.isNaN(date.getTime()) ? String(timestamp) : date.toLocaleString();
}

// A JSONSchema value as an object: the Director sends it as JSON text, as the original did.
export function schemaOf(value) {
  if (typeof value !== 'string') return value || null;
  try {
    return JSON.parse(value);
  } catch {
    return null;
  }
}
