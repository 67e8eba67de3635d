/** Unknown names of official families say which package registers them (core's generated prefix table). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createModel, familyPackages, listModules, modelPackage, registerModel, UnknownModelError } from '../../src/index.js';

/** The first module of the families table still planned (no package yet), and its first architecture in timm's facts. */
function plannedExample(): { module: string; pkg: string; arch: string } {
  const entry = Object.entries(familyPackages()).find(([, f]) => f.planned);
  if (!entry) throw new Error('every family of the table is built: these tests need another example of a planned one');
  const [module, { pkg }] = entry;
  const facts = JSON.parse(readFileSync(join(import.meta.dirname, '../../../../tooling/timm-facts/registry', `${module}.json`), 'utf8')) as { list_models: string[] };
  return { module, pkg, arch: facts.list_models[0]! };
}
const planned = plannedExample();
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('modelPackage', () => {
  it('maps timm architecture names to the package of their module, built or planned', () => {
    expect(modelPackage('vit_base_patch16_224.augreg_in21k')).toMatchObject({ module: 'vision_transformer', pkg: '@zoo/vit', planned: false });
    expect(modelPackage('deit_small_patch16_224')).toMatchObject({ module: 'deit', pkg: '@zoo/vit', planned: false });
    expect(modelPackage('resnet50')).toMatchObject({ module: 'resnet', pkg: '@zoo/resnet' });
    expect(modelPackage('mobilenetv3_large_100')).toMatchObject({ pkg: '@zoo/efficientnet' });
    expect(modelPackage('xception41')).toMatchObject({ pkg: '@zoo/xception' });
    // resnet50_clip is byobnet's, not resnet's: prefixes are split where timm's names part
    expect(modelPackage('resnet50_clip')).toMatchObject({ module: 'byobnet', pkg: '@zoo/byobnet', planned: false });
    expect(modelPackage('swin_tiny_patch4_window7_224')).toMatchObject({ module: 'swin_transformer', pkg: '@zoo/swin', planned: false });
    expect(modelPackage('swinv2_tiny_window8_256')).toMatchObject({ module: 'swin_transformer_v2', pkg: '@zoo/swin', planned: false });
    expect(modelPackage('levit_128s')).toMatchObject({ module: 'levit', pkg: '@zoo/levit', planned: false });
    expect(modelPackage('mobilevit_xxs')).toMatchObject({ module: 'mobilevit', pkg: '@zoo/mobilevit', planned: false });
    expect(modelPackage(planned.arch)).toMatchObject({ module: planned.module, pkg: planned.pkg, planned: true });
    expect(modelPackage('not_a_model')).toBeUndefined();
    expect(modelPackage('resnet50zz')).toBeUndefined();
  });

  it('knows every official family and which ones are built', () => {
    const fams = familyPackages();
    const built = [...new Set(Object.values(fams).filter((f) => !f.planned).map((f) => f.pkg))].sort();
    // Built means a family package of this workspace (one that exports `./models`, the classes without registration).
    const packagesDir = join(import.meta.dirname, '../../..');
    const workspace = readdirSync(packagesDir)
      .map((d) => JSON.parse(readFileSync(join(packagesDir, d, 'package.json'), 'utf8')) as { name: string; exports?: Record<string, unknown> })
      .filter((p) => p.exports?.['./models'])
      .map((p) => p.name)
      .sort();
    expect(workspace).toContain('@zoo/resnet');
    expect(built).toEqual(workspace);
    expect(fams.swin_transformer_v2).toEqual({ pkg: '@zoo/swin', planned: false });
    expect(fams.mobilevit).toEqual({ pkg: '@zoo/mobilevit', planned: false });
    expect(fams[planned.module]).toEqual({ pkg: planned.pkg, planned: true });
  });
});

describe('UnknownModelError', () => {
  it('names the package to install while its family is not loaded, and suggests names once it is', async () => {
    const err = await createModel('vit_small_patch16_224').catch((e) => e);
    expect(err).toBeInstanceOf(UnknownModelError);
    expect(err.message).toBe(
      "Unknown model 'vit_small_patch16_224'. It is a model of timm's vision_transformer, registered by @zoo/vit, which is not loaded: install it (npm i @zoo/vit) and import it (import '@zoo/vit').",
    );
    expect(err.package.pkg).toBe('@zoo/vit');
    await expect(createModel(planned.arch)).rejects.toThrow(new RegExp(`the planned package ${escapeRe(planned.pkg)} will register \\(not built yet\\)`));

    // once a module of @zoo/vit is registered, a missing vit name is a typo: suggestions, not an install hint
    expect(listModules()).not.toContain('deit');
    registerModel({ name: 'deit_tiny_patch16_224', module: 'deit', create: () => Promise.reject(new Error('not built in this test')) });
    const typo = await createModel('vit_small_patch16_22').catch((e) => e);
    expect(typo.package).toBeUndefined();
    expect(typo.message).not.toMatch(/npm i/);
  });
});
