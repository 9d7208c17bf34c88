// The Cockpit's entry point: mounts the shell into the page.
import { html, render } from './lib.js';
import { App } from './shell.js';

render(html`<${App} />`, document.getElementById('app'));
