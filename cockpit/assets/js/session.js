// The signed-in session: the caller's token and chosen tenant, kept in sessionStorage (gone when
// the tab closes; never put into a URL or a log line).
const KEY = 'compass-cockpit-session';

export function loadSession() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    return stored && typeof stored.token === 'string' ? stored : null;
  } catch {
    return null;
  }
}

export function saveSession(session) {
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
}
