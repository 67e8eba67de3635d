/** The snippet checker itself: extraction (indented blocks, markers) and that a broken snippet is reported. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check, extract } from '../check-snippets.ts';

const fence = '```';

describe('extract', () => {
  it('takes ts blocks (indented ones too), joins `continue` blocks and leaves out `skip` ones', () => {
    const md = [
      'text',
      `${fence}ts`,
      'const a = 1;',
      fence,
      '<!-- snippet: continue -->',
      `  ${fence}ts`,
      '  const b = a + 1;',
      `  ${fence}`,
      '<!-- snippet: skip -->',
      `${fence}ts`,
      'pseudo code here',
      fence,
      `${fence}sh`,
      'npm i',
      fence,
    ].join('\n');
    const got = extract('x.md', md);
    expect(got).toEqual([{ file: 'x.md', lines: [3, 7], code: ['const a = 1;', 'const b = a + 1;'] }]);
    expect(() => extract('y.md', `<!-- snippet: maybe -->\n${fence}ts\nx\n${fence}`)).toThrow(/y\.md:1: unknown snippet marker 'maybe'/);
  });
});

describe('check', () => {
  it('reports a snippet that does not compile under strict at its markdown line; a good one passes', () => {
    const dir = join(import.meta.dirname, '../.snippets-test');
    const bad = `# t\n\n${fence}ts\nimport { createModel } from '@zoo/core';\nconst n: number = 'resnet18';\nfunction f(x) { return x; }\nawait createModel(n);\n${fence}\n`;
    const { count, errors } = check([{ file: 'doc.md', text: bad }], dir);
    expect(count).toBe(1);
    expect(errors).toEqual([
      expect.stringMatching(/^doc\.md:5: error TS2322: Type 'string' is not assignable to type 'number'/),
      expect.stringMatching(/^doc\.md:6: error TS7006: Parameter 'x' implicitly has an 'any' type/),
      expect.stringMatching(/^doc\.md:7: error TS2769: No overload matches this call[\s\S]*'number' is not assignable to parameter of type 'string'/),
    ]);
    const good = `${fence}ts\nimport { createModel } from '@zoo/core';\nconst m = await createModel('resnet18', { featuresOnly: true });\nm.forward;\n${fence}\n`;
    expect(check([{ file: 'ok.md', text: good }], dir).errors).toEqual([]);
  });

  it('writes blocks that name a file under that name, so the blocks of one document import each other', () => {
    const dir = join(import.meta.dirname, '../.snippets-test');
    const md = [
      `${fence}ts`, '// src/archs.ts', 'export const archs = { tiny: { width: 8 } };', fence,
      `${fence}ts`, '// src/register.ts', "import { archs } from './archs.js';", 'const w: number = archs.tiny.width;', 'const s: string = archs.tiny.width;', fence,
    ].join('\n');
    const { count, errors } = check([{ file: 'walk.md', text: md }], dir);
    expect(count).toBe(2);
    expect(errors).toEqual([expect.stringMatching(/^walk\.md:9: error TS2322: Type 'number' is not assignable to type 'string'/)]);
    const twice = `${fence}ts\n// a.ts\nexport {};\n${fence}\n${fence}ts\n// lib/a.ts\nexport {};\n${fence}\n`;
    expect(() => check([{ file: 'dup.md', text: twice }], dir)).toThrow(/dup\.md:6: a second block names the file 'a\.ts'/);
  });
});
