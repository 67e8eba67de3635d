import { join } from 'node:path';
import { listModels } from '@zoo/core';
import { describeRegistry } from '@zoo/parity/registry';
import { register } from '@zoo/xcit';
import { describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/xcit.json'), register);

describe('XCiT as timm registers it', () => {
  it('lists every size at patch 16 and 8, 224 and 384, each with its weights', () => {
    expect(listModels('xcit_*')).toHaveLength(28);
    expect(listModels('xcit_nano_12_p*', { pretrained: true })).toEqual([
      'xcit_nano_12_p8_224.fb_dist_in1k', 'xcit_nano_12_p8_224.fb_in1k', 'xcit_nano_12_p8_384.fb_dist_in1k',
      'xcit_nano_12_p16_224.fb_dist_in1k', 'xcit_nano_12_p16_224.fb_in1k', 'xcit_nano_12_p16_384.fb_dist_in1k',
    ]);
  });
});
