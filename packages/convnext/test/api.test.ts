import * as tf from '@tensorflow/tfjs-core';
import { createModel, setBackend, type StateDict, type VisionModel } from '@zoo/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConvNeXt, checkpointFilterFn } from '@zoo/convnext';

beforeAll(async () => {
  await setBackend('wasm');
});

const tiny = { depths: [1, 1, 1, 1], dims: [8, 16, 24, 32], convMlp: true } as const;

describe('ConvNeXt options beyond the registered architectures', () => {
  it('outputStride 16 dilates the last stage instead of striding', async () => {
    const m = (await createModel('convnext_atto', { outputStride: 16 })) as VisionModel;
    expect(m.featureInfo.map((f) => f.reduction)).toEqual([4, 8, 16, 16]);
    const x = tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 3);
    const f = m.forwardFeatures(x);
    expect(f.shape).toEqual([1, 4, 4, 320]);
    tf.dispose([x, f]);
    m.dispose();
  });

  it('a hidden head layer switches between linear and 1×1 conv with its weights when pooling is removed', () => {
    const m = new ConvNeXt({ ...tiny, headHiddenSize: 12, numClasses: 5 });
    expect(m.headHiddenSize).toBe(12);
    const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 4);
    const pooled = m.forwardHead(m.forwardFeatures(x), { preLogits: true });
    expect(m.stateDict()['head.pre_logits.fc.weight']!.shape).toEqual([12, 32]);
    m.resetClassifier(0, '');
    const sd = m.stateDict();
    expect(sd['head.pre_logits.fc.weight']!.shape).toEqual([12, 32, 1, 1]);
    expect(sd['head.fc.weight']).toBeUndefined();
    const map = m.forward(x);
    expect(map.shape).toEqual([2, 1, 1, 12]);
    // With a 1×1 map, the unpooled hidden layer equals the pooled one: the weights were carried over.
    expect(tf.max(tf.abs(tf.sub(tf.reshape(map, [2, 12]), pooled))).dataSync()[0]).toBeLessThan(1e-5);
    m.resetClassifier(3, 'avg');
    expect(m.stateDict()['head.pre_logits.fc.weight']!.shape).toEqual([12, 32]);
    expect(m.forward(x).shape).toEqual([2, 3]);
    m.dispose();
  });

  it('head_norm_first puts the norm before the pool (norm_pre) and uses a plain classifier head', () => {
    const m = new ConvNeXt({ ...tiny, headNormFirst: true, numClasses: 4 });
    const keys = Object.keys(m.stateDict());
    expect(keys).toContain('norm_pre.weight');
    expect(keys.filter((k) => k.startsWith('head.'))).toEqual(['head.fc.weight', 'head.fc.bias']);
    m.dispose();
  });

  it('rejects unknown norms and stems, naming the choices', () => {
    expect(() => new ConvNeXt({ normLayer: 'batchnorm' as never })).toThrow(/unknown normLayer 'batchnorm'.*layernorm, rmsnorm, simplenorm/);
    expect(() => new ConvNeXt({ stemType: 'conv' as never })).toThrow(/unknown stemType 'conv'/);
  });
});

describe("checkpointFilterFn (timm's remap of original FAIR checkpoints)", () => {
  const t = (shape: number[]) => ({ dtype: 'float32' as const, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });

  it('passes timm checkpoints through and renames FAIR keys', () => {
    const m = new ConvNeXt({ ...tiny, useGrn: true, lsInitValue: null });
    const timmSd: StateDict = { 'head.norm.weight': t([32]) };
    expect(checkpointFilterFn(timmSd, m)).toBe(timmSd);
    const fair: StateDict = {
      'downsample_layers.0.0.weight': t([8, 3, 4, 4]),
      'downsample_layers.1.1.weight': t([16, 8, 2, 2]),
      'stages.0.0.dwconv.weight': t([8, 1, 7, 7]),
      'stages.0.0.pwconv1.weight': t([32, 8]),
      'stages.0.0.grn.gamma': t([1, 1, 1, 32]),
      'norm.weight': t([32]),
      'head.weight': t([1000, 32]),
    };
    const out = checkpointFilterFn(fair, m);
    expect(Object.keys(out)).toEqual([
      'stem.0.weight', 'stages.1.downsample.1.weight', 'stages.0.blocks.0.conv_dw.weight', 'stages.0.blocks.0.mlp.fc1.weight',
      'stages.0.blocks.0.mlp.grn.weight', 'head.norm.weight', 'head.fc.weight',
    ]);
    expect(out['stages.0.blocks.0.mlp.fc1.weight']!.shape).toEqual([32, 8, 1, 1]);
    expect(out['stages.0.blocks.0.mlp.grn.weight']!.shape).toEqual([32]);
    m.dispose();
  });
});
