// Sign-in with a token: the caller's static-user token (`.compass/admin-token` for `compass up`),
// checked by asking the Director which tenants it may act in; or, where the installation names an
// OIDC provider, through that provider (oidc.js).
import { html, useState, useEffect } from './lib.js';
import { director } from './api.js';
import { ErrorBox, Field, Busy, useAction } from './ui.js';
import { loadConfig, begin, complete } from './oidc.js';

export const TENANTS = 'query { tenants { id internalID name } }';

export function SignIn({ onSignedIn }) {
  const [token, setToken] = useState('');
  const [run, busy, error] = useAction(async () => {
    const trimmed = token.trim();
    const { tenants } = await director(TENANTS, {}, { token: trimmed, tenant: null });
    onSignedIn({ token: trimmed, tenants });
  });
  const submit = (event) => { event.preventDefault(); run(); };
  const [config, setConfig] = useState(null);
  const [finish, finishing, oidcError] = useAction(async (oidc) => {
    const found = await complete(oidc);
    if (!found) return;
    const { tenants } = await director(TENANTS, {}, { token: found, tenant: null });
    onSignedIn({ token: found, tenants });
  });
  useEffect(() => {
    loadConfig().catch(() => ({ oidc: null })).then((loaded) => {
      setConfig(loaded);
      if (loaded.oidc) finish(loaded.oidc);
    });
  }, []);
  const oidc = config && config.oidc;
  return html`<main class="signin" id="main">
    <h1><img src="icon.svg" alt="" width="32" height="32" /> Cockpit</h1>
    <p>Sign in to the Compass management plane with your token. It stays in this tab only.</p>
    <form onSubmit=${submit} aria-label="Sign in">
      <${Field} label="Token" type="password" name="token" autocomplete="current-password" required
        value=${token} onInput=${(e) => setToken(e.target.value)}
        hint="compass up writes the administrator's token to .compass/admin-token." />
      <button type="submit" class="primary" disabled=${busy || !token.trim()}>${busy ? 'Signing in…' : 'Sign in'}</button>
    </form>
    <${ErrorBox} error=${error} title="Sign-in failed" />
    ${oidc && html`<div class="oidc">
      <p>Or sign in where your organisation keeps its users:</p>
      <button class="primary" onClick=${() => begin(oidc)} disabled=${finishing}>Sign in with your identity provider</button>
      ${finishing && html` <${Busy} text="Completing the sign-in…" />`}
      <${ErrorBox} error=${oidcError} title="Sign-in with the identity provider failed" />
    </div>`}
  </main>`;
}
