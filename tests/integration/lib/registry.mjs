// Starts the Debian docker-registry (distribution 2.8.2) on a free loopback port.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, waitForPort } from './harness.mjs';

// mode: 'plain' (more modes: basic, tls, token — see registry helpers added later).
export async function startRegistry(sandbox, { mode = 'plain', name = 'registry' } = {}) {
  const port = await freePort();
  const dir = sandbox.path(name);
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  const lines = [
    'version: 0.1',
    'log: {level: error, accesslog: {disabled: true}}',
    `storage: {filesystem: {rootdirectory: ${path.join(dir, 'data')}}, delete: {enabled: true}}`,
    `http: {addr: 127.0.0.1:${port}}`,
  ];
  if (mode !== 'plain') throw new Error(`registry mode ${mode} not supported here`);
  const config = path.join(dir, 'config.yml');
  fs.writeFileSync(config, lines.join('\n') + '\n');
  const proc = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  await waitForPort(port);
  return {
    host: `127.0.0.1:${port}`, port, proc, dir,
    stop() { proc.kill('SIGTERM'); },
    stderr: () => stderr,
  };
}
