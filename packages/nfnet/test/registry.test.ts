import { join } from 'node:path';
import { getDefaultTag, listModels } from '@zoo/core';
import { register } from '@zoo/nfnet';
import { describeRegistry } from '@zoo/parity/registry';
import { describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/nfnet.json'), register);

describe('NFNet as timm registers it', () => {
  it('lists the pretrained NFNets with their tags', () => {
    expect(listModels('*nfnet_l*', { pretrained: true })).toEqual(['eca_nfnet_l0.ra2_in1k', 'eca_nfnet_l1.ra2_in1k', 'eca_nfnet_l2.ra3_in1k', 'nfnet_l0.ra2_in1k']);
    expect(getDefaultTag('dm_nfnet_f6')).toBe('dm_in1k');
    expect(listModels('nf_*resnet26')).toEqual(['nf_ecaresnet26', 'nf_resnet26', 'nf_seresnet26']);
  });
});
