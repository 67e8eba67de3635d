/**
 * Child process of the resource-bound tests: reads each checkpoint file given on the command line and prints one
 * JSON line per file: the error's class and message (or `loaded`), and the milliseconds it took. The last line
 * holds the process's peak RSS (KiB), so that a runaway allocation shows even when it ends in an error.
 */
import { readFileSync } from 'node:fs';
import { readCheckpoint } from '../../src/weights/checkpoint.js';

for (const file of process.argv.slice(2)) {
  const bytes = new Uint8Array(readFileSync(file));
  const t0 = performance.now();
  let result: { error?: string; message?: string; loaded?: string[] };
  try {
    result = { loaded: Object.keys(await readCheckpoint(bytes, file)) };
  } catch (e) {
    result = { error: e instanceof Error ? e.name : typeof e, message: e instanceof Error ? e.message : String(e) };
  }
  process.stdout.write(`${JSON.stringify({ file, ms: performance.now() - t0, ...result })}\n`);
}
process.stdout.write(`${JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS })}\n`);
