/**
 * Parity-fixture helpers shared by the family test suites (Node). Everything that runs in a browser too (the hash,
 * weights and input regeneration, the comparison at the fixture bar) is in `./pure.ts` (`@zoo/parity/pure`) and
 * re-exported here; this module adds what needs Node: writing the fixture weights to a file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeSafetensors } from '@zoo/core';
import { fixtureStateDict, type ParityFixture } from './pure.js';

export * from './pure.js';

const written: string[] = [];
let exitHook = false;

/**
 * Writes the fixture weights as a safetensors file in a fresh temp folder; returns its path. The folder is removed
 * by {@link removeFixtureWeights}, or when the process exits.
 */
export function writeFixtureWeights(f: ParityFixture): string {
  const dir = mkdtempSync(join(tmpdir(), `zoo-${f.id}-`));
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => written.forEach((d) => rmSync(d, { recursive: true, force: true })));
  }
  written.push(dir);
  const path = join(dir, 'model.safetensors');
  writeFileSync(path, writeSafetensors(fixtureStateDict(f)));
  return path;
}

/** Removes a file written by {@link writeFixtureWeights} with its folder. */
export function removeFixtureWeights(path: string): void {
  const dir = dirname(path);
  if (!written.includes(dir)) return;
  rmSync(dir, { recursive: true, force: true });
  written.splice(written.indexOf(dir), 1);
}
