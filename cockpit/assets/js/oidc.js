// Sign-in through an OIDC provider: the authorization code flow with PKCE, as a public client.
// `begin` sends the browser to the provider with a fresh verifier and state (kept in this tab's
// sessionStorage); back at the Cockpit, `complete` checks the state, exchanges the code at the
// provider's token endpoint and removes the code from the address.
const KEY = 'compass-cockpit-oidc';

// What the server says about this installation: `{ oidc: null | { authorizationUrl, tokenUrl, clientId, scope } }`.
export async function loadConfig() {
  const response = await fetch('config.json', { cache: 'no-store' });
  return response.ok ? response.json() : { oidc: null };
}

function base64url(bytes) {
  let text = '';
  bytes.forEach((b) => { text += String.fromCharCode(b); });
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const random = (length) => base64url(crypto.getRandomValues(new Uint8Array(length)));

export const redirectUri = () => `${location.origin}/cockpit/`;

export async function begin(oidc) {
  const verifier = random(32);
  const state = random(16);
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  sessionStorage.setItem(KEY, JSON.stringify({ verifier, state }));
  const url = new URL(oidc.authorizationUrl);
  const params = {
    response_type: 'code', client_id: oidc.clientId, redirect_uri: redirectUri(), scope: oidc.scope,
    state, code_challenge: base64url(new Uint8Array(digest)), code_challenge_method: 'S256',
  };
  Object.entries(params).forEach(([key, value]) => url.searchParams.set(key, value));
  location.assign(url.toString());
}

// The token for the provider's answer in this page's address, or null when there is none.
export async function complete(oidc) {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) return null;
  const stored = JSON.parse(sessionStorage.getItem(KEY) || 'null');
  sessionStorage.removeItem(KEY);
  // The code is single use; it leaves the address (and the history) at once.
  history.replaceState(null, '', location.pathname + location.hash);
  if (params.has('error')) {
    throw new Error(`the identity provider refused: ${params.get('error_description') || params.get('error')}`);
  }
  if (!stored || stored.state !== params.get('state')) {
    throw new Error('the answer of the identity provider does not match this sign-in (state); sign in again');
  }
  const body = new URLSearchParams({
    grant_type: 'authorization_code', code: params.get('code'), redirect_uri: redirectUri(),
    client_id: oidc.clientId, code_verifier: stored.verifier,
  });
  let response;
  try {
    response = await fetch(oidc.tokenUrl, { method: 'POST', body, cache: 'no-store' });
  } catch (failure) {
    throw new Error(`the identity provider's token endpoint did not answer (${failure.message}; it must allow this origin)`);
  }
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(`the token endpoint answered ${response.status}: ${answer.error_description || answer.error || 'no reason given'}`);
  }
  // The ID token's audience is this client, which is what the Gateway checks.
  const token = answer.id_token || answer.access_token;
  if (!token) throw new Error('the token endpoint gave no token');
  return token;
}
