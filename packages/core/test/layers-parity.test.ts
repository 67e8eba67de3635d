/**
 * Core's shared building blocks against what timm's own layers compute (tooling/parity/make_layers_fixture.py wrote
 * the fixture with timm 1.0.29.dev0): each layer built as a family builds it, loaded with the random state dict of
 * timm's, run on timm's input (NCHW → NHWC), and held to the parity bar `|ours - timm| <= 1e-4 * max(1, max |timm|)`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ActName, Attention, applyAct, BatchNormAct2d, BlurPool2d, ClassifierHead, ConvMlp, ConvNormAct, createConv2d, createNorm,
  createNormAct, EcaModule, EvoNorm2dS0, EvoNorm2dS0a, FilterResponseNormAct2d, FilterResponseNormTlu2d, GlobalContext, GluMlp,
  GroupNormAct, LayerNorm, LayerNorm2d, LayerScale, Mlp, type Module, NormMlpClassifierHead, PatchEmbed, RmsNorm, SEModule,
  SimpleNorm, type StateDict, StdConv2d, SwiGLU, setBackend,
} from '../src/index.js';

interface Entry {
  shape: number[];
  data_b64: string;
}
interface Case {
  id: string;
  note: string;
  state_dict: Record<string, Entry>;
  input: Entry;
  output: Entry;
}
interface Fixture {
  cases: Case[];
  activations: { input: Entry; outputs: Record<string, Entry> };
}

const fx = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/layers/timm-layers.json'), 'utf8')) as Fixture;

const floats = (e: Entry) => {
  const b = Buffer.from(e.data_b64, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
/** timm's tensor as ours: 4-D maps NCHW → NHWC, anything else as it is. */
const toOurs = (e: Entry) => {
  const t = tf.tensor(floats(e), e.shape, 'float32');
  if (e.shape.length !== 4) return t;
  const y = tf.transpose(t, [0, 2, 3, 1]);
  t.dispose();
  return y;
};

/** How each case's layer is built here: what a family passes for timm's constructor call in the fixture. */
const BUILD: Record<string, () => Module> = {
  conv_same_s2: () => createConv2d(4, 6, 3, { stride: 2, padding: 'same' }),
  conv_torch_k5_s2: () => createConv2d(4, 6, 5, { stride: 2 }),
  conv_dw_dilated: () => createConv2d(6, 6, 3, { dilation: 2, depthwise: true }),
  conv_mixed: () => createConv2d(6, 6, [3, 5, 7], { stride: 2, depthwise: true }),
  std_conv: () => new StdConv2d(4, 6, 3, { padding: 1 }),
  batchnorm_act_defaults: () => new BatchNormAct2d(6),
  batchnorm_act_silu: () => new BatchNormAct2d(6, { act: 'silu' }),
  groupnorm_act_gelu: () => new GroupNormAct(2, 8, { act: 'gelu' }),
  layernorm2d: () => new LayerNorm2d(8),
  norm_layer_layernorm2d: () => createNorm('layernorm2d', 8),
  norm_act_layer_layernorm2d: () => createNormAct('layernorm2d', 8),
  norm_layer_layernorm: () => createNorm('layernorm', 8),
  conv_norm_act: () => new ConvNormAct(4, 6, 3, { stride: 2 }),
  evonorm_s0: () => new EvoNorm2dS0(16, { groups: 4 }),
  evonorm_s0a: () => new EvoNorm2dS0a(16, { groups: 4 }),
  frn_tlu: () => new FilterResponseNormTlu2d(8),
  frn_act: () => new FilterResponseNormAct2d(8),
  rms_norm: () => new RmsNorm(8),
  simple_norm: () => new SimpleNorm(8),
  se_defaults: () => new SEModule(32),
  se: () => new SEModule(16, { rdRatio: 0.25 }),
  global_context: () => new GlobalContext(16),
  eca: () => new EcaModule(16),
  blur_pool: () => new BlurPool2d(6, { filtSize: 3, stride: 2 }),
  mlp_gelu: () => new Mlp(8, { hiddenFeatures: 16 }),
  glu_mlp: () => new GluMlp(8, { hiddenFeatures: 16 }),
  swiglu: () => new SwiGLU(8, { hiddenFeatures: 16 }),
  conv_mlp: () => new ConvMlp(8, { hiddenFeatures: 16 }),
  layer_scale: () => new LayerScale(8),
  attention_defaults: () => new Attention(16),
  attention: () => new Attention(16, { numHeads: 2, qkvBias: true }),
  attention_qk_norm: () => new Attention(16, { numHeads: 2, qkNorm: true, normLayer: (d) => new LayerNorm(d) }),
  patch_embed: () => new PatchEmbed({ imgSize: 16, patchSize: 4, inChans: 3, embedDim: 8 }),
  classifier_head_defaults: () => new ClassifierHead(8, 5),
  classifier_head_avg: () => new ClassifierHead(8, 5, { poolType: 'avg' }),
  classifier_head_catavgmax: () => new ClassifierHead(8, 5, { poolType: 'catavgmax' }),
  norm_mlp_head: () => new NormMlpClassifierHead(8, 5, { hiddenSize: 6 }),
};

const bar = (want: Float32Array) => 1e-4 * Math.max(1, ...Array.from(want, Math.abs));
const maxDiff = (got: tf.Tensor, want: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]!);

beforeAll(async () => {
  await setBackend('wasm');
});

describe("core's layers compute what timm's compute", () => {
  it('has a builder for every case in the fixture, and a case for every builder', () => {
    expect(fx.cases.map((c) => c.id).sort()).toEqual(Object.keys(BUILD).sort());
  });

  for (const c of fx.cases) {
    it(`${c.id}: ${c.note}`, () => {
      const layer = BUILD[c.id]!();
      const sd: StateDict = Object.fromEntries(
        Object.entries(c.state_dict).map(([k, e]) => [k, { dtype: 'float32', shape: e.shape, data: floats(e) }]),
      );
      // Every float tensor of timm's state dict is one of ours; only integer buffers (num_batches_tracked) are left.
      const { missingKeys, unexpectedKeys } = layer.loadStateDict(sd, { strict: false });
      expect(unexpectedKeys).toEqual([]);
      expect(missingKeys.filter((k) => !k.endsWith('num_batches_tracked'))).toEqual([]);
      const x = toOurs(c.input);
      const want = toOurs(c.output);
      const got = layer.forward(x);
      expect(got.shape).toEqual(want.shape);
      expect(maxDiff(got, want)).toBeLessThanOrEqual(bar(floats(c.output)));
      tf.dispose([x, want, got]);
      layer.dispose();
    });
  }

  for (const [name, out] of Object.entries(fx.activations.outputs)) {
    it(`activation ${name}`, () => {
      const x = toOurs(fx.activations.input);
      const want = toOurs(out);
      const got = applyAct(name as ActName, x);
      expect(maxDiff(got, want)).toBeLessThanOrEqual(bar(floats(out)));
      tf.dispose([x, want, got]);
    });
  }
});
