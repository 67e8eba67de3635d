/**
 * Parity-fixture helpers shared by the family test suites (Node). Everything that runs in a browser too (the hash,
 * weights and input regeneration, the comparison at the fixture bar) is in `./pure.ts` (`@zoo/parity/pure`) and
 * re-exported here; this module adds what needs Node: writing the fixture weights to a file.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors } from '@zoo/core';
import { fixtureStateDict, type ParityFixture } from './pure.js';

export * from './pure.js';

/** Writes the fixture weights as a safetensors file in a fresh temp folder; returns its path. */
export function writeFixtureWeights(f: ParityFixture): string {
  const dir = mkdtempSync(join(tmpdir(), `zoo-${f.id}-`));
  const path = join(dir, 'model.safetensors');
  writeFileSync(path, writeSafetensors(fixtureStateDict(f)));
  return path;
}
