import { join } from 'node:path';
import { type Beit, checkpointFilterFn, register } from '@zoo/beit';
import { createModel, genRelativePositionIndex, getDefaultTag, listModels } from '@zoo/core';
import { describeRegistry } from '@zoo/parity/registry';
import { describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/beit.json'), register);

describe('BEiT as timm registers it', () => {
  it('lists v1 and v2 with their 22k / 1k fine-tuned weights', () => {
    expect(listModels('beit*')).toHaveLength(7);
    expect(getDefaultTag('beitv2_base_patch16_224')).toBe('in1k_ft_in22k_in1k');
  });

  it('indexes the relative position table as timm, class-token rows last', () => {
    // 2x2 window: (2·2−1)² = 9 patch offsets, then 9 (cls→patch), 10 (patch→cls), 11 (cls→cls).
    expect(Array.from(genRelativePositionIndex([2, 2]))).toEqual([
      11, 9, 9, 9, 9,
      10, 4, 3, 1, 0,
      10, 5, 4, 2, 1,
      10, 7, 6, 4, 3,
      10, 8, 7, 5, 4,
    ]);
    // timm's gen_relative_position_index((2, 3)), flattened: a window that is not square.
    expect(Array.from(genRelativePositionIndex([2, 3]))).toEqual([
      17, 15, 15, 15, 15, 15, 15, 16, 7, 6, 5, 2, 1, 0, 16, 8, 7, 6, 3, 2, 1, 16, 9, 8, 7, 4, 3, 2,
      16, 12, 11, 10, 7, 6, 5, 16, 13, 12, 11, 8, 7, 6, 16, 14, 13, 12, 9, 8, 7,
    ]);
  });

  it('loads weights made at another image size: relative position tables resized as timm', async () => {
    // A 2x2-grid checkpoint (img_size 32) into a 4x4-grid model (img_size 64): every table 12 → 52 rows.
    const small = (await createModel('beit_base_patch16_224', { imgSize: 32, depth: 2 })) as Beit;
    const big = (await createModel('beit_base_patch16_224', { imgSize: 64, depth: 2 })) as Beit;
    const sd = checkpointFilterFn(small.stateDict(), big);
    expect(sd['blocks.1.attn.relative_position_bias_table']!.shape).toEqual([52, 12]);
    big.loadStateDict(sd);
    // The class-token rows travel unchanged.
    const table = big.stateDict()['blocks.1.attn.relative_position_bias_table']!.data as Float32Array;
    const from = small.stateDict()['blocks.1.attn.relative_position_bias_table']!.data as Float32Array;
    expect(Array.from(table.subarray(49 * 12))).toEqual(Array.from(from.subarray(9 * 12)));
    small.dispose();
    big.dispose();
  });

  it('refuses a table it cannot resize, naming the key', async () => {
    const m = (await createModel('beit_base_patch16_224', { numClasses: 0, depth: 1 })) as Beit;
    const sd = { 'blocks.0.attn.relative_position_bias_table': { dtype: 'float32', shape: [3, 12], data: new Float32Array(36) } } as const;
    expect(() => checkpointFilterFn(sd as never, m)).toThrow(/blocks\.0\.attn\.relative_position_bias_table/);
    m.dispose();
  });
});
