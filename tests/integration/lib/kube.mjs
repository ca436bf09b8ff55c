// Kubernetes without a cluster: a discovery-only API server for `kubectl apply --dry-run=client`,
// and a recording stand-in for kubectl (a small file-backed object store) for --apply/undeploy.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

const groups = {
  '': { v1: [['namespaces', 'Namespace', false], ['serviceaccounts', 'ServiceAccount', true],
              ['configmaps', 'ConfigMap', true], ['services', 'Service', true], ['pods', 'Pod', true]] },
  'apps': { v1: [['deployments', 'Deployment', true], ['daemonsets', 'DaemonSet', true],
                 ['statefulsets', 'StatefulSet', true]] },
  'networking.istio.io': { v1alpha3: [['envoyfilters', 'EnvoyFilter', true]] },
  'extensions.istio.io': { v1alpha1: [['wasmplugins', 'WasmPlugin', true]] },
};

function resourceList(groupVersion, resources) {
  return {
    kind: 'APIResourceList', apiVersion: 'v1', groupVersion,
    resources: resources.map(([name, kind, namespaced]) => ({
      name, singularName: kind.toLowerCase(), namespaced, kind,
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    })),
  };
}

function discovery(url) {
  if (url === '/version') return { major: '1', minor: '32', gitVersion: 'v1.32.0' };
  if (url === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
  if (url === '/api/v1') return resourceList('v1', groups[''].v1);
  if (url === '/apis') {
    return {
      kind: 'APIGroupList', apiVersion: 'v1',
      groups: Object.entries(groups).filter(([g]) => g).map(([name, versions]) => {
        const list = Object.keys(versions).map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
        return { name, versions: list, preferredVersion: list[0] };
      }),
    };
  }
  for (const [name, versions] of Object.entries(groups)) {
    for (const [v, resources] of Object.entries(versions)) {
      if (name && url === `/apis/${name}/${v}`) return resourceList(`${name}/${v}`, resources);
    }
  }
  return null;
}

// An API server that knows the resource types and has no objects: every object GET is a 404,
// which is all `kubectl apply --dry-run=client` needs. Records the paths it was asked for.
export async function startDiscoveryServer() {
  const port = await freePort();
  const requests = [];
  const server = http.createServer((req, res) => {
    const url = req.url.split('?')[0];
    requests.push(`${req.method} ${url}`);
    const body = discovery(url);
    res.setHeader('Content-Type', 'application/json');
    if (body) {
      res.end(JSON.stringify(body));
      return;
    }
    res.statusCode = 404;
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404,
                             message: `${url} not found` }));
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`, requests,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

// Puts an executable `kubectl` (tests/integration/lib/fake-kubectl.mjs) first on PATH. Its
// cluster is a JSON file: {objects: [...], images: {pod: <GET /images answer>}, fail: [...]}.
// Every call is appended to a log: {argv, stdin}.
export function installFakeKubectl(sandbox, { objects = [], images = {}, fail = [] } = {}) {
  const bin = sandbox.path('fake-bin');
  fs.mkdirSync(bin, { recursive: true });
  const statePath = sandbox.path('fake-cluster.json');
  const logPath = sandbox.path('fake-kubectl.log');
  fs.writeFileSync(statePath, JSON.stringify({ objects, images, fail }, null, 2));
  fs.writeFileSync(logPath, '');
  const script = path.join(bin, 'kubectl');
  fs.writeFileSync(script, `#!/bin/sh\nexec "${process.execPath}" "${path.join(HERE, 'fake-kubectl.mjs')}" "$@"\n`,
                   { mode: 0o755 });
  const env = { PATH: `${bin}:${process.env.PATH}`, FAKE_KUBE_STATE: statePath, FAKE_KUBE_LOG: logPath };
  return {
    env,
    calls: () => fs.readFileSync(logPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)),
    state: () => JSON.parse(fs.readFileSync(statePath, 'utf8')),
    setState: (s) => fs.writeFileSync(statePath, JSON.stringify(s, null, 2)),
    find: (kind, name, namespace) => JSON.parse(fs.readFileSync(statePath, 'utf8')).objects.find(
      (o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace)),
  };
}
