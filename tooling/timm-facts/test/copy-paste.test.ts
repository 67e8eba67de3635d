/**
 * The copy-paste check: no run of 6 or more identical code lines stands twice in the packages' sources or tests
 * (within a file or across files), so what families repeat goes into core (and what their tests repeat into
 * @zoo/testing). Lines are compared with white space folded;
 * blank lines, comments, import lines, lone punctuation and declarations (class fields without an initialiser, a
 * bare `super()`) are passed over. Line-based, like jscpd's minimum-lines rule, with no dependency. Generated data (cfgs.ts, archs.ts, pruned.ts) and test
 * fixtures are left out.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const MIN_LINES = 6;
const repo = join(import.meta.dirname, '../../..');
const GENERATED = new Set(['cfgs.ts', 'archs.ts', 'pruned.ts']);

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'dist' || name.startsWith('fixtures')) continue;
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts') && !GENERATED.has(name)) out.push(p);
  }
  return out;
}

interface CodeLine {
  text: string;
  line: number;
}

/** The lines that count, with their 1-based line numbers. */
function codeLines(text: string): CodeLine[] {
  const out: CodeLine[] = [];
  let inBlock = false;
  text.split('\n').forEach((raw, i) => {
    let t = raw.trim();
    if (inBlock) {
      if (t.includes('*/')) inBlock = false;
      return;
    }
    if (t.startsWith('/*')) {
      if (!t.includes('*/')) inBlock = true;
      return;
    }
    if (t.startsWith('//') || t.startsWith('import ') || t.startsWith('} from ')) return;
    // Declarations carry no logic: class fields without an initialiser, and a bare super() call.
    if (/^(?:(?:private|protected|public|override|declare|static) )*(?:readonly )?[\w$]+[?!]?: [^=(]+;$/.test(t) || t === 'super();') return;
    t = t.replace(/\s+/g, ' ');
    if (/^[\s{}()[\];,]*$/.test(t)) return;
    out.push({ text: t, line: i + 1 });
  });
  return out;
}

/** Runs of at least MIN_LINES code lines that stand in two places: `file:from-to ~ file:from-to`. */
function findCopies(files: string[]): string[] {
  const seen = new Map<string, { file: string; index: number }>();
  const lines = new Map<string, CodeLine[]>();
  const found: string[] = [];
  const reported = new Set<string>();
  for (const file of files) {
    const cl = codeLines(readFileSync(file, 'utf8'));
    lines.set(file, cl);
    for (let i = 0; i + MIN_LINES <= cl.length; i++) {
      const key = cl.slice(i, i + MIN_LINES).map((l) => l.text).join('\n');
      const first = seen.get(key);
      if (!first) {
        seen.set(key, { file, index: i });
        continue;
      }
      if (first.file === file && i - first.index < MIN_LINES) continue; // a run that overlaps itself
      const a = lines.get(first.file)![first.index]!;
      const where = `${relative(repo, first.file)}:${a.line} ~ ${relative(repo, file)}:${cl[i]!.line}`;
      const pair = `${first.file}|${file}`;
      if (reported.has(pair)) continue; // one row per pair of files
      reported.add(pair);
      found.push(where);
    }
  }
  return found;
}

describe('copy-paste check', () => {
  it('finds a repeated run (the check itself works)', () => {
    const files = [join(import.meta.dirname, 'fixtures/copy-a.ts.txt'), join(import.meta.dirname, 'fixtures/copy-b.ts.txt')];
    expect(findCopies(files)).toHaveLength(1);
  });

  it(`packages/*/{src,test} have no run of ${MIN_LINES}+ identical code lines in two places`, () => {
    const files = readdirSync(join(repo, 'packages')).flatMap((p) =>
      ['src', 'test'].flatMap((d) => {
        try {
          return sources(join(repo, 'packages', p, d));
        } catch {
          return [];
        }
      }),
    );
    expect(files.length).toBeGreaterThan(300);
    expect(findCopies(files)).toEqual([]);
  });
});
