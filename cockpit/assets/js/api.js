// Calls to the public GraphQL APIs with the caller's own credentials: the Director and the
// Provisioner behind the Gateway, `Authorization: Bearer <token>` and `Tenant: <external id>`.
// Every failure becomes an ApiError carrying each GraphQL error's message, code and path.

export const DIRECTOR = '/director/graphql';
export const PROVISIONER = '/provisioner/graphql';

export class ApiError extends Error {
  constructor(problems, status) {
    super(problems.map((p) => p.message).join('; '));
    this.problems = problems;
    this.status = status;
  }

  // Whether any problem has this code (NOT_FOUND, UNAUTHENTICATED, ...).
  has(code) {
    return this.problems.some((p) => p.code === code);
  }
}

let current = { token: null, tenant: null };
const listeners = new Set();

// Sets the credentials every later call carries.
export function setCredentials(token, tenant) {
  current = { token, tenant };
}

// `fn(error)` hears every UNAUTHENTICATED answer (a revoked or mistyped token): the shell signs out.
export function onUnauthenticated(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// One GraphQL operation against `endpoint`; the `data` of the answer, or an ApiError.
export async function graphql(endpoint, query, variables = {}, options = {}) {
  const headers = { 'content-type': 'application/json' };
  const token = options.token ?? current.token;
  const tenant = options.tenant === undefined ? current.tenant : options.tenant;
  if (token) headers.authorization = `Bearer ${token}`;
  if (tenant) headers.tenant = tenant;
  let response;
  try {
    response = await fetch(endpoint, {
      method: 'POST', headers, body: JSON.stringify({ query, variables }), cache: 'no-store',
    });
  } catch (failure) {
    throw new ApiError([{ message: `the API did not answer (${failure.message})`, code: 'NETWORK' }]);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    throw new ApiError([{ message: `the API answered ${response.status} without GraphQL`, code: `HTTP_${response.status}` }], response.status);
  }
  if (body.errors && body.errors.length) {
    const problems = body.errors.map((e) => ({
      message: e.message,
      code: e.extensions && e.extensions.code,
      path: Array.isArray(e.path) ? e.path.join('.') : null,
      field: fieldOf(e.message),
    }));
    const error = new ApiError(problems, response.status);
    if (error.has('UNAUTHENTICATED')) listeners.forEach((fn) => fn(error));
    throw error;
  }
  return body.data;
}

// The input field an INVALID_INPUT message names: the Director writes `Invalid data [in.name=...]`.
export function fieldOf(message) {
  const found = /\[([A-Za-z0-9_.\[\]]+)=/.exec(String(message || ''));
  return found ? found[1] : null;
}

// The message of the problem about `field` (`in.name` or `name`), for showing it at the field.
export function problemAt(error, field) {
  if (!error || !error.problems) return null;
  const hit = error.problems.find((p) => p.field && (p.field === field || p.field === `in.${field}` || p.field.endsWith(`.${field}`)));
  return hit ? hit.message : null;
}

export const director = (query, variables, options) => graphql(DIRECTOR, query, variables, options);
export const provisioner = (query, variables, options) => graphql(PROVISIONER, query, variables, options);

// Every item of a paged Director query: follows `endCursor` until the last page, at most `limit`.
export async function everyPage(query, field, variables = {}, limit = 5000) {
  const items = [];
  let after = null;
  for (;;) {
    const data = await director(query, { ...variables, first: 100, after });
    const page = data[field];
    items.push(...page.data);
    if (!page.pageInfo.hasNextPage || items.length >= limit) return items;
    after = page.pageInfo.endCursor;
  }
}

// The tenant the calls act in (its external id).
export const currentTenant = () => current.tenant;
