import { execFile } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');
export const FIXTURES = join(import.meta.dirname, 'fixtures');
const BIN = join(ROOT, 'bin/zoo.js');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `zoo` launcher (bin/zoo.js → source through tsx) as a child process. */
export function zoo(args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, env: { ...process.env, ZOO_DEBUG: '', HF_HUB_OFFLINE: '1', ...env }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** An error report: exactly one line on stderr, no stack trace, nothing on stdout. */
export function isOneLineError(r: RunResult): boolean {
  const lines = r.stderr.trimEnd().split('\n');
  return r.stdout === '' && lines.length === 1 && !/\n\s+at /.test(r.stderr) && !r.stderr.includes('.ts:');
}
