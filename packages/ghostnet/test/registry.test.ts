import { join } from 'node:path';
import { getDefaultTag, listModels } from '@zoo/core';
import { checkpointFilterFn, register } from '@zoo/ghostnet';
import { describeRegistry } from '@zoo/parity/registry';
import { describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/ghostnet.json'), register);

describe('GhostNet as timm registers it', () => {
  it('lists V1, V2 and V3 with their weights', () => {
    expect(listModels('ghostnet*', { pretrained: true })).toEqual([
      'ghostnet_100.in1k', 'ghostnetv2_100.in1k', 'ghostnetv2_130.in1k', 'ghostnetv2_160.in1k', 'ghostnetv3_100.in1k',
    ]);
    expect(getDefaultTag('ghostnetv3_050')).toBe('untrained');
  });

  it("renames original V3 checkpoints' branch norms and drops FLOP counters, as timm's filter", () => {
    const t = new Float32Array(1);
    const sd = checkpointFilterFn({
      'blocks.0.0.ghost1.primary_rpr_conv.0.bn.weight': t,
      'blocks.1.0.dw_rpr_conv.0.bn.bias': t,
      'bn1.weight': t,
      'total_ops': t,
    } as never);
    expect(Object.keys(sd)).toEqual(['blocks.0.0.ghost1.primary_rpr_conv.0.bn1.weight', 'blocks.1.0.dw_rpr_conv.0.bn1.bias', 'bn1.weight']);
  });
});
