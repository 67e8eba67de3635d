import { join } from 'node:path';
import { getDefaultTag, listModels } from '@zoo/core';
import { describeRegistry } from '@zoo/parity/registry';
import { register } from '@zoo/vgg';
import { describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/vgg.json'), register);

describe('VGG in the registry', () => {
  it('lists the eight VGGs with torchvision weights as default tags', () => {
    expect(listModels('vgg1[19]*')).toEqual(['vgg11', 'vgg11_bn', 'vgg19', 'vgg19_bn']);
    expect(getDefaultTag('vgg16_bn')).toBe('tv_in1k');
  });
});
