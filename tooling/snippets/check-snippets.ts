/**
 * Typechecks every ```ts block of the README and the docs in strict mode, so a snippet a reader copies compiles.
 * Each block is its own module; a block marked `<!-- snippet: continue -->` on the line before is appended to the
 * previous block of the same file (a walkthrough in steps), and `<!-- snippet: skip -->` leaves a block out (only for
 * pseudo-code; say why in the text). A block whose first line is a comment naming a file (`// src/register.ts`) is
 * written under that file's name, beside the other named blocks of the same markdown file, so a walkthrough of a
 * package's files (`import { archs } from './archs.js'`) resolves its relative imports. Errors are reported at the
 * markdown file and line.
 *
 *   tsx tooling/snippets/check-snippets.ts
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';

const here = import.meta.dirname;
const root = resolve(here, '../..');
const out = join(here, '.snippets');

/** Markdown files with snippets: the README, docs/, and each package's README. */
function sources(): string[] {
  const files = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  for (const base of ['packages', 'tooling']) {
    for (const d of readdirSync(join(root, base))) {
      try {
        readFileSync(join(root, base, d, 'README.md'));
        files.push(`${base}/${d}/README.md`);
      } catch {
        // no README
      }
    }
  }
  return files.sort();
}

interface Snippet {
  file: string;
  /** Generated .ts line → markdown line (1-based). */
  lines: number[];
  code: string[];
}

export function extract(file: string, text: string): Snippet[] {
  const snippets: Snippet[] = [];
  const md = text.split('\n');
  for (let i = 0; i < md.length; i++) {
    if (!/^\s*```ts\s*$/.test(md[i]!)) continue;
    const indent = md[i]!.match(/^\s*/)![0].length;
    const marker = /<!--\s*snippet:\s*(\w+)\s*-->/.exec(md[i - 1] ?? '')?.[1];
    const markerLine = i; // 1-based number of the line before the fence
    const body: string[] = [];
    const lines: number[] = [];
    let j = i + 1;
    for (; j < md.length && !/^\s*```\s*$/.test(md[j]!); j++) {
      body.push(md[j]!.slice(indent));
      lines.push(j + 1);
    }
    i = j;
    if (marker === 'skip') continue;
    if (marker && marker !== 'continue') throw new Error(`${file}:${markerLine}: unknown snippet marker '${marker}' (continue or skip)`);
    const prev = snippets.at(-1);
    if (marker === 'continue' && prev) {
      prev.code.push(...body);
      prev.lines.push(...lines);
    } else snippets.push({ file, lines, code: body });
  }
  return snippets;
}

/** Typechecks the snippets of these markdown texts; returns one `file:line: error …` per problem. */
export function check(docs: { file: string; text: string }[], dir = out): { count: number; errors: string[] } {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const all = docs.flatMap((d) => extract(d.file, d.text));
  const byPath = new Map<string, Snippet>();
  all.forEach((s, n) => {
    const named = /^\/\/\s*(?:[\w.@-]+\/)*([\w.-]+\.ts)\s*$/.exec(s.code[0] ?? '')?.[1];
    const docDir = join(dir, s.file.replace(/[/.]/g, '_'));
    mkdirSync(docDir, { recursive: true });
    const path = named ? join(docDir, named) : join(docDir, `snippet_${n}.ts`);
    if (byPath.has(path)) throw new Error(`${s.file}:${s.lines[0]}: a second block names the file '${named}'`);
    // `export {}` makes every block a module (top-level await, no shared globals); it goes last to keep line numbers.
    writeFileSync(path, `${s.code.join('\n')}\nexport {};\n`);
    byPath.set(path, s);
  });
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    esModuleInterop: true,
    customConditions: ['@zoo/source'],
    types: ['node'],
  };
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  // Vite's client types, for `?url` imports (docs/browser.md says to add them).
  const ambient = join(dir, 'vite-env.d.ts');
  writeFileSync(ambient, '/// <reference types="vite/client" />\n');
  const program = ts.createProgram([ambient, ...byPath.keys()], options);
  const errors = ts.getPreEmitDiagnostics(program).map((d) => {
    const msg = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const s = d.file && byPath.get(resolve(d.file.fileName));
    if (!d.file || d.start === undefined || !s) return `${d.file ? `${d.file.fileName}: ` : ''}error TS${d.code}: ${msg}`;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${s.file}:${s.lines[line] ?? s.lines.at(-1)}: error TS${d.code}: ${msg}`;
  });
  return { count: all.length, errors };
}

function main(): number {
  const files = sources();
  const { count, errors } = check(files.map((file) => ({ file, text: readFileSync(join(root, file), 'utf8') })));
  for (const e of errors) console.error(e);
  console.log(`${count} snippets from ${files.length} files: ${errors.length ? `${errors.length} error(s)` : 'all typecheck (strict)'}`);
  return errors.length ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(here, 'check-snippets.ts')) process.exitCode = main();
