/** Child process of the two-process cache test: downloads one file and prints the sha256 of what it got. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { downloadHubFile } from '../../src/hub/index.js';

const [repoId, filename, cacheDir] = process.argv.slice(2) as [string, string, string];
const path = await downloadHubFile(repoId, filename, { cacheDir, retryDelayMs: 5 });
process.stdout.write(`${createHash('sha256').update(await readFile(path)).digest('hex')}\n`);
