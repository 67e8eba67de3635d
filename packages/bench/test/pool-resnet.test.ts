import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, writeSafetensors } from '@zoo/core';
import { createPool, setNodeBackend } from '@zoo/core/node';
import '@zoo/resnet';
import { describe, expect, it } from 'vitest';

describe('createPool with a model family package', () => {
  it("imports '@zoo/resnet' in each worker and matches the single-process logits (test_resnet, 64×64)", async () => {
    await setNodeBackend({ numThreads: 1, onNotice: null });
    const model = await createModel('test_resnet');
    const dir = mkdtempSync(join(tmpdir(), 'zoo-bench-pool-'));
    const file = join(dir, 'test_resnet.safetensors');
    writeFileSync(file, writeSafetensors(model.stateDict()));
    const images = Array.from({ length: 4 }, (_, i) => {
      const data = new Float32Array(64 * 64 * 3).map((_, j) => Math.cos(j * 0.11 + i));
      return { data, shape: [64, 64, 3] };
    });
    const expected = images.map((im) => tf.tidy(() => model.forward(tf.tensor4d(im.data, [1, 64, 64, 3])).dataSync() as Float32Array).slice());
    model.dispose();
    const pool = await createPool({ model: 'test_resnet', options: { checkpointPath: file }, workers: 2, modules: ['@zoo/resnet'], resolveFrom: join(import.meta.dirname, '..') });
    try {
      const out = await pool.run(images);
      expect(out.map((r) => r.shape)).toEqual(images.map(() => [1000]));
      out.forEach((r, i) => {
        let maxDiff = 0;
        for (let j = 0; j < r.data.length; j++) maxDiff = Math.max(maxDiff, Math.abs(r.data[j]! - expected[i]![j]!));
        expect(maxDiff).toBeLessThan(1e-4);
      });
    } finally {
      await pool.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
