import { join } from 'node:path';
import { listModels } from '@zoo/core';
import { describeRegistry } from '@zoo/parity/registry';
import { register } from '@zoo/rexnet';
import { describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/rexnet.json'), register);

describe('ReXNet in the registry', () => {
  it('lists ReXNet and the rounded-channel ReXNet-R', () => {
    expect(listModels('rexnetr_*')).toEqual(['rexnetr_100', 'rexnetr_130', 'rexnetr_150', 'rexnetr_200', 'rexnetr_300']);
  });
});
