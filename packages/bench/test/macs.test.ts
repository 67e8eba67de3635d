import * as tf from '@tensorflow/tfjs-core';
import { createModel } from '@zoo/core';
import { setNodeBackend } from '@zoo/core/node';
import '@zoo/resnet';
import { beforeAll, describe, expect, it } from 'vitest';
import { countMacs } from '../src/macs.js';

beforeAll(async () => {
  await setNodeBackend({ numThreads: 1, onNotice: null });
});

describe('countMacs', () => {
  it('counts convs, depthwise convs and matmuls from their shapes, and restores the engine', () => {
    const runKernel = tf.engine().runKernel;
    const x = tf.ones([1, 8, 8, 3]) as tf.Tensor4D;
    const w = tf.ones([3, 3, 3, 16]) as tf.Tensor4D;
    const dw = tf.ones([5, 5, 16, 2]) as tf.Tensor4D;
    const a = tf.ones([4, 10, 7]) as tf.Tensor3D;
    const b = tf.ones([4, 7, 6]) as tf.Tensor3D;
    const macs = countMacs(() => {
      const y = tf.conv2d(x, w, 2, 'same'); // [1, 4, 4, 16]: 3·3·3 per output
      const u = tf.depthwiseConv2d(y, dw, 1, 'same'); // [1, 4, 4, 32]: 5·5 per output
      const v = tf.matMul(a, b); // [4, 10, 6]: 7 per output
      const t = tf.matMul(b, a, true, true); // [4, 6, 10]: 7 per output
      return tf.add(tf.sum(u), tf.add(tf.sum(v), tf.sum(t)));
    });
    expect(macs).toBe(4 * 4 * 16 * 27 + 4 * 4 * 32 * 25 + 4 * 10 * 6 * 7 + 4 * 6 * 10 * 7);
    expect(tf.engine().runKernel).toBe(runKernel);
    tf.dispose([x, w, dw, a, b]);
  });

  it("gives ResNet-50's published 4.1 GMACs at 224 px", async () => {
    const model = await createModel('resnet50');
    const x = tf.zeros([1, 224, 224, 3]);
    tf.tidy(() => model.forward(x)); // the first forward folds BN into the convs (kept tensors)
    const before = tf.memory().numTensors;
    const macs = countMacs(() => model.forward(x));
    expect(tf.memory().numTensors).toBe(before);
    // timm / torchvision quote 4.1 GMACs (≈ 8.2 GFLOPs) for ResNet-50 at 224×224.
    expect(macs / 1e9).toBeGreaterThan(4.05);
    expect(macs / 1e9).toBeLessThan(4.15);
    x.dispose();
    model.dispose();
  });
});
