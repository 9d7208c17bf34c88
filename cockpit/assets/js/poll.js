// Live data: `usePoll(load, deps)` runs `load` now and then every two seconds while the view is
// shown (and the tab visible), so changes made elsewhere (kubectl, another user, an agent) appear
// without a reload. A failure is kept beside the last good data rather than replacing it.
import { useState, useEffect, useRef, useCallback } from './lib.js';

export const POLL_MS = 2000;

export function usePoll(load, deps = [], interval = POLL_MS) {
  const [state, setState] = useState({ data: undefined, error: null, loading: true });
  const generation = useRef(0);
  const run = useCallback(async () => {
    const mine = generation.current;
    try {
      const data = await load();
      if (mine === generation.current) setState({ data, error: null, loading: false });
    } catch (error) {
      if (mine === generation.current) setState((s) => ({ data: s.data, error, loading: false }));
    }
  }, deps);
  useEffect(() => {
    generation.current += 1;
    setState({ data: undefined, error: null, loading: true });
    run();
    const timer = setInterval(() => {
      if (document.visibilityState !== 'hidden') run();
    }, interval);
    return () => {
      generation.current += 1;
      clearInterval(timer);
    };
  }, [run]);
  return { ...state, refresh: run };
}
