// Runs the real `newswatch` command as a child process (through tsx, from source), for tests of
// exit codes, output, signals and crashes.

import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const MAIN = resolve('src/cli/main.ts');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv, stdin?: string): { child: ChildProcess; done: Promise<CliRun>; stderr(): string } {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    // HTTP_PORT 0: `start` serves the web on a free port, so parallel runs never collide on 8080.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, HTTP_PORT: '0', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin?.end(stdin ?? '');
  const done = new Promise<CliRun>((resolveRun) => {
    child.on('exit', (code, signal) => resolveRun({ code, signal, stdout, stderr }));
  });
  return { child, done, stderr: () => stderr };
}

export const runCli = (args: string[], env: NodeJS.ProcessEnv, stdin?: string) => spawnCli(args, env, stdin).done;

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
