/**
 * Each architecture's `_gen_*` recipe (efficientnet-defs.ts / mobilenetv3-defs.ts: timm's recipes, arch strings and
 * multipliers) against what timm's own entrypoint hands the model class (tooling/timm-facts/kwargs): the decoded,
 * depth-scaled block definitions block by block, and the stem / head / norm / activation / padding they imply.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BatchNorm2d, type Conv2d, createModel, type Module } from '@zoo/core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EfficientNet, MobileNetV3 } from '../src/index.js';
import '../src/index.js';

beforeAll(async () => {
  const { setBackend } = await import('@zoo/core');
  await setBackend('wasm');
});

type TypeRef = { $type: string; args?: Record<string, unknown> };
interface ArchFacts { kwargs: Record<string, unknown> & { block_args: Record<string, unknown>[][] } }

const ACTS: Record<string, string> = {
  'torch.nn.modules.activation.ReLU': 'relu', 'torch.nn.modules.activation.ReLU6': 'relu6',
  'torch.nn.modules.activation.Hardswish': 'hard_swish', 'torch.nn.modules.activation.SiLU': 'swish',
  'torch.nn.modules.activation.Mish': 'mish', 'timm.layers.activations.GELU': 'gelu', 'torch.nn.modules.activation.GELU': 'gelu',
};
const ALIASES: Record<string, string> = { silu: 'swish', hardswish: 'hard_swish' };
const actName = (v: unknown): string | null => {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return ALIASES[v] ?? v;
  const t = (v as TypeRef).$type;
  if (!(t in ACTS)) throw new Error(`no name for timm's ${t}`);
  return ACTS[t]!;
};
const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
/** A block definition with keys camelCased, booleans as 0 / 1, activations by name, and unset (null) fields dropped. */
function norm(b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(b)) {
    const key = camel(k);
    if (key === 'actLayer') out[key] = actName(v);
    else if (v === null || v === undefined) continue;
    else out[key] = typeof v === 'boolean' ? Number(v) : v;
  }
  return out;
}

const facts = (module: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, `../../../tooling/timm-facts/kwargs/${module}.json`), 'utf8')) as { archs: Record<string, ArchFacts> };

for (const module of ['efficientnet', 'mobilenetv3']) {
  describe(`${module}: every recipe gives timm's constructor arguments`, () => {
    for (const [arch, f] of Object.entries(facts(module).archs)) {
      it(arch, async () => {
        const model = (await createModel(arch)) as EfficientNet | MobileNetV3;
        const conv = model.getChild('conv_stem') as Conv2d;
        const ours = model.blockArgs.map((s) => s.map((b) => norm(b as unknown as Record<string, unknown>)));
        const timm = f.kwargs.block_args.map((s) => s.map(norm));
        expect(ours).toEqual(timm);
        // BatchNorm eps (timm's partial, 1e-5 unless bound) and the stem conv's padding ('same' for the TF ports).
        const bn1 = model.getChild('bn1') as Module & Partial<BatchNorm2d>;
        const normLayer = f.kwargs.norm_layer as TypeRef | undefined;
        if (normLayer?.$type === 'torch.nn.modules.batchnorm.BatchNorm2d') expect(bn1.eps).toBeCloseTo((normLayer.args?.eps as number | undefined) ?? 1e-5, 12);

        expect(conv.constructor.name === 'Conv2dSame' || String((conv as unknown as { padding?: unknown }).padding) === 'same').toBe(f.kwargs.pad_type === 'same');
        model.dispose();
      });
    }
  });
}
