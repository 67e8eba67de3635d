/**
 * The families' generated files (cfgs.ts, archs.ts, pruned.ts) are exactly what the generator writes from the
 * committed facts: editing one by hand, or refreshing the facts without regenerating, fails here.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAMILIES } from '../gen/families.ts';
import { generateAll, lit } from '../gen/generate.ts';

describe('generated family files', () => {
  const files = generateAll();

  it('covers every family in the generator table', () => {
    expect(files.size).toBeGreaterThanOrEqual(FAMILIES.length);
  });

  for (const [path, text] of files) {
    it(`${relative(`${import.meta.dirname}/../../..`, path)} is what the facts generate`, () => {
      expect(readFileSync(path, 'utf8') === text, 'regenerate with: npx tsx tooling/timm-facts/gen/generate.ts').toBe(true);
    });
  }

  it('writes literals TypeScript reads back as the same values', () => {
    const v = { a: [1, 0.5, null, true], 'b-c': "it's", d: { e: '' } };
    expect(new Function(`return ${lit(v)};`)()).toEqual(v);
  });
});
