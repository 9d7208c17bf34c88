// The signed-in frame: navigation, tenant switcher, sign-out, and the view the route names.
import { html, useState, useEffect } from './lib.js';
import { setCredentials, onUnauthenticated } from './api.js';
import { loadSession, saveSession } from './session.js';
import { useRoute, href } from './route.js';
import { SignIn, TENANTS } from './signin.js';
import { director } from './api.js';
import { usePoll } from './poll.js';
import { Landscape } from './pages/landscape.js';
import { Applications, RegisterApplication } from './pages/applications.js';
import { ApplicationDetail } from './pages/application.js';
import { Runtimes, RegisterRuntime } from './pages/runtimes.js';
import { RuntimeDetail } from './pages/runtime.js';
import { Scenarios } from './pages/scenarios.js';
import { Systems } from './pages/systems.js';
import { Templates } from './pages/templates.js';

const NAV = [
  ['landscape', 'Landscape'], ['applications', 'Applications'], ['runtimes', 'Runtimes'],
  ['scenarios', 'Scenarios & labels'], ['systems', 'Integration systems'], ['templates', 'Templates'],
];

export function App() {
  const [session, setSession] = useState(loadSession);
  const route = useRoute();
  if (session) setCredentials(session.token, session.tenant);
  const update = (next) => {
    saveSession(next);
    setCredentials(next && next.token, next && next.tenant);
    setSession(next);
  };
  useEffect(() => onUnauthenticated(() => update(null)), []);
  if (!session) {
    return html`<${SignIn} onSignedIn=${({ token, tenants }) => {
      const tenant = tenants[0] ? tenants[0].id : null;
      update({ token, tenant, tenants });
    }} />`;
  }
  const section = route.parts[0] || 'landscape';
  return html`<div class="shell">
    <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById('main').focus(); }}>Skip to content</a>
    <header class="top">
      <a class="brand" href=${href('landscape')}><img src="icon.svg" alt="" width="24" height="24" /> Cockpit</a>
      <nav aria-label="Sections"><ul>${NAV.map(([key, label]) => html`
        <li><a href=${href(key)} aria-current=${section === key ? 'page' : undefined}>${label}</a></li>`)}
      </ul></nav>
      <div class="session">
        <${TenantSwitcher} session=${session} onChange=${(tenant) => update({ ...session, tenant })} />
        <button onClick=${() => update(null)}>Sign out</button>
      </div>
    </header>
    <main id="main" tabindex="-1" key=${session.tenant}>
      ${session.tenant ? view(route) : html`<p>This token may act in no tenant.</p>`}
    </main>
  </div>`;
}

// The tenants the caller may act in, asked again every ten seconds so a tenant created (or a
// grant changed) since sign-in shows up.
function TenantSwitcher({ session, onChange }) {
  const { data } = usePoll(() => director(TENANTS, {}, { tenant: null }), [session.token], 10000);
  const tenants = (data && data.tenants) || session.tenants || [];
  return html`<label class="tenant">Tenant
    <select value=${session.tenant || ''} onChange=${(e) => onChange(e.target.value)}>
      ${tenants.map((t) => html`<option value=${t.id}>${t.name || t.id}</option>`)}
    </select></label>`;
}

function view({ parts, params }) {
  const [section = 'landscape', id] = parts;
  switch (section) {
    case 'landscape': return html`<${Landscape} params=${params} />`;
    case 'applications':
      if (id === 'new') return html`<${RegisterApplication} />`;
      return id ? html`<${ApplicationDetail} id=${id} key=${id} />` : html`<${Applications} params=${params} />`;
    case 'runtimes':
      if (id === 'new') return html`<${RegisterRuntime} />`;
      return id ? html`<${RuntimeDetail} id=${id} key=${id} />` : html`<${Runtimes} />`;
    case 'scenarios': return html`<${Scenarios} />`;
    case 'systems': return html`<${Systems} />`;
    case 'templates': return html`<${Templates} id=${id} />`;
    default: return html`<h1>Not found</h1><p>There is no page <code>${parts.join('/')}</code>.</p>`;
  }
}
