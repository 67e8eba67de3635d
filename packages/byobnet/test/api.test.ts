import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ByobNet, checkpointFilterFn } from '@zoo/byobnet';
import {
  type ByoBlockArgs,
  ByoBottleneckBlock,
  createModel,
  type ForwardIntermediatesOptions,
  Identity,
  interleaveBlocks,
  Module,
  mobileOneBlocks,
  registerByoBlock,
  repVggBlocks,
  type StateDict,
  setBackend,
} from '@zoo/core';
import { camelKwargs, compareOutput, fixtureInput, fixtureStateDict, type ParityFixture } from '@zoo/parity/pure';
import { beforeAll, describe, expect, it } from 'vitest';
import { archs } from '../src/archs.js';

beforeAll(async () => {
  await setBackend('wasm');
});

const fixture = (dir: string, id: string) => JSON.parse(readFileSync(join(import.meta.dirname, dir, `${id}.json`), 'utf8')) as ParityFixture;
const tensor = (shape: number[]) => ({ dtype: 'float32' as const, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });

describe('reparameterize(): RepVGG / MobileOne branches fused into one conv', () => {
  for (const [dir, id, blocks] of [['fixtures', 'repvgg_a0', 22], ['fixtures', 'mobileone_s0', 43], ['fixtures-extra', 'repvgg_b1g4', 28]] as const) {
    it(`${id}: the fused model still matches timm's unfused outputs at the fixture bar`, async () => {
      const f = fixture(dir, id);
      const m = (await createModel(f.model, camelKwargs(f.kwargs))) as ByobNet;
      m.loadStateDict(fixtureStateDict(f));
      const x = fixtureInput(f);
      const before = m.forward(x);
      expect(m.reparameterize()).toBe(blocks);
      expect(m.reparameterize()).toBe(0); // idempotent
      const keys = Object.keys(m.stateDict());
      expect(keys.some((k) => /conv_kxk|conv_1x1|conv_scale|identity/.test(k))).toBe(false);
      expect(keys).toContain('stem.reparam_conv.weight');
      expect(keys).toContain('stem.reparam_conv.bias');
      const after = m.forward(x);
      const r = compareOutput('logits', after, f.outputs.logits as never);
      expect(r.ok, r.message).toBe(true);
      const drift = tf.tidy(() => tf.max(tf.abs(tf.sub(after, before))).dataSync()[0]!);
      expect(drift).toBeLessThanOrEqual(r.bar);
      tf.dispose([x, before, after]);
      m.dispose();
    });
  }
});

describe('ByobNet intermediates and pruning as timm', () => {
  it("takes the stem's map before its pool, and final_conv with the last stage unless excluded", async () => {
    const m = (await createModel('resnext26ts')) as ByobNet;
    expect(m.featureInfo.map((f) => f.module)).toEqual(['stem.conv3', 'stages.0', 'stages.1', 'stages.2', 'final_conv']);
    expect(m.stageEnds).toEqual([0, 1, 2, 3, 4]);
    const x = tf.zeros([1, 64, 64, 3]);
    const maps = m.forwardIntermediates(x, { intermediatesOnly: true });
    expect(maps.map((t) => t.shape)).toEqual([[1, 32, 32, 64], [1, 16, 16, 256], [1, 8, 8, 512], [1, 4, 4, 1024], [1, 2, 2, 2048]]);
    tf.dispose([x, ...maps]);
    m.dispose();
  });

  it('gernet: the stride-1 last stage ends no level; final_conv is the last level, excluded on request', async () => {
    const m = (await createModel('gernet_s')) as ByobNet;
    expect(m.stageEnds).toEqual([0, 1, 2, 3, 5]);
    const x = tf.zeros([1, 64, 64, 3]);
    const opts: ForwardIntermediatesOptions = { indices: [4] };
    const { final, intermediates } = m.forwardIntermediates(x, Object.assign(opts, { excludeFinalConv: true }));
    expect(intermediates[0]!.shape).toEqual([1, 2, 2, 256]); // stage 4 output, before final_conv
    expect(final.shape).toEqual([1, 2, 2, 1920]);
    tf.dispose([x, final, ...intermediates]);
    m.dispose();
  });

  it('pruning for the first two levels drops later stages, final_conv and the classifier', async () => {
    const m = (await createModel('regnetz_b16')) as ByobNet;
    expect(m.pruneIntermediateLayers([0, 1])).toEqual([0, 1]);
    const keys = Object.keys(m.stateDict());
    expect(keys.some((k) => k.startsWith('stages.1.') || k.startsWith('final_conv.') || k.startsWith('head.fc'))).toBe(false);
    expect(m.numClasses).toBe(0);
    const x = tf.zeros([1, 32, 32, 3]);
    const maps = m.forwardIntermediates(x, { indices: [0, 1], intermediatesOnly: true });
    expect(maps.map((t) => t.shape)).toEqual([[1, 16, 16, 32], [1, 8, 8, 48]]);
    tf.dispose([x, ...maps]);
    m.dispose();
  });
});

