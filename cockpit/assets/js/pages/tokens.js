// Trust for one application or runtime: a one-time token with its copy-ready `rawEncoded` and the
// command that pairs with it, OAuth client credentials shown once, and the client identities
// (SystemAuths) that exist, each revocable.
import { html, useState } from '../lib.js';
import { director } from '../api.js';
import { CopyField, ErrorBox, ConfirmButton, useAction } from '../ui.js';

const KINDS = {
  application: {
    token: 'mutation ($id: ID!) { requestOneTimeTokenForApplication(id: $id) { token connectorURL rawEncoded } }',
    tokenField: 'requestOneTimeTokenForApplication',
    credentials: 'mutation ($id: ID!) { requestClientCredentialsForApplication(id: $id) { id auth { credential { ... on OAuthCredentialData { clientId clientSecret url } } } } }',
    credentialsField: 'requestClientCredentialsForApplication',
    revoke: 'mutation ($id: ID!) { deleteSystemAuthForApplication(authID: $id) { id } }',
  },
  runtime: {
    token: 'mutation ($id: ID!) { requestOneTimeTokenForRuntime(id: $id) { token connectorURL rawEncoded } }',
    tokenField: 'requestOneTimeTokenForRuntime',
    credentials: 'mutation ($id: ID!) { requestClientCredentialsForRuntime(id: $id) { id auth { credential { ... on OAuthCredentialData { clientId clientSecret url } } } } }',
    credentialsField: 'requestClientCredentialsForRuntime',
    revoke: 'mutation ($id: ID!) { deleteSystemAuthForRuntime(authID: $id) { id } }',
  },
};

// The shell command that uses a token: `compass connect` for an application, `compass agent`
// for a runtime (docs/connector.md, docs/agent.md). The token goes in the environment for the
// agent so that `ps` does not show it.
export function pairCommand(kind, id, token, tenant) {
  if (kind === 'application') return `compass connect --token '${token.rawEncoded}' --ca-file .compass/ca.crt`;
  return `COMPASS_AGENT_TOKEN='${token.token}' compass agent --kubeconfig <runtime kubeconfig> --connector-url '${token.connectorURL}' --runtime-id ${id} --tenant ${tenant} --ca-cert-file .compass/ca.crt`;
}

export function Trust({ kind, id, name, auths, tenant, onChange }) {
  const k = KINDS[kind];
  const [token, setToken] = useState(null);
  const [secret, setSecret] = useState(null);
  const [requestToken, tokenBusy, tokenError] = useAction(async () => {
    const data = await director(k.token, { id });
    setToken(data[k.tokenField]);
  });
  const [requestCredentials, credBusy, credError] = useAction(async () => {
    const data = await director(k.credentials, { id });
    setSecret(data[k.credentialsField]);
    if (onChange) onChange();
  });
  const [revoke, revokeBusy, revokeError] = useAction(async (authId) => {
    await director(k.revoke, { id: authId });
    if (onChange) onChange();
  });
  const oauth = secret && secret.auth && secret.auth.credential;
  return html`<section class="card" aria-labelledby=${`trust-${id}`}>
    <h2 id=${`trust-${id}`}>Tokens and credentials</h2>
    <div class="actions">
      <button onClick=${requestToken} disabled=${tokenBusy}>${tokenBusy ? 'Requesting…' : 'Request one-time token'}</button>
      <button onClick=${requestCredentials} disabled=${credBusy}>${credBusy ? 'Requesting…' : 'Request client credentials'}</button>
    </div>
    <${ErrorBox} error=${tokenError || credError || revokeError} />
    ${token && html`<div class="secret" aria-live="polite">
      <p>One-time token for <strong>${name}</strong>; it works once and expires soon. It is not shown again.</p>
      <${CopyField} label="Token (rawEncoded)" value=${token.rawEncoded || token.token} rows="3" />
      <${CopyField} label=${kind === 'application' ? 'Pair the application' : 'Pair an agent'} value=${pairCommand(kind, id, token, tenant)} rows="5" />
    </div>`}
    ${oauth && html`<div class="secret" aria-live="polite">
      <p>Client credentials (shown once):</p>
      <${CopyField} label="Client id" value=${oauth.clientId} rows="1" />
      <${CopyField} label="Client secret" value=${oauth.clientSecret} rows="1" />
      <${CopyField} label="Token URL" value=${oauth.url} rows="1" />
    </div>`}
    <h3>Client identities</h3>
    ${(auths || []).length === 0 ? html`<p class="muted">None.</p>` : html`<ul class="auths">${auths.map((auth) => html`<li>
      <code>${auth.id}</code> <${ConfirmButton} label="Revoke" busy=${revokeBusy}
        question=${`Revoke ${auth.id}? Its certificates and tokens stop working at once.`}
        onConfirm=${() => revoke(auth.id)} /></li>`)}</ul>`}
  </section>`;
}
