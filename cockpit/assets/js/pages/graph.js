// The landscape's layout, free of rendering: applications on the left grouped by their first
// scenario, scenarios in the middle, runtimes on the right, an edge for each scenario an object
// is in. Large groups fold into one node until opened; a search keeps the matching objects; a
// focus keeps one node and its neighbours. Pure, so it can be reasoned about on its own.

export const ROW = 30;
export const WIDTH = 900;
export const NODE_W = 230;
const FOLD_AT = 8;
const COLUMNS = { application: 10, scenario: (WIDTH - NODE_W) / 2, runtime: WIDTH - NODE_W - 10 };

function scenariosOf(labels) {
  const value = labels && labels.scenarios;
  return Array.isArray(value) ? value : value ? [value] : [];
}

// Nodes and edges for `apps`, `runtimes` and `scenarios` (names) given the view's state.
export function layout({ apps, runtimes, scenarios }, { search = '', focus = null, opened = new Set() } = {}) {
  const needle = search.trim().toLowerCase();
  const keep = (o) => !needle || o.name.toLowerCase().includes(needle);
  let shownApps = apps.filter(keep);
  let shownRuntimes = runtimes.filter(keep);
  let shownScenarios = [...new Set([...scenarios, ...apps.flatMap((a) => scenariosOf(a.labels)), ...runtimes.flatMap((r) => scenariosOf(r.labels))])];
  if (focus) {
    const [kind, id] = focus.split(':');
    const near = neighbours(kind, id, apps, runtimes);
    shownApps = apps.filter((a) => near.apps.has(a.id));
    shownRuntimes = runtimes.filter((r) => near.runtimes.has(r.id));
    shownScenarios = shownScenarios.filter((s) => near.scenarios.has(s));
  } else if (needle) {
    const used = new Set([...shownApps, ...shownRuntimes].flatMap((o) => scenariosOf(o.labels)));
    shownScenarios = shownScenarios.filter((s) => used.has(s) || s.toLowerCase().includes(needle));
  }
  const nodes = [];
  const edges = [];
  const left = column('application', shownApps, opened, Boolean(focus || needle), nodes);
  const right = column('runtime', shownRuntimes, opened, Boolean(focus || needle), nodes);
  const height = Math.max(left, right, shownScenarios.length * ROW * 1.5, ROW * 3);
  const step = height / Math.max(shownScenarios.length, 1);
  shownScenarios.forEach((name, i) => {
    nodes.push({ key: `scenario:${name}`, kind: 'scenario', label: name, name, x: COLUMNS.scenario, y: step * i + (step - ROW) / 2, health: 'ok' });
  });
  const scenarioKeys = new Set(shownScenarios.map((s) => `scenario:${s}`));
  for (const node of nodes) {
    if (!node.scenarios) continue;
    for (const scenario of node.scenarios) {
      const to = `scenario:${scenario}`;
      if (!scenarioKeys.has(to)) continue;
      if (node.kind === 'application') edges.push({ from: node.key, to });
      else edges.push({ from: to, to: node.key });
    }
  }
  return { nodes, edges, height: height + ROW };
}

// A column of objects grouped by first scenario; a group larger than FOLD_AT folds into one node
// unless opened (or everything is shown because of a search or a focus).
function column(kind, objects, opened, unfold, nodes) {
  const groups = new Map();
  for (const o of [...objects].sort((a, b) => a.name.localeCompare(b.name))) {
    const group = scenariosOf(o.labels)[0] || '(no scenario)';
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group).push(o);
  }
  // A long column folds smaller groups too, so 100 runtimes in groups of five stay one screen.
  const foldAt = objects.length > 40 ? 3 : FOLD_AT;
  let y = 0;
  for (const group of [...groups.keys()].sort()) {
    const members = groups.get(group);
    const groupKey = `group:${kind}:${group}`;
    nodes.push({ key: `${groupKey}:title`, kind: 'title', label: `${group} (${members.length})`, x: COLUMNS[kind], y });
    y += ROW * 0.8;
    if (members.length > foldAt && !unfold && !opened.has(groupKey)) {
      const scenarios = [...new Set(members.flatMap((m) => scenariosOf(m.labels)))];
      const failing = members.filter((m) => health(m.status.condition) === 'bad').length;
      nodes.push({
        key: groupKey, kind, folded: true, group: groupKey, label: `${members.length} ${kind}s — open`,
        x: COLUMNS[kind], y, scenarios, health: failing ? 'bad' : 'ok', detail: failing ? `${failing} failing` : 'all healthy or waiting',
      });
      y += ROW;
    } else {
      for (const o of members) {
        nodes.push({
          key: `${kind}:${o.id}`, kind, id: o.id, name: o.name, label: o.name, x: COLUMNS[kind], y,
          scenarios: scenariosOf(o.labels), health: health(o.status.condition), detail: o.status.condition,
        });
        y += ROW;
      }
    }
    y += ROW * 0.4;
  }
  return y;
}

export function health(condition) {
  if (condition === 'READY') return 'ok';
  if (condition === 'FAILED') return 'bad';
  return 'wait';
}

// The ids near one node: an application's scenarios and the runtimes in them; a runtime's
// scenarios and their applications; a scenario's applications and runtimes.
function neighbours(kind, id, apps, runtimes) {
  const scenarios = new Set();
  if (kind === 'scenario') scenarios.add(id);
  const self = (kind === 'application' ? apps : kind === 'runtime' ? runtimes : []).find((o) => o.id === id);
  if (self) scenariosOf(self.labels).forEach((s) => scenarios.add(s));
  const inAny = (o) => scenariosOf(o.labels).some((s) => scenarios.has(s));
  return {
    scenarios,
    apps: new Set(apps.filter((a) => (kind === 'application' ? a.id === id : inAny(a))).map((a) => a.id)),
    runtimes: new Set(runtimes.filter((r) => (kind === 'runtime' ? r.id === id : inAny(r))).map((r) => r.id)),
  };
}
