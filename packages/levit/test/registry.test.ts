import { join } from 'node:path';
import { createModel, getDefaultTag, listModels } from '@zoo/core';
import { checkpointFilterFn, type Levit, register } from '@zoo/levit';
import { describeRegistry } from '@zoo/parity/registry';
import { describe, expect, it } from 'vitest';

describeRegistry(join(import.meta.dirname, '../../../tooling/timm-facts/registry/levit.json'), register);

describe('LeViT as timm registers it', () => {
  it('lists the distilled ImageNet weights of both the linear and the conv models', () => {
    expect(listModels('levit*', { pretrained: true })).toEqual([
      'levit_128.fb_dist_in1k', 'levit_128s.fb_dist_in1k', 'levit_192.fb_dist_in1k', 'levit_256.fb_dist_in1k', 'levit_384.fb_dist_in1k',
      'levit_conv_128.fb_dist_in1k', 'levit_conv_128s.fb_dist_in1k', 'levit_conv_192.fb_dist_in1k', 'levit_conv_256.fb_dist_in1k',
      'levit_conv_384.fb_dist_in1k',
    ]);
    expect(getDefaultTag('levit_512')).toBe('untrained');
  });

  it('builds LevitDistilled (two heads) or Levit (one) as timm entrypoints do', async () => {
    const distilled = (await createModel('levit_128s')) as Levit;
    const plain = (await createModel('levit_conv_256d')) as Levit;
    expect([distilled.distilled, plain.distilled, plain.useConv]).toEqual([true, false, true]);
    expect(Object.keys(distilled.stateDict()).filter((k) => k.startsWith('head_dist.')).length).toBeGreaterThan(0);
    expect(Object.keys(plain.stateDict()).some((k) => k.startsWith('head_dist.'))).toBe(false);
    distilled.dispose();
    plain.dispose();
  });

  it("drops attention_bias_idxs as timm's filter", () => {
    const t = new Float32Array(1);
    const sd = checkpointFilterFn({ 'stages.0.blocks.0.attn.attention_bias_idxs': t, 'stages.0.blocks.0.attn.attention_biases': t } as never);
    expect(Object.keys(sd)).toEqual(['stages.0.blocks.0.attn.attention_biases']);
  });

  it('refuses an input of another size than the one its attention biases are laid out for, naming it', async () => {
    const tf = await import('@tensorflow/tfjs-core');
    const m = (await createModel('levit_128s')) as Levit;
    const x = tf.zeros([1, 160, 160, 3]);
    expect(() => m.forward(x)).toThrow(/laid out for a 14×14 map.*imgSize/);
    x.dispose();
    m.dispose();
  });
});
