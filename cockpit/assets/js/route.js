// Hash routing: `#/applications/<id>` and the like, so every view has a link and the page is
// served from one file. `useRoute` re-renders on every change of the hash.
import { useState, useEffect } from './lib.js';

// The current route as path segments and query parameters: `#/apps/1?x=2` → {parts:['apps','1'], params}.
export function parseHash(hash = location.hash) {
  const raw = hash.replace(/^#\/?/, '');
  const [path, query = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { parts, params: new URLSearchParams(query) };
}

export function useRoute() {
  const [route, setRoute] = useState(parseHash());
  useEffect(() => {
    const changed = () => setRoute(parseHash());
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}

// A link target for a route made of segments.
export function href(...parts) {
  return `#/${parts.map(encodeURIComponent).join('/')}`;
}

export function navigate(...parts) {
  location.hash = href(...parts);
}
