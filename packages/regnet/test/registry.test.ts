import { join } from 'node:path';
import { createModel, listModels } from '@zoo/core';
import { describeRegistry } from '@zoo/parity/registry';
import { register } from '@zoo/regnet';
import { describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/regnet.json'), register);

describe('RegNet in the registry', () => {
  it("lists timm's RegNet-V, -X, -Y and -Z and keeps timm's deprecated name", async () => {
    expect(listModels('regnetz_*')).toEqual(['regnetz_005', 'regnetz_040', 'regnetz_040_h']);
    const m = await createModel('regnetz_040h');
    expect(m.modelName).toBe('regnetz_040_h');
    m.dispose();
  });
});
