// The rendering toolkit every view imports: Preact's h and render, its hooks, and `html`, the
// htm tagged template bound to h (JSX without a compiler).
import { h, render, Fragment } from '../vendor/preact-11.2.0.mjs';
import htm from '../vendor/htm-3.1.1.mjs';

export { h, render, Fragment };
export {
  useState, useEffect, useRef, useMemo, useCallback, useReducer,
} from '../vendor/preact-hooks-11.2.0.mjs';

export const html = htm.bind(h);
