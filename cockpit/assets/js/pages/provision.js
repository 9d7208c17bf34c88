// Provisioning a runtime through the Provisioner API: `provisionRuntime` with a provider of this
// installation, then `runtimeOperationStatus` followed every second until it succeeds or fails.
import { html, useState, useEffect } from '../lib.js';
import { provisioner } from '../api.js';
import { ErrorBox, Status, Busy, Field, useAction } from '../ui.js';

const PROVISION = 'mutation ($id: String!, $config: ProvisionRuntimeInput!) { provisionRuntime(id: $id, config: $config) }';
const OPERATION = 'query ($id: String!) { runtimeOperationStatus(id: $id) { id operation state message } }';
const DEPROVISION = 'mutation ($id: String!) { deprovisionRuntime(id: $id) }';
const PROVIDERS = ['embedded', 'kubeconfig', 'cluster-api'];

export function Provisioning({ id, status, onChange }) {
  const [provider, setProvider] = useState('embedded');
  const [version, setVersion] = useState('');
  const [configuration, setConfiguration] = useState('');
  const [configError, setConfigError] = useState(null);
  const [operation, setOperation] = useState(null);
  const [provision, busy, error] = useAction(async () => {
    const providerConfig = { provider };
    if (version.trim()) providerConfig.kubernetesVersion = version.trim();
    if (configuration.trim()) {
      try { providerConfig.configuration = JSON.parse(configuration); setConfigError(null); } catch (failure) {
        setConfigError(`Not JSON: ${failure.message}`);
        return;
      }
    }
    const data = await provisioner(PROVISION, { id, config: { clusterConfig: { providerConfig } } });
    setOperation({ id: data.provisionRuntime, state: 'Pending', operation: 'Provision' });
  });
  const [deprovision, deBusy, deError] = useAction(async () => {
    const data = await provisioner(DEPROVISION, { id });
    setOperation({ id: data.deprovisionRuntime, state: 'Pending', operation: 'Deprovision' });
  });
  const last = operation || (status && status.lastOperationStatus);
  const running = last && (last.state === 'Pending' || last.state === 'InProgress');
  useEffect(() => {
    if (!running || !last.id) return undefined;
    const timer = setInterval(async () => {
      try {
        const data = await provisioner(OPERATION, { id: last.id });
        if (data.runtimeOperationStatus) setOperation(data.runtimeOperationStatus);
        onChange();
      } catch { /* the next tick tries again */ }
    }, 1000);
    return () => clearInterval(timer);
  }, [running, last && last.id]);
  return html`<section class="card" aria-labelledby=${`prov-${id}`}>
    <h2 id=${`prov-${id}`}>Provisioning</h2>
    ${last && html`<div class="operation-status" aria-live="polite">
      <p>${last.operation} <code>${last.id}</code>: <${Status} condition=${last.state} />
        ${running && html` <${Busy} text="following the operation…" />`}</p>
      ${last.message && html`<p class="muted">${last.message}</p>`}</div>`}
    <form class="inline-form" aria-label="Provision" onSubmit=${(e) => { e.preventDefault(); provision(); }}>
      <${Field} label="Provider" as="select" value=${provider} onChange=${(e) => setProvider(e.target.value)}>
        ${PROVIDERS.map((p) => html`<option value=${p}>${p}</option>`)}</${Field}>
      <${Field} label="Kubernetes version (optional)" value=${version} onInput=${(e) => setVersion(e.target.value)} />
      <${Field} label="Provider configuration (JSON, optional)" as="textarea" rows="2" class="mono" value=${configuration}
        error=${configError} onInput=${(e) => setConfiguration(e.target.value)} />
      <button type="submit" class="primary" disabled=${busy || running}>${busy ? 'Asking…' : 'Provision'}</button>
      <button type="button" disabled=${deBusy || running} onClick=${deprovision}>Deprovision</button>
    </form>
    <${ErrorBox} error=${error || deError} title="The Provisioner refused" />
  </section>`;
}
