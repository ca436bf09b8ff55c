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

// The seed's EnvoyFilter with the module hash of the fixture.
export function seedEnvoyFilter(sha = SEED_MODULE_SHA) {
  return YAML.parse(`apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata:
  name: details-wasm
spec:
  workloadSelector:
    labels:
      app: details
  configPatches:
  - applyTo: HTTP_FILTER
    match:
      context: SIDECAR_INBOUND
      listener:
        portNumber: 9080
        filterChain:
          filter:
            name: "envoy.http_connection_manager"
            subFilter:
              name: "envoy.router"
    patch:
      operation: INSERT_BEFORE
      value:
        name: envoy.filters.http.wasm
        config:
          config:
            name: "test"
            root_id: "add_header_root_id"
            configuration: '{"value":"hi-from-wasme"}'
            vm_config:
              runtime: envoy.wasm.runtime.v8
              code:
                filename:
                  /var/local/lib/wasme-cache/${sha}
`);
}
