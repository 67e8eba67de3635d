import { join } from 'node:path';
import { genRelativeLogCoords, getDefaultTag, listModels } from '@zoo/core';
import { describeRegistry } from '@zoo/parity/registry';
import { register } from '@zoo/vit-relpos';
import { describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/vision_transformer_relpos.json'), register);

describe('relative-position ViT as timm registers it', () => {
  it('lists the relpos / srelpos variants with their ImageNet-1k weights', () => {
    expect(listModels('vit_*relpos*')).toHaveLength(13);
    expect(getDefaultTag('vit_relpos_small_patch16_224')).toBe('sw_in1k');
  });

  it('log-spaces the window offsets as timm', () => {
    // timm's gen_relative_log_coords for a 2x3 window (rounded to 1e-6): 'cr', 'swin', and 'swin' with a 4x4
    // pretrained window.
    const round = (a: Float32Array) => Array.from(a, (v) => Math.round(v * 1e6) / 1e6 + 0);
    expect(round(genRelativeLogCoords([2, 3], [0, 0], 'cr'))).toEqual([
      -0.693147, -1.098612, -0.693147, -0.693147, -0.693147, 0, -0.693147, 0.693147, -0.693147, 1.098612, 0, -1.098612, 0,
      -0.693147, 0, 0, 0, 0.693147, 0, 1.098612, 0.693147, -1.098612, 0.693147, -0.693147, 0.693147, 0, 0.693147, 0.693147,
      0.693147, 1.098612,
    ]);
    expect(round(genRelativeLogCoords([2, 3], [0, 0], 'swin'))).toEqual([
      -1.056642, -1.056642, -1.056642, -0.773976, -1.056642, 0, -1.056642, 0.773976, -1.056642, 1.056642, 0, -1.056642, 0,
      -0.773976, 0, 0, 0, 0.773976, 0, 1.056642, 1.056642, -1.056642, 1.056642, -0.773976, 1.056642, 0, 1.056642, 0.773976,
      1.056642, 1.056642,
    ]);
    expect(round(genRelativeLogCoords([2, 3], [4, 4], 'swin'))).toEqual([
      -0.624823, -0.887655, -0.624823, -0.624823, -0.624823, 0, -0.624823, 0.624823, -0.624823, 0.887655, 0, -0.887655, 0,
      -0.624823, 0, 0, 0, 0.624823, 0, 0.887655, 0.624823, -0.887655, 0.624823, -0.624823, 0.624823, 0, 0.624823, 0.624823,
      0.624823, 0.887655,
    ]);
  });
});
