// The Cockpit's entry point: mounts the shell into the page.
import { html, render } from './lib.js';
import { App } from './shell.js';

const root = document.getElementById('app');
// The loading notice goes; Preact renders into an empty element.
root.textContent = '';
render(html`<${App} />`, root);
