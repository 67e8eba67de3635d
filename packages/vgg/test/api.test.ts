import * as tf from '@tensorflow/tfjs-core';
import { createModel, type StateDict, setBackend } from '@zoo/core';
import { VGGConvMlp, checkpointFilterFn, VGG } from '@zoo/vgg';
import { beforeAll, describe, expect, it } from 'vitest';

beforeAll(async () => {
  await setBackend('wasm');
});

const tensor = (shape: number[]) => ({ dtype: 'float32' as const, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });

describe('VGG beyond the registered architectures', () => {
  it("maps torchvision's classifier.0/3/6 to pre_logits.fc1/fc2 and head.fc, reshaping the linears into convs", () => {
    const sd: StateDict = {
      'features.0.weight': tensor([64, 3, 3, 3]),
      'classifier.0.weight': tensor([4096, 512 * 7 * 7]),
      'classifier.0.bias': tensor([4096]),
      'classifier.3.weight': tensor([4096, 4096]),
      'classifier.6.weight': tensor([1000, 4096]),
    };
    const out = checkpointFilterFn(sd);
    expect(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.shape]))).toEqual({
      'features.0.weight': [64, 3, 3, 3],
      'pre_logits.fc1.weight': [4096, 512, 7, 7],
      'pre_logits.fc1.bias': [4096],
      'pre_logits.fc2.weight': [4096, 4096, 1, 1],
      'head.fc.weight': [1000, 4096],
    });
  });

  it('a map smaller than 7×7 is average-pooled up to 7×7 before fc1, as PyTorch adaptive_avg_pool2d does', () => {
    const mlp = new VGGConvMlp(2, 3, 7);
    const x = tf.randomUniform([1, 2, 2, 2], -1, 1, 'float32', 5);
    // 2 → 7 adaptive bins: output i averages input rows [floor(2i/7), ceil(2(i+1)/7)): 0,0,0,(0+1)/2,1,1,1.
    const up = (t: tf.Tensor, axis: number) => {
      const [a, b] = tf.split(t, 2, axis);
      const mid = tf.div(tf.add(a!, b!), 2);
      return tf.concat([a!, a!, a!, mid, b!, b!, b!], axis);
    };
    const [shape, diff] = tf.tidy(() => {
      const got = mlp.forward(x);
      return [got.shape, tf.max(tf.abs(tf.sub(got, mlp.forward(up(up(x, 1), 2))))).dataSync()[0]!] as const;
    });
    expect(shape).toEqual([1, 1, 1, 3]);
    expect(diff).toBeLessThan(1e-6);
    x.dispose();
    mlp.dispose();
  });

  it('features_only gives six levels, the first at stride 1', async () => {
    const f = await createModel('vgg11', { featuresOnly: true });
    const x = tf.zeros([1, 32, 32, 3]);
    const maps = f.forward(x) as tf.Tensor[];
    expect(maps.map((m) => m.shape)).toEqual([[1, 32, 32, 64], [1, 16, 16, 128], [1, 8, 8, 256], [1, 4, 4, 512], [1, 2, 2, 512], [1, 1, 1, 512]]);
    tf.dispose([x, ...maps]);
    f.dispose();
  });

  it('rejects what timm rejects, naming the option', () => {
    expect(() => new VGG({ cfg: [8, 'M'], outputStride: 16 })).toThrow(/outputStride must be 32, got 16/);
    expect(() => new VGG({ cfg: [8, 'M'], normLayer: 'groupnorm' as never })).toThrow(/normLayer must be 'batchnorm' or null/);
  });
});
