import { join } from 'node:path';
import { listModels } from '@zoo/core';
import { register } from '@zoo/fastvit';
import { describeRegistry } from '@zoo/parity/registry';
import { describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/fastvit.json'), register);

describe('FastViT as timm registers it', () => {
  it("lists FastViT's apple_in1k / apple_dist_in1k weights and MobileCLIP's image towers", () => {
    expect(listModels('fastvit_mci*', { pretrained: true })).toEqual([
      'fastvit_mci0.apple_mclip', 'fastvit_mci0.apple_mclip2_dfndr2b', 'fastvit_mci1.apple_mclip', 'fastvit_mci2.apple_mclip',
      'fastvit_mci2.apple_mclip2_dfndr2b', 'fastvit_mci3.apple_mclip2_dfndr2b', 'fastvit_mci4.apple_mclip2_dfndr2b',
    ]);
    expect(listModels('fastvit_t8*', { pretrained: true })).toEqual(['fastvit_t8.apple_dist_in1k', 'fastvit_t8.apple_in1k']);
  });
});
