import { join } from 'node:path';
import { createModel, getDefaultTag, listModels } from '@zoo/core';
import { describeRegistry } from '@zoo/parity/registry';
import { type RepVit, register } from '@zoo/repvit';
import { describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/repvit.json'), register);

describe('RepViT as timm registers it', () => {
  it("lists the 300- and 450-epoch distilled weights, 300 first (timm's default)", () => {
    expect(listModels('repvit_m0_9*', { pretrained: true })).toEqual(['repvit_m0_9.dist_300e_in1k', 'repvit_m0_9.dist_450e_in1k']);
    expect(getDefaultTag('repvit_m0_9')).toBe('dist_300e_in1k');
  });

  it('has both distillation heads, and a reset head without distillation as timm', async () => {
    const m = (await createModel('repvit_m0_9')) as RepVit;
    const keys = Object.keys(m.stateDict());
    expect(keys.filter((k) => k.startsWith('head.'))).toEqual([
      'head.head.bn.weight', 'head.head.bn.bias', 'head.head.bn.running_mean', 'head.head.bn.running_var', 'head.head.bn.num_batches_tracked',
      'head.head.l.weight', 'head.head.l.bias',
      'head.head_dist.bn.weight', 'head.head_dist.bn.bias', 'head.head_dist.bn.running_mean', 'head.head_dist.bn.running_var', 'head.head_dist.bn.num_batches_tracked',
      'head.head_dist.l.weight', 'head.head_dist.l.bias',
    ]);
    m.resetClassifier(10);
    expect(Object.keys(m.stateDict()).filter((k) => k.startsWith('head.head_dist'))).toEqual([]);
    m.dispose();
  });
});
