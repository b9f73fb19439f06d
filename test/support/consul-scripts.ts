import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

let consulBinary: string | undefined;

/** The consul binary the project's scripts would use, resolved once per test file. */
export function consulBin(): string {
  consulBinary ??=
    process.env.CONSUL_BIN ??
    execFileSync('bash', [join(repoRoot, 'consul/scripts/install_consul.sh')], { encoding: 'utf8' }).trim();
  return consulBinary;
}

/**
 * Runs one of consul/scripts/*.sh as an operator would, with only the environment given (plus
 * PATH and HOME): no Consul variable of the test runner's own leaks in. Never throws on a
 * failed script; the exit code is part of the result.
 */
export function runConsulScript(script: string, args: string[], env: Record<string, string>): Promise<ScriptResult> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      [join(repoRoot, 'consul/scripts', script), ...args],
      {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', CONSUL_BIN: consulBin(), ...env },
        timeout: 180_000,
        maxBuffer: 10 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A Consul HTTP API call with a token; the JSON answer, or undefined for an empty body or 404. */
export async function consulApi<T>(address: string, token: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${address}${path}`, {
    method,
    headers: { 'x-consul-token': token },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`Consul ${method} ${path}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T | undefined;
}
