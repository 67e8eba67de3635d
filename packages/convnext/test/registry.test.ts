import { join } from 'node:path';
import { getDefaultTag, getPretrainedCfg, listModels } from '@zoo/core';
import { describeRegistry } from '@zoo/parity/registry';
import { describe, expect, it } from 'vitest';
import { register } from '@zoo/convnext';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/convnext.json'), register);

describe('the issue examples', () => {
  it('lists, filters and picks default tags as timm', () => {
    expect(listModels('convnext_atto*')).toEqual(['convnext_atto', 'convnext_atto_ols', 'convnext_atto_rms']);
    const tagged = listModels({ filter: 'convnext_tiny.*', pretrained: true });
    expect(tagged.slice(0, 2)).toEqual(['convnext_tiny.dinov3_lvd1689m', 'convnext_tiny.eupe_lvd1689m']);
    expect(getDefaultTag('convnext_tiny')).toBe('in12k_ft_in1k');
  });

  it('an unknown tag names the known tags', () => {
    expect(() => getPretrainedCfg('convnext_tiny.nope')).toThrow(/Invalid pretrained tag 'nope' for convnext_tiny. Known tags: in12k_ft_in1k/);
  });
});
