// API and event specs rendered as what a reader looks for: an OpenAPI spec as its operations
// (method, path, summary, parameters, responses), an AsyncAPI spec as its channels and messages.
// Specs are JSON or YAML text; an unreadable one is shown as text with the parser's complaint.
import { html } from './lib.js';
import { load } from '../vendor/js-yaml-4.1.0.mjs';
import { Markdown } from './markdown.js';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export function parseSpec(data) {
  if (!data) return { value: null, error: null };
  try {
    return { value: JSON.parse(data), error: null };
  } catch {
    try {
      return { value: load(data, { json: true }), error: null };
    } catch (failure) {
      return { value: null, error: failure.message };
    }
  }
}

// A local `$ref` (`#/components/...`) followed once, so parameters and responses show their content.
function resolve(spec, node) {
  if (node && typeof node.$ref === 'string' && node.$ref.startsWith('#/')) {
    return node.$ref.slice(2).split('/').reduce((at, key) => (at ? at[key.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), spec) || node;
  }
  return node;
}

function schemaName(schema) {
  if (!schema) return '';
  if (schema.$ref) return schema.$ref.split('/').pop();
  if (schema.type === 'array') return `${schemaName(schema.items)}[]`;
  if (schema.enum) return `${schema.type || ''} (${schema.enum.join(' | ')})`;
  return schema.type || 'object';
}

export function OpenApi({ data }) {
  const { value: spec, error } = parseSpec(data);
  if (error || !spec || typeof spec !== 'object') return html`<${RawSpec} data=${data} error=${error} />`;
  const operations = [];
  for (const [path, item] of Object.entries(spec.paths || {})) {
    const shared = (item && item.parameters) || [];
    for (const method of METHODS) {
      if (item && item[method]) operations.push({ path, method, op: item[method], shared });
    }
  }
  return html`<div class="openapi">
    ${spec.info && html`<p><strong>${spec.info.title}</strong> ${spec.info.version && html`<span class="muted">version ${spec.info.version}</span>`}</p>`}
    ${operations.length === 0 && html`<p class="muted">The spec names no operations.</p>`}
    ${operations.map(({ path, method, op, shared }) => html`<details class="operation">
      <summary><span class=${`method method-${method}`}>${method.toUpperCase()}</span> <code class="path">${path}</code> <span class="summary">${op.summary || op.operationId || ''}</span></summary>
      <${Markdown} text=${op.description} />
      <${Parameters} spec=${spec} list=${[...shared, ...(op.parameters || [])]} body=${resolve(spec, op.requestBody)} />
      <${Responses} spec=${spec} responses=${op.responses} />
    </details>`)}
  </div>`;
}

function Parameters({ spec, list, body }) {
  const params = list.map((p) => resolve(spec, p)).filter(Boolean);
  if (!params.length && !body) return html`<p class="muted">No parameters.</p>`;
  return html`<table class="params"><caption>Parameters</caption>
    <thead><tr><th scope="col">Name</th><th scope="col">In</th><th scope="col">Type</th><th scope="col">Description</th></tr></thead>
    <tbody>
      ${params.map((p) => html`<tr><td><code>${p.name}</code>${p.required ? ' *' : ''}</td><td>${p.in}</td><td>${schemaName(p.schema)}</td><td>${p.description || ''}</td></tr>`)}
      ${body && html`<tr><td><code>body</code>${body.required ? ' *' : ''}</td><td>body</td><td>${Object.entries(body.content || {}).map(([type, c]) => `${type}: ${schemaName(c.schema)}`).join(', ')}</td><td>${body.description || ''}</td></tr>`}
    </tbody></table>`;
}

function Responses({ spec, responses }) {
  const entries = Object.entries(responses || {});
  if (!entries.length) return null;
  return html`<table class="responses"><caption>Responses</caption>
    <thead><tr><th scope="col">Status</th><th scope="col">Description</th><th scope="col">Content</th></tr></thead>
    <tbody>${entries.map(([status, raw]) => {
      const response = resolve(spec, raw) || {};
      const content = Object.entries(response.content || {}).map(([type, c]) => `${type}: ${schemaName(c.schema)}`).join(', ');
      return html`<tr><td><code>${status}</code></td><td>${response.description || ''}</td><td>${content}</td></tr>`;
    })}</tbody></table>`;
}

export function AsyncApi({ data }) {
  const { value: spec, error } = parseSpec(data);
  if (error || !spec || typeof spec !== 'object') return html`<${RawSpec} data=${data} error=${error} />`;
  const channels = Object.entries(spec.channels || {});
  return html`<div class="asyncapi">
    ${spec.info && html`<p><strong>${spec.info.title}</strong> ${spec.info.version && html`<span class="muted">version ${spec.info.version}</span>`}</p>`}
    ${channels.length === 0 && html`<p class="muted">The spec names no channels.</p>`}
    <ul class="channels">${channels.map(([name, channel]) => html`<li>
      <code class="path">${channel && channel.address ? channel.address : name}</code>
      <${Messages} spec=${spec} channel=${channel || {}} />
    </li>`)}</ul>
  </div>`;
}

// AsyncAPI 2 puts messages under publish/subscribe; AsyncAPI 3 under the channel's messages.
function Messages({ spec, channel }) {
  const found = [];
  for (const verb of ['publish', 'subscribe']) {
    const op = channel[verb];
    const message = op && resolve(spec, op.message);
    if (message) {
      const refs = message.oneOf || [op.message];
      refs.forEach((ref) => {
        const m = resolve(spec, ref) || {};
        const named = ref && ref.$ref ? ref.$ref.split('/').pop() : undefined;
        found.push({ verb, message: { ...m, name: m.name || m.title || named, summary: m.summary || op.summary } });
      });
    }
  }
  for (const [key, m] of Object.entries(channel.messages || {})) found.push({ verb: 'message', message: { name: key, ...(resolve(spec, m) || {}) } });
  if (!found.length) return html`<p class="muted">No messages.</p>`;
  return html`<ul class="messages">${found.map(({ verb, message }) => html`<li>
    <span class="badge">${verb}</span> <strong>${message.name || message.title || 'message'}</strong>
    ${message.summary && html` — ${message.summary}`}
    ${message.payload && html` <span class="muted">payload: ${schemaName(resolve(spec, message.payload))}${payloadFields(resolve(spec, message.payload))}</span>`}
  </li>`)}</ul>`;
}

function payloadFields(payload) {
  const names = Object.keys((payload && payload.properties) || {});
  return names.length ? ` { ${names.join(', ')} }` : '';
}

function RawSpec({ data, error }) {
  return html`<div>
    ${error && html`<p class="field-error">The spec could not be read: ${error}</p>`}
    ${data ? html`<pre class="raw">${data}</pre>` : html`<p class="muted">No content yet.</p>`}
  </div>`;
}
