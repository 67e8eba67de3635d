import type { Module } from './module.js';

/**
 * timm's `MATCH_PREV_GROUP` suffix: a name whose ordinal ends with it joins the layer group sorted just before it
 * (ViT's final `norm` joins the last block).
 */
export const MATCH_PREV_GROUP = 99999;

/**
 * One entry of a {@link GroupMatcher}: a regular expression (matched at the start of a parameter name, as Python's
 * `re.match`) whose captured numbers order the name, or a list of `[pattern, suffix]` tried in turn, where `suffix`
 * numbers are appended to the captured ones (`null`: none).
 */
export type GroupMatcherSpec = string | readonly (readonly [pattern: string, suffix: readonly number[] | null])[];

/**
 * timm's `group_matcher()`: parameter groups by name, in order (the first entry, usually `stem`, groups before the
 * next, usually `blocks`), each a {@link GroupMatcherSpec} (`null`: skipped). Or a function giving a name's ordinal
 * (a number or a tuple of numbers). Names nothing matches (the head) sort last.
 */
export type GroupMatcher = Readonly<Record<string, GroupMatcherSpec | null>> | ((name: string) => number | readonly number[]);

type Compiled = { re: RegExp; prefix: number; suffix: readonly number[] | null };

function compile(matcher: Readonly<Record<string, GroupMatcherSpec | null>>): Compiled[] {
  const out: Compiled[] = [];
  Object.values(matcher).forEach((spec, ordinal) => {
    if (spec === null || spec === undefined) return;
    const entries: readonly (readonly [string, readonly number[] | null])[] = typeof spec === 'string' ? [[spec, null]] : spec;
    // Sticky: anchored at the start of the name, as `re.match` is (an alternative like `bn1` in `^conv1|bn1` too).
    for (const [pattern, suffix] of entries) out.push({ re: new RegExp(pattern, 'y'), prefix: ordinal, suffix });
  });
  return out;
}

function compareOrdinals(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return a.length - b.length;
}

/**
 * timm's `group_with_matcher`: names mapped to ordinals by `matcher`, sorted, and numbered into consecutive layer ids
 * from 0 (an ordinal ending with {@link MATCH_PREV_GROUP} shares the id before it). Returns the names of each layer
 * id, in order.
 */
export function groupWithMatcher(names: readonly string[], matcher: GroupMatcher): string[][] {
  const ordinalOf: (name: string) => number[] =
    typeof matcher === 'function'
      ? (name) => {
          const o = matcher(name);
          return typeof o === 'number' ? [o] : [...o];
        }
      : ((compiled) => (name: string) => {
          for (const { re, prefix, suffix } of compiled) {
            re.lastIndex = 0;
            const m = re.exec(name);
            if (!m) continue;
            const captured = m.slice(1).filter((g): g is string => g !== undefined).map(Number);
            return [prefix, ...captured, ...(suffix ?? [])];
          }
          return [Number.POSITIVE_INFINITY];
        })(compile(matcher));
  const byKey = new Map<string, { ordinal: number[]; names: string[] }>();
  for (const name of names) {
    const ordinal = ordinalOf(name);
    const key = ordinal.join(',');
    const entry = byKey.get(key);
    if (entry) entry.names.push(name);
    else byKey.set(key, { ordinal, names: [name] });
  }
  const layers: string[][] = [];
  for (const { ordinal, names: group } of [...byKey.values()].sort((a, b) => compareOrdinals(a.ordinal, b.ordinal))) {
    if (!layers.length || ordinal[ordinal.length - 1] !== MATCH_PREV_GROUP) layers.push([]);
    layers[layers.length - 1]!.push(...group);
  }
  return layers;
}

/**
 * timm's `group_parameters(model, matcher, reverse=True)`: the layer id of each learnable parameter (buffers are not
 * parameters), by state-dict name.
 */
export function groupParameters(model: Module, matcher: GroupMatcher): Map<string, number> {
  const names = model
    .namedParams()
    .filter(([, p]) => !p.isBuffer)
    .map(([n]) => n);
  const out = new Map<string, number>();
  groupWithMatcher(names, matcher).forEach((group, id) => {
    for (const n of group) out.set(n, id);
  });
  return out;
}
