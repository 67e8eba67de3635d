import { join } from 'node:path';
import { createModel, getDefaultTag, listModels } from '@zoo/core';
import { type HighResolutionNet, register } from '@zoo/hrnet';
import { archs } from '../src/archs.js';
import { describeRegistry } from '@zoo/parity/registry';
import { describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/hrnet.json'), register);

describe('HRNet as timm registers it', () => {
  it('lists W18-small … W64 and the SSLD W18 / W48 with their default tags', () => {
    expect(listModels('hrnet*')).toHaveLength(11);
    expect(getDefaultTag('hrnet_w18_small')).toBe('gluon_in1k');
    expect(getDefaultTag('hrnet_w18')).toBe('ms_aug_in1k');
  });

  it("builds the SSLD models from W18's / W48's stage cfg with bias-free head convs, as timm's entrypoints do", async () => {
    expect(archs.hrnet_w18_ssld!.cfg).toEqual(archs.hrnet_w18!.cfg);
    expect(archs.hrnet_w48_ssld!.cfg).toEqual(archs.hrnet_w48!.cfg);
    const ssld = (await createModel('hrnet_w18_ssld')) as HighResolutionNet;
    const plain = (await createModel('hrnet_w18')) as HighResolutionNet;
    try {
      const headBiases = (m: HighResolutionNet) => m.namedParams().map(([k]) => k).filter((k) => /^(downsamp_modules\.\d+\.0|final_layer\.0)\.bias$/.test(k));
      expect(headBiases(ssld)).toEqual([]);
      expect(headBiases(plain)).toEqual(['downsamp_modules.0.0.bias', 'downsamp_modules.1.0.bias', 'downsamp_modules.2.0.bias', 'final_layer.0.bias']);
    } finally {
      ssld.dispose();
      plain.dispose();
    }
  });
});
