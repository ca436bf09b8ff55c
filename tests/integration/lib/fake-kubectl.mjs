// A recording stand-in for kubectl (see kube.mjs installFakeKubectl): get, apply -f -, patch
// --type=merge, delete and get --raw against a JSON file instead of an API server. It knows
// only what wasme uses, and fails loudly on anything else so a test notices.
import fs from 'node:fs';
import YAML from 'yaml';

const statePath = process.env.FAKE_KUBE_STATE;
const logPath = process.env.FAKE_KUBE_LOG;
const argv = process.argv.slice(2);
const stdin = argv.includes('-f') ? fs.readFileSync(0, 'utf8') : null;
fs.appendFileSync(logPath, JSON.stringify({ argv, stdin }) + '\n');
const state = JSON.parse(fs.readFileSync(statePath, 'utf8'));

function die(message, status = 1) {
  process.stderr.write(message + '\n');
  process.exit(status);
}

for (const f of state.fail || []) {
  if (argv.join(' ').includes(f.match)) die(f.stderr || 'injected failure', f.status || 1);
}

const kinds = {
  namespace: 'Namespace', namespaces: 'Namespace', ns: 'Namespace',
  serviceaccount: 'ServiceAccount', serviceaccounts: 'ServiceAccount',
  configmap: 'ConfigMap', configmaps: 'ConfigMap', cm: 'ConfigMap',
  pod: 'Pod', pods: 'Pod',
  deployment: 'Deployment', deployments: 'Deployment', deploy: 'Deployment', 'deployment.apps': 'Deployment',
  daemonset: 'DaemonSet', daemonsets: 'DaemonSet', ds: 'DaemonSet', 'daemonset.apps': 'DaemonSet',
  statefulset: 'StatefulSet', statefulsets: 'StatefulSet', sts: 'StatefulSet',
  'envoyfilter.networking.istio.io': 'EnvoyFilter', 'envoyfilters.networking.istio.io': 'EnvoyFilter',
  envoyfilter: 'EnvoyFilter', envoyfilters: 'EnvoyFilter',
  'wasmplugin.extensions.istio.io': 'WasmPlugin', 'wasmplugins.extensions.istio.io': 'WasmPlugin',
  'envoyextensionpolicy.gateway.envoyproxy.io': 'EnvoyExtensionPolicy',
  'envoyextensionpolicies.gateway.envoyproxy.io': 'EnvoyExtensionPolicy',
};
const clusterScoped = new Set(['Namespace']);

function kindOf(type) {
  const kind = kinds[type.toLowerCase()];
  if (!kind) die(`fake kubectl: unknown resource type "${type}"`, 3);
  return kind;
}

// Parse: global flags, -n, the verb, positional words and flags.
const opts = { positional: [] };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const eq = a.indexOf('=');
  const [flag, inline] = a.startsWith('-') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
  const value = () => (inline !== undefined ? inline : argv[++i]);
  if (flag === '--kubeconfig' || flag === '--context') opts[flag.slice(2)] = value();
  else if (flag === '-n' || flag === '--namespace') opts.namespace = value();
  else if (flag === '-l' || flag === '--selector') opts.selector = value();
  else if (flag === '-o' || flag === '--output') opts.output = value();
  else if (flag === '-p' || flag === '--patch') opts.patch = value();
  else if (flag === '--type') opts.type = value();
  else if (flag === '-f' || flag === '--filename') opts.file = value();
  else if (flag === '--raw') opts.raw = value();
  else if (flag === '-A' || flag === '--all-namespaces') opts.all = true;
  else if (flag === '--ignore-not-found') opts.ignoreNotFound = true;
  else if (a.startsWith('-')) die(`fake kubectl: unknown flag ${a}`, 3);
  else opts.positional.push(a);
}
const [verb, ...words] = opts.positional;
const ns = opts.namespace || 'default';

function save() { fs.writeFileSync(statePath, JSON.stringify(state, null, 2)); }

function matches(o, kind, name, namespace) {
  return o.kind === kind && (name === undefined || o.metadata.name === name) &&
    (clusterScoped.has(kind) || namespace === undefined || (o.metadata.namespace || 'default') === namespace);
}

