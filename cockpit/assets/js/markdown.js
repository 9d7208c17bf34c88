// Markdown as HTML with scripts, event handlers and other active content stripped (DOMPurify), for
// documents and spec descriptions written by whoever registered the application.
import { html } from './lib.js';
import { marked } from '../vendor/marked-18.3.0.mjs';
import DOMPurify from '../vendor/purify-3.5.0.mjs';

export function safeHtml(markdown) {
  const raw = marked.parse(String(markdown || ''), { async: false });
  return DOMPurify.sanitize(raw, { USE_PROFILES: { html: true }, FORBID_TAGS: ['style', 'form'] });
}

export function Markdown({ text, class: className = 'markdown' }) {
  if (!text) return null;
  return html`<div class=${className} dangerouslySetInnerHTML=${{ __html: safeHtml(text) }}></div>`;
}
