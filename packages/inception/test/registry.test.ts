import { join } from 'node:path';
import { createModel, getDefaultTag, listModels } from '@zoo/core';
import { InceptionV3, register } from '@zoo/inception';
import { describeRegistry } from '@zoo/parity/registry';
import { describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/inception_v3.json'), register);

describe('Inception-v3 as timm registers it', () => {
  it('has its four weights, torchvision first, at 299 px', async () => {
    expect(listModels('inception_v3*', { pretrained: true })).toEqual([
      'inception_v3.gluon_in1k', 'inception_v3.tf_adv_in1k', 'inception_v3.tf_in1k', 'inception_v3.tv_in1k',
    ]);
    expect(getDefaultTag('inception_v3')).toBe('tv_in1k');
    const m = await createModel('inception_v3');
    expect(m).toBeInstanceOf(InceptionV3);
    expect(m.pretrainedCfg?.inputSize).toEqual([3, 299, 299]);
  });

  it('refuses timm arguments it does not build, naming them', async () => {
    await expect(createModel('inception_v3', { auxLogits: true } as never)).rejects.toThrow(/auxLogits/);
  });
});