function selected(o) {
  if (!opts.selector) return true;
  return opts.selector.split(',').every((pair) => {
    const [k, v] = pair.split('=');
    return (o.metadata.labels || {})[k] === v;
  });
}

// TYPE NAME or TYPE/NAME
function target() {
  if (words.length === 0) die('fake kubectl: no resource given', 3);
  if (words[0].includes('/')) {
    const [type, name] = words[0].split('/');
    return [kindOf(type), name];
  }
  return [kindOf(words[0]), words[1]];
}

function mergePatch(t, p) {
  if (p === null || typeof p !== 'object' || Array.isArray(p)) return p;
  const out = t !== null && typeof t === 'object' && !Array.isArray(t) ? { ...t } : {};
  for (const [k, v] of Object.entries(p)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function bump(o) {
  state.version = (state.version || 100) + 1;
  o.metadata.resourceVersion = String(state.version);
}

function print(o) { process.stdout.write(JSON.stringify(o, null, 2) + '\n'); }

if (verb === 'get' && opts.raw) {
  const m = opts.raw.match(/^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/:]+):9979\/proxy\/images$/);
  if (!m) die(`fake kubectl: unexpected raw path ${opts.raw}`, 3);
  const answer = (state.images || {})[m[2]];
  if (answer === undefined) die('Error from server (ServiceUnavailable): the server is currently unable to handle the request');
  print(answer);
} else if (verb === 'get') {
  const [kind, name] = target();
  const found = state.objects.filter((o) => matches(o, kind, name, opts.all ? undefined : ns) && selected(o));
  if (name !== undefined) {
    if (found.length === 0) {
      if (opts.ignoreNotFound) process.exit(0);
      die(`Error from server (NotFound): ${words.join(' ')} not found`);
    }
    print(found[0]);
  } else if (opts.output === 'name') {
    for (const o of found) process.stdout.write(`${o.kind.toLowerCase()}.apps/${o.metadata.name}\n`);
  } else {
    print({ apiVersion: 'v1', kind: 'List', items: found });
  }
} else if (verb === 'apply') {
  if (opts.file !== '-') die('fake kubectl: apply only reads -f -', 3);
  for (const doc of YAML.parseAllDocuments(stdin)) {
    const o = doc.toJS();
    if (!o) continue;
    if (!clusterScoped.has(o.kind) && !o.metadata.namespace) o.metadata.namespace = ns;
    const i = state.objects.findIndex((x) => matches(x, o.kind, o.metadata.name, o.metadata.namespace));
    if (i >= 0) state.objects[i] = o;
    else state.objects.push(o);
    bump(o);
    process.stdout.write(`${o.kind.toLowerCase()}/${o.metadata.name} ${i >= 0 ? 'configured' : 'created'}\n`);
  }
  save();
} else if (verb === 'patch') {
  const [kind, name] = target();
  if (opts.type !== 'merge') die('fake kubectl: only --type=merge patches', 3);
  const i = state.objects.findIndex((o) => matches(o, kind, name, ns));
  if (i < 0) die(`Error from server (NotFound): ${words.join(' ')} not found`);
  const patch = JSON.parse(opts.patch);
  const wanted = patch.metadata && patch.metadata.resourceVersion;
  if (wanted && wanted !== state.objects[i].metadata.resourceVersion) {
    die(`Error from server (Conflict): Operation cannot be fulfilled on ${words[0]}: the object has been modified`);
  }
  state.objects[i] = mergePatch(state.objects[i], patch);
  bump(state.objects[i]);
  save();
  process.stdout.write(`${words[0]} patched\n`);
} else if (verb === 'delete') {
  const [kind, name] = target();
  const i = state.objects.findIndex((o) => matches(o, kind, name, ns));
  if (i < 0) die(`Error from server (NotFound): ${words.join(' ')} not found`);
  state.objects.splice(i, 1);
  save();
  process.stdout.write(`${words[0]} deleted\n`);
} else {
  die(`fake kubectl: unsupported command ${argv.join(' ')}`, 3);
}
