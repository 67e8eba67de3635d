import { join } from 'node:path';
import { createModel, listModels } from '@zoo/core';
import { describeRegistry } from '@zoo/parity/registry';
import { register } from '@zoo/resnetv2';
import { describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/resnetv2.json'), register);

describe('ResNetV2 in the registry', () => {
  it("lists timm's BiT and pre-activation ResNets and keeps timm's deprecated names", async () => {
    expect(listModels('resnetv2_50*')).toEqual([
      'resnetv2_50', 'resnetv2_50d', 'resnetv2_50d_evos', 'resnetv2_50d_frn', 'resnetv2_50d_gn', 'resnetv2_50t', 'resnetv2_50x1_bit', 'resnetv2_50x3_bit',
    ]);
    const m = await createModel('resnetv2_50x1_bit_distilled');
    expect(m.modelName).toBe('resnetv2_50x1_bit');
    expect(m.pretrainedCfg.tag).toBe('goog_distilled_in1k');
    m.dispose();
  });
});
