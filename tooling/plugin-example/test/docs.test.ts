/**
 * docs/plugins.md shows this package file for file: every ```ts block that starts with a
 * `// tooling/plugin-example/src/<file>` line is that file, so the guide's example is code that compiles and passes
 * the conformance suite here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');
const doc = readFileSync(join(root, 'docs/plugins.md'), 'utf8');
const blocks = [...doc.matchAll(/```ts\n\/\/ (tooling\/plugin-example\/src\/[\w.-]+)\n([\s\S]*?)```/g)].map((m) => ({ path: m[1]!, body: m[2]! }));

describe('docs/plugins.md mirrors tooling/plugin-example', () => {
  it('shows the model, cfgs, archs, register and index files', () => {
    expect(blocks.map((b) => b.path.split('/').pop())).toEqual(['tinynet.ts', 'cfgs.ts', 'archs.ts', 'register.ts', 'index.ts']);
  });
  for (const b of blocks) {
    it(`${b.path} is shown as it is`, () => {
      expect(b.body).toBe(readFileSync(join(root, b.path), 'utf8'));
    });
  }
});
