import { join } from 'node:path';
import { getPretrainedCfg, listModels, listPretrained } from '@zoo/core';
import { describeRegistry } from '@zoo/parity/registry';
import { describe, expect, it } from 'vitest';
import { register } from '@zoo/resnet';

const dump = describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/resnet.json'), register);

describe('the issue examples', () => {
  it('lists and filters as timm', () => {
    expect(listModels('resnet50*')).toEqual(['resnet50', 'resnet50_gn', 'resnet50c', 'resnet50d', 'resnet50s', 'resnet50t']);
    const tagged = listModels({ filter: 'resnet50*', pretrained: true });
    expect(tagged.slice(0, 2)).toEqual(['resnet50.a1_in1k', 'resnet50.a1h_in1k']);
    expect(listPretrained('resnet18.*')).toEqual(dump.list_models_pretrained.filter((n) => n.startsWith('resnet18.')));
  });

  it('an unknown tag names the known tags', () => {
    expect(() => getPretrainedCfg('resnet50.nope')).toThrow(/Invalid pretrained tag 'nope' for resnet50. Known tags: a1_in1k/);
  });
});
