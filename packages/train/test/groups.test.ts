import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createModel, groupParameters, groupWithMatcher, MATCH_PREV_GROUP, setBackend, type VisionModel } from '@zoo/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '@zoo/convnext';
import '@zoo/cspnet';
import '@zoo/densenet';
import '@zoo/dla';
import '@zoo/efficientnet';
import '@zoo/ghostnet';
import '@zoo/hgnet';
import '@zoo/inception';
import '@zoo/regnet';
import '@zoo/repvit';
import '@zoo/resnet';
import '@zoo/rexnet';
import '@zoo/vgg';
import '@zoo/vit';
import '@zoo/xception';
import { autoGroupLayers, paramGroupsLayerDecay } from '../src/index.js';

/**
 * Each family's `groupMatcher()` against timm's `group_matcher()`: the layer id of every parameter (fine and coarse,
 * timm's `group_parameters(..., reverse=True)`) and the groups of `param_groups_layer_decay(weight_decay=0.05,
 * layer_decay=0.75)`, dumped by `fixtures/make_train_extras.py` for one architecture per family. Models are built
 * without weights (parameters are created lazily: only names and shapes are read).
 */
interface GroupsFixture {
  archs: {
    arch: string;
    names: string[];
    fine: number[];
    coarse: number[];
    layer_decay: { names: string[]; lr_scale: number; weight_decay: number }[];
  }[];
}

const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'groups.json'), 'utf8')) as GroupsFixture;

beforeAll(async () => {
  await setBackend('wasm');
});

describe("groupMatcher and layer-decay groups equal timm's", () => {
  const built: VisionModel[] = [];
  afterAll(() => {
    for (const m of built) m.dispose();
  });

  for (const a of fixture.archs) {
    it(a.arch, async () => {
      const model = await createModel(a.arch);
      built.push(model);
      const names = model
        .namedParams()
        .filter(([, p]) => !p.isBuffer)
        .map(([n]) => n);
      expect(names).toEqual(a.names);
      const fine = groupParameters(model, model.groupMatcher(false)!);
      const coarse = groupParameters(model, model.groupMatcher(true)!);
      expect(names.map((n) => fine.get(n))).toEqual(a.fine);
      expect(names.map((n) => coarse.get(n))).toEqual(a.coarse);
      const groups = paramGroupsLayerDecay(model, { weightDecay: 0.05, layerDecay: 0.75, noWeightDecay: model.noWeightDecay() });
      expect(groups.map((g) => ({ names: g.params.map(([n]) => n), lr_scale: g.lrScale, weight_decay: g.weightDecay }))).toEqual(
        a.layer_decay.map((g) => ({ ...g, lr_scale: expect.closeTo(g.lr_scale, 14) })),
      );
    });
  }
});

describe("timm's group_with_matcher rules", () => {
  it('anchors every alternative at the start, sorts numerically, joins MATCH_PREV_GROUP to the group before, puts unmatched last', () => {
    const names = ['head.w', 'blocks.10.w', 'blocks.2.w', 'xbn1.w', 'bn1.w', 'norm.w', 'conv1.w'];
    const layers = groupWithMatcher(names, { stem: '^conv1|bn1', blocks: [[String.raw`^blocks\.(\d+)`, null], ['^norm', [MATCH_PREV_GROUP]]] });
    expect(layers).toEqual([['bn1.w', 'conv1.w'], ['blocks.2.w'], ['blocks.10.w', 'norm.w'], ['head.w', 'xbn1.w']]);
    // A function matcher gives ordinals directly.
    expect(groupWithMatcher(['a', 'b', 'c'], (n) => (n === 'b' ? 0 : [1, n === 'a' ? 0 : 1]))).toEqual([['b'], ['a'], ['c']]);
  });

  it("auto_group_layers (no matcher): trunk in runs of 12, the classifier's prefixes one layer after", async () => {
    const model = await createModel('resnet18');
    const layers = autoGroupLayers(model);
    const names = model
      .namedParams()
      .filter(([, p]) => !p.isBuffer)
      .map(([n]) => n);
    const trunk = names.filter((n) => !n.startsWith('fc'));
    expect(trunk.map((n) => layers.get(n))).toEqual(trunk.map((_, i) => Math.floor(i / 12)));
    expect(layers.get('fc.weight')).toBe(Math.ceil(trunk.length / 12));
    model.dispose();
  });
});