describe("core's block language helpers write timm's cfg rows", () => {
  it("repVggBlocks / mobileOneBlocks equal the generated rows of timm's _rep_vgg_bcfg / _mobileone_bcfg", () => {
    expect(repVggBlocks([2, 4, 14, 1], [0.75, 0.75, 0.75, 2.5])).toEqual(archs.repvgg_a0!.cfg.blocks);
    expect(repVggBlocks(undefined, [2, 2, 2, 4], 4)).toEqual(archs.repvgg_b1g4!.cfg.blocks);
    expect(mobileOneBlocks(undefined, [0.75, 1, 1, 2], [], 4)).toEqual(archs.mobileone_s0!.cfg.blocks);
    expect(mobileOneBlocks(undefined, [3, 3.5, 3.5, 4], [0, 0, 5, 1])).toEqual(archs.mobileone_s4!.cfg.blocks);
  });

  it('interleaveBlocks alternates two block types as timm does', () => {
    expect(interleaveBlocks(['bottle', 'self_attn'], 4, { c: 64, every: 1 }).map((b) => b.type)).toEqual(['bottle', 'self_attn', 'bottle', 'self_attn']);
    expect(interleaveBlocks(['bottle', 'self_attn'], 3, { c: 64, every: 5 }).map((b) => b.type)).toEqual(['bottle', 'bottle', 'self_attn']);
  });

  it('a registered block type builds inside a ByobNet (how composed models extend the language)', () => {
    class Doubled extends Module {
      readonly inner: Module;
      constructor(a: ByoBlockArgs) {
        super();
        this.inner = this.addModule('inner', new ByoBottleneckBlock(a));
        this.addModule('extra', new Identity());
      }
      override forward(x: tf.Tensor): tf.Tensor {
        return this.inner.forward(x);
      }
    }
    registerByoBlock('test_doubled', Doubled);
    const m = new ByobNet({ cfg: { blocks: [{ type: 'test_doubled', d: 2, c: 32, br: 0.5 }, { type: 'bottle', d: 1, c: 64 }] }, numClasses: 3 });
    expect(Object.keys(m.stateDict()).filter((k) => k.startsWith('stages.0.1.inner.conv1_1x1.conv'))).toEqual(['stages.0.1.inner.conv1_1x1.conv.weight']);
    const x = tf.zeros([1, 32, 32, 3]);
    const y = m.forward(x);
    expect(y.shape).toEqual([1, 3]);
    tf.dispose([x, y]);
    m.dispose();
  });
});

describe('ByobNet checkpoints and bad input', () => {
  it("maps OpenAI CLIP's ModifiedResNet keys to timm's, dropping the attention pool for a pooled head", async () => {
    const sd: StateDict = {
      'visual.conv1.weight': tensor([32, 3, 3, 3]),
      'visual.bn2.running_var': tensor([32]),
      'visual.layer1.0.conv2.weight': tensor([64, 64, 3, 3]),
      'visual.layer2.0.bn3.bias': tensor([512]),
      'visual.layer2.0.downsample.0.weight': tensor([512, 256, 1, 1]),
      'visual.layer2.0.downsample.1.weight': tensor([512]),
      'visual.attnpool.positional_embedding': tensor([50, 2048]),
      'visual.attnpool.c_proj.weight': tensor([1024, 2048]),
      'transformer.resblocks.0.attn.in_proj_weight': tensor([4, 4]),
    };
    const withPool = (await createModel('resnet50_clip')) as ByobNet;
    expect(Object.keys(checkpointFilterFn(sd, withPool))).toEqual([
      'stem.conv1.conv.weight', 'stem.conv2.bn.running_var', 'stages.0.0.conv2_kxk.conv.weight', 'stages.1.0.conv3_1x1.bn.bias',
      'stages.1.0.shortcut.conv.conv.weight', 'stages.1.0.shortcut.conv.bn.weight', 'head.pos_embed', 'head.proj.weight',
    ]);
    withPool.dispose();
    const gap = (await createModel('resnet50_clip_gap')) as ByobNet;
    expect(Object.keys(checkpointFilterFn(sd, gap)).some((k) => k.startsWith('head'))).toBe(false);
    gap.dispose();
    const timms: StateDict = { 'stem.conv1.conv.weight': tensor([32, 3, 3, 3]) };
    expect(checkpointFilterFn(timms, gap)).toBe(timms);
  });

  it('rejects bad cfgs and options with errors naming them', () => {
    const blocks = [{ type: 'bottle', d: 1, c: 32 }];
    expect(() => new ByobNet({ cfg: { blocks }, outputStride: 4 })).toThrow(/outputStride must be 8, 16 or 32, got 4/);
    expect(() => new ByobNet({ cfg: { blocks, stemType: 'octo' } })).toThrow(/stemType must be one of .* got 'octo'/);
    expect(() => new ByobNet({ cfg: { blocks: [{ type: 'nope', d: 1, c: 32 }] } })).toThrow(/unknown block type 'nope'/);
    expect(() => new ByobNet({ cfg: { blocks, attnLayer: 'cbam' } })).toThrow(/unknown attention layer 'cbam'/);
    expect(() => new ByobNet({ cfg: { blocks: [{ type: 'self_attn', d: 1, c: 32 }] } })).toThrow(/'self_attn' block needs a selfAttnLayer/);
    expect(() => new ByobNet({ cfg: { blocks, headType: 'attn_abs' } })).toThrow(/'attn_abs' head needs imgSize/);
    expect(() => new ByobNet({ cfg: { blocks, headType: 'attn_rot' }, imgSize: 224 })).toThrow(/rotary attention pool is not implemented/);
    expect(() => new ByobNet({ cfg: { blocks: [{ type: 'bottle', d: 1, c: 48, gs: 7 }] } })).toThrow(/channels \(48\) must be divisible by group size \(7\)/);
  });

  it('takes ByoModelCfg fields as options (timm overlays kwargs onto the cfg)', async () => {
    const m = (await createModel('resnet50_clip_gap', { actLayer: 'silu', numClasses: 5 })) as ByobNet;
    expect(m.cfg.actLayer).toBe('silu');
    expect(m.numClasses).toBe(5);
    m.dispose();
    await expect(createModel('gernet_s', { stemWidth: 3 } as never)).rejects.toThrow(/does not take option 'stemWidth'/);
  });
});
