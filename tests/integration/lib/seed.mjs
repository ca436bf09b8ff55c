// The seed's hand-written objects (Istio 1.4 with the node cache), verbatim, for golden tests.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { FIXTURES, sha256Hex } from './harness.mjs';

export const SEED_REF = 'webassemblyhub.io/yuval-k/istio-example:1.4.2';
export const SEED_MODULE = path.join(FIXTURES, 'istio_1_4.wasm');
export const SEED_MODULE_SHA = sha256Hex(fs.readFileSync(SEED_MODULE));

// The seed's details-v1 Deployment, as the seed shows it before the annotations.
export const DETAILS_YAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: details-v1
  labels:
    app: details
    version: v1
spec:
  replicas: 1
  selector:
    matchLabels:
      app: details
      version: v1
  template:
    metadata:
      labels:
        app: details
        version: v1
    spec:
      serviceAccountName: bookinfo-details
      containers:
      - name: details
        image: docker.io/istio/examples-bookinfo-details-v1:1.15.0
        imagePullPolicy: IfNotPresent
        ports:
        - containerPort: 9080
`;

// The annotations the seed puts on the pod template (the patch command's values).
export const SEED_ANNOTATIONS = {
  'sidecar.istio.io/userVolume': '[{"name":"cache-dir","hostPath":{"path":"/var/local/lib/wasme-cache","type":"Directory"}}]',
  'sidecar.istio.io/userVolumeMount': '[{"mountPath":"/var/local/lib/wasme-cache","name":"cache-dir"}]',
  'sidecar.istio.io/interceptionMode': 'TPROXY',
  'traffic.sidecar.istio.io/includeInboundPorts': '9080',
};

// The seed's EnvoyFilter (tests/fixtures/seed_envoy_filter.yaml, which the unit tests read
// too), with the seed's module hash replaced by sha (the fixture's).
const SEED_FILTER_FILE = '/var/local/lib/wasme-cache/bbfdf674f5cf2e413a4b701ae865dd4569502f60af5647f2f47ca4f38e2b40af';
export function seedEnvoyFilter(sha = SEED_MODULE_SHA) {
  const text = fs.readFileSync(path.join(FIXTURES, 'seed_envoy_filter.yaml'), 'utf8');
  if (!text.includes(SEED_FILTER_FILE)) throw new Error(`seed_envoy_filter.yaml names no ${SEED_FILTER_FILE}`);
  return YAML.parse(text.replace(SEED_FILTER_FILE, `/var/local/lib/wasme-cache/${sha}`));
}
