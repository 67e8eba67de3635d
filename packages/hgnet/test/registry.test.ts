import { join } from 'node:path';
import { createModel, getDefaultTag, listModels } from '@zoo/core';
import { type HighPerfGpuNet, register } from '@zoo/hgnet';
import { describeRegistry } from '@zoo/parity/registry';
import { describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/hgnet.json'), register);

describe('HGNet as timm registers it', () => {
  it('lists V1 and V2 with their SSLD / ImageNet-1k / 22k-distilled weights', () => {
    expect(listModels('hgnet*')).toHaveLength(10);
    expect(getDefaultTag('hgnetv2_b0')).toBe('ssld_stage2_ft_in1k');
  });

  it('keeps the conv head after pruning, as timm (reset with average pooling, no classifier)', async () => {
    const m = (await createModel('hgnetv2_b0')) as HighPerfGpuNet;
    expect(m.pruneIntermediateLayers([1])).toEqual([1]);
    expect(m.numClasses).toBe(0);
    expect(Object.keys(m.stateDict()).filter((k) => k.startsWith('head.'))).toEqual(['head.last_conv.0.weight', 'head.last_conv.2.scale', 'head.last_conv.2.bias']);
    m.dispose();
  });
});
