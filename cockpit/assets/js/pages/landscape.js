// The Landscape: the tenant's applications, scenarios and runtimes as an SVG graph, kept current.
// Each node shows its health by colour and symbol; a node is a button: Enter or a click focuses
// it (it and its neighbours only), a folded group opens. Search keeps the matching objects.
import { html, useState, useMemo } from '../lib.js';
import { everyPage, director } from '../api.js';
import { usePoll } from '../poll.js';
import { href } from '../route.js';
import { ErrorBox, Field, Busy, schemaOf } from '../ui.js';
import { layout, ROW, WIDTH, NODE_W } from './graph.js';

const APPS = `query ($first: Int, $after: PageCursor) { applications(first: $first, after: $after) {
  data { id name labels status { condition } } pageInfo { endCursor hasNextPage } } }`;
const RUNTIMES = `query ($first: Int, $after: PageCursor) { runtimes(first: $first, after: $after) {
  data { id name labels status { condition } } pageInfo { endCursor hasNextPage } } }`;
const SCENARIOS = 'query { labelDefinition(key: "scenarios") { schema } }';

async function load() {
  const [apps, runtimes, scenarios] = await Promise.all([
    everyPage(APPS, 'applications'), everyPage(RUNTIMES, 'runtimes'), director(SCENARIOS),
  ]);
  const schema = schemaOf(scenarios.labelDefinition && scenarios.labelDefinition.schema);
  return { apps, runtimes, scenarios: (schema && schema.items && schema.items.enum) || [] };
}

const SYMBOL = { ok: '●', wait: '◌', bad: '✕' };
const KIND = { application: 'Application', runtime: 'Runtime', scenario: 'Scenario' };

export function Landscape({ params }) {
  const { data, error, loading } = usePoll(load, []);
  const [search, setSearch] = useState('');
  const [opened, setOpened] = useState(new Set());
  const focus = params.get('focus');
  const graph = useMemo(() => data && layout(data, { search, focus, opened }), [data, search, focus, opened]);
  if (loading) return html`<${Busy} text="Loading the landscape…" />`;
  if (!graph) return html`<${ErrorBox} error=${error} />`;
  const at = new Map(graph.nodes.map((n) => [n.key, n]));
  const activate = (node) => {
    if (node.folded) setOpened(new Set([...opened, node.group]));
    else if (node.kind !== 'title') location.hash = `#/landscape?focus=${encodeURIComponent(`${node.kind}:${node.kind === 'scenario' ? node.name : node.id}`)}`;
  };
  const counts = `${data.apps.length} applications, ${data.scenarios.length} scenarios, ${data.runtimes.length} runtimes`;
  return html`<section aria-labelledby="landscape-title">
    <div class="title-row"><h1 id="landscape-title">Landscape</h1><span class="muted">${counts}</span></div>
    <div class="toolbar">
      <${Field} label="Search the landscape" type="search" value=${search} onInput=${(e) => setSearch(e.target.value)} />
      ${focus && html`<a class="button" href=${href('landscape')}>Show everything</a>`}
      ${focus && !focus.startsWith('scenario:') && html`<a class="button" href=${href(focus.startsWith('application:') ? 'applications' : 'runtimes', focus.split(':')[1])}>Open details</a>`}
    </div>
    <${ErrorBox} error=${error} title="Refreshing failed; showing the last answer" />
    <p class="legend"><span class="status status-ok">● ready</span> <span class="status status-wait">◌ waiting</span> <span class="status status-bad">✕ failed</span>
      <span class="muted">Enter or click a node to focus it with its neighbours.</span></p>
    <div class="graph-wrap">
      <svg class="graph" viewBox=${`0 0 ${WIDTH} ${graph.height}`} width=${WIDTH} height=${graph.height} role="group" aria-label=${`Landscape: ${counts}`}>
        <g class="edges" aria-hidden="true">${graph.edges.map((e) => {
          const a = at.get(e.from);
          const b = at.get(e.to);
          const x1 = a.x + NODE_W; const y1 = a.y + ROW / 2 - 3; const x2 = b.x; const y2 = b.y + ROW / 2 - 3;
          const mid = (x1 + x2) / 2;
          return html`<path class="edge" data-from=${nodeName(a)} data-to=${nodeName(b)} d=${`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`} />`;
        })}</g>
        ${graph.nodes.map((n) => (n.kind === 'title'
          ? html`<text class="group-title" x=${n.x + 4} y=${n.y + ROW * 0.6}>${n.label}</text>`
          : html`<g class=${`node node-${n.kind} health-${n.health}${focus === `${n.kind}:${n.id || n.name}` ? ' focused' : ''}`}
              data-name=${nodeName(n)} tabindex="0" role="button"
              aria-label=${`${KIND[n.kind]} ${n.label}${n.detail ? `, ${n.detail}` : ''}`}
              onClick=${() => activate(n)} onKeyDown=${(e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); activate(n); } }}>
              <title>${KIND[n.kind]} ${n.label}${n.detail ? ` (${n.detail})` : ''}</title>
              <rect x=${n.x} y=${n.y} width=${NODE_W} height=${ROW - 6} rx="6" />
              <text class="symbol" x=${n.x + 8} y=${n.y + (ROW - 6) / 2 + 1}>${n.kind === 'scenario' ? '◆' : SYMBOL[n.health]}</text>
              <text x=${n.x + 26} y=${n.y + (ROW - 6) / 2 + 1}>${truncate(n.label)}</text>
            </g>`))}
      </svg>
    </div>
  </section>`;
}

// How tests and tooltips name a node: `application:orders`, `scenario:marketing`.
function nodeName(n) {
  return n.folded ? n.key : `${n.kind}:${n.name || n.label}`;
}

function truncate(text) {
  return text.length > 30 ? `${text.slice(0, 29)}…` : text;
}
