/**
 * registerFamily with one table shared by two timm modules (as a generated `archs.ts` with `moduleNames` gives it):
 * each module registers only its own architectures and deprecated names.
 */
import { describe, expect, it } from 'vitest';
import { createModel } from '../../src/factory/create.js';
import { registerFamily } from '../../src/registry/family.js';
import { generateDefaultCfgs, getDeprecatedModels, getModelModule, listModels } from '../../src/registry/registry.js';
import { type TinyArgs, TinyNet } from '../factory/tiny-family.js';

const archs: Record<string, TinyArgs> = { fam_a_net: { numClasses: 3 }, fam_b_net: { numClasses: 4 }, fam_b_wide: { numClasses: 6 } };
const deprecations = { fam_a_old: 'fam_a_net', fam_b_old: 'fam_b_net' };
const moduleNames = { fam_a: ['fam_a_net', 'fam_a_old'], fam_b: ['fam_b_net', 'fam_b_wide', 'fam_b_old'] };
const cfgs = generateDefaultCfgs({ 'fam_a_net.x': { numClasses: 3 }, 'fam_b_net.x': { numClasses: 4 }, 'fam_b_wide.x': { numClasses: 6 } });

describe('registerFamily', () => {
  it('registers a shared table module by module when given the names of each', async () => {
    for (const module of ['fam_a', 'fam_b'] as const) {
      registerFamily({ module, names: moduleNames[module], archs, deprecations, cfgs, model: TinyNet });
    }
    expect(listModels({ module: 'fam_a' })).toEqual(['fam_a_net']);
    expect(listModels({ module: 'fam_b' })).toEqual(['fam_b_net', 'fam_b_wide']);
    expect(getModelModule('fam_b_wide')).toBe('fam_b');
    expect(getDeprecatedModels('fam_a')).toEqual({ fam_a_old: 'fam_a_net' });
    expect(getDeprecatedModels('fam_b')).toEqual({ fam_b_old: 'fam_b_net' });
    const m = await createModel('fam_b_wide');
    expect(m.numClasses).toBe(6);
    m.dispose();
  });
});
