import { join } from 'node:path';
import { getDefaultTag, listModels } from '@zoo/core';
import { describeRegistry } from '@zoo/parity/registry';
import { register } from '@zoo/swin';
import { describe, expect, it } from 'vitest';

const facts = join(import.meta.dirname, '../../../tooling/timm-facts/registry');
describeRegistry(join(facts, 'swin_transformer.json'), register);
describeRegistry(join(facts, 'swin_transformer_v2.json'), register);

describe('Swin as timm registers it', () => {
  it('lists V1 (with the S3 models) and V2 under their own modules', () => {
    expect(listModels({ module: 'swin_transformer' })).toHaveLength(9);
    expect(listModels({ module: 'swin_transformer_v2' })).toHaveLength(12);
    expect(getDefaultTag('swin_tiny_patch4_window7_224')).toBe('ms_in1k');
    expect(getDefaultTag('swinv2_base_window12to24_192to384')).toBe('ms_in22k_ft_in1k');
  });
});
