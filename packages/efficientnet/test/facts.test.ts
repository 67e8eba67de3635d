/**
 * Each architecture of the generated table (src/archs.ts: timm's block args written back as block strings, decoded
 * again by builder.ts's `decodeArchDef`) against what timm's own entrypoint hands the model class
 * (tooling/timm-facts/kwargs): the decoded block definitions block by block, the BatchNorm eps and the padding. Then
 * createModel's arguments over the table's, as timm's `resolve_bn_args` / `resolve_act_layer` apply them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BatchNorm2d, type Conv2d, createModel, type Module, type StateDict } from '@zoo/core';
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
  describe(`${module}: every table row gives timm's constructor arguments`, () => {
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

describe("createModel's arguments over the table's", () => {
  const eps = async (arch: string, kwargs: Record<string, unknown> = {}) => {
    const model = (await createModel(arch, kwargs)) as EfficientNet;
    const bn = model.getSubmodule('blocks.0.0.bn1') as Module & Partial<BatchNorm2d>;
    const out = [(model.getChild('bn1') as Module & Partial<BatchNorm2d>).eps, bn.eps];
    model.dispose();
    return out;
  };

  it("bnEps replaces the entrypoint's BatchNorm eps (a tf_* port's 1e-3 too), everywhere", async () => {
    expect(await eps('tf_efficientnet_b0')).toEqual([1e-3, 1e-3]);
    expect(await eps('tf_efficientnet_b0', { bnEps: 1e-5 })).toEqual([1e-5, 1e-5]);
    expect(await eps('efficientnet_b0', { bnEps: 1e-3 })).toEqual([1e-3, 1e-3]);
    expect(await eps('mobilenetv3_large_100', { bnEps: 2e-3 })).toEqual([2e-3, 2e-3]);
  });

  it('a normLayer given replaces the BatchNorm', async () => {
    const model = (await createModel('efficientnet_b0', { normLayer: { type: 'groupnorm', groupSize: 8 } })) as EfficientNet;
    expect(model.stateDict()['bn1.running_mean']).toBeUndefined();
    expect(model.stateDict()['bn1.weight']).toBeDefined();
    model.dispose();
  });

  it("an actLayer given replaces the entrypoint's default (timm's resolve_act_layer)", async () => {
    const ours = (await createModel('mobilenetv3_large_100', { actLayer: 'relu' })) as MobileNetV3;
    const timms = (await createModel('mobilenetv3_large_100')) as MobileNetV3;
    const tf = await import('@tensorflow/tfjs-core');
    const x = tf.randomNormal([1, 64, 64, 3], 0, 1, 'float32', 7);
    const sd = timms.stateDict() as StateDict;
    ours.loadStateDict(sd);
    const [a, b] = [ours.forward(x), timms.forward(x)];
    expect((await tf.max(tf.abs(tf.sub(a, b))).data())[0]).toBeGreaterThan(1e-3);
    for (const t of [a, b, x]) t.dispose();
    ours.dispose();
    timms.dispose();
  });

  it("fbnetc_100 with pretrained weights uses TF's BatchNorm eps (timm's entrypoint sets it), without them PyTorch's", async () => {
    const plain = (await createModel('fbnetc_100')) as EfficientNet;
    expect((plain.getChild('bn1') as Module & Partial<BatchNorm2d>).eps).toBe(1e-5);
    const sd = plain.stateDict() as StateDict;
    const loaded = (await createModel('fbnetc_100', { pretrained: true, pretrainedCfgOverlay: { stateDict: sd } })) as EfficientNet;
    expect((loaded.getChild('bn1') as Module & Partial<BatchNorm2d>).eps).toBe(1e-3);
    loaded.dispose();
    plain.dispose();
  });
});
