import * as tf from '@tensorflow/tfjs-core';
import { createModel, HybridEmbed, type StateDict, setBackend, type VisionModel } from '@zoo/core';
import { convertMobileclip } from '@zoo/vit-hybrid';
import { beforeAll, describe, expect, it } from 'vitest';

beforeAll(async () => {
  await setBackend('wasm');
});

const input = (s: number) => tf.randomUniform([1, s, s, 3], -1, 1, 'float32', 7);

describe('hybrid ViTs through the registry', () => {
  it('measures the backbone map with a forward pass when the image size is not a multiple of its reduction (as timm)', async () => {
    // ResNet-26D at 80 px: 40 → 20 → 20 → 10 → 5 → 3 (floor((5 + 2 - 3) / 2) + 1), not 80 / 32.
    const m = (await createModel('vit_small_resnet26d_224', { imgSize: 80, depth: 1, numClasses: 4 })) as VisionModel & { patchEmbed: HybridEmbed };
    expect(m.patchEmbed).toBeInstanceOf(HybridEmbed);
    expect(m.patchEmbed.gridSize).toEqual([3, 3]);
    expect(m.patchEmbed.featureRatio).toEqual([26, 26]);
    const x = input(80);
    const y = m.forwardFeatures(x);
    expect(y.shape).toEqual([1, 1 + 9, 768]);
    tf.dispose([x, y]);
    m.dispose();
  });

  it('refuses an embedLayer without a backbone, naming the option', async () => {
    await expect(createModel('vit_tiny_r_s16_p8_224', { embedLayer: { proj: true } })).rejects.toThrow(/embedLayer must be \{ backbone, proj\? \}/);
  });

  it("loads Apple's MobileCLIP image-encoder checkpoint through timm's conversion", async () => {
    const opts = { imgSize: 64, depth: 1 }; // the cfg's 512 classes: a head of another size would not be loaded
    const src = (await createModel('vit_base_mci_224', opts)) as VisionModel;
    const sd = src.stateDict();
    // The same weights under MobileCLIP's names (the inverse of timm's _convert_mobileclip), plus a text tower key.
    const apple: StateDict = { 'text_encoder.x.weight': sd['head.bias']! };
    const inverse: [string, string][] = [
      ['patch_embed.backbone.', 'patch_emb.'], ['.conv.', '.block.conv.'], ['.bn.', '.block.norm.'], ['blocks.', 'transformer.'],
      ['norm1', 'pre_norm_mha.0'], ['attn.qkv.', 'pre_norm_mha.1.qkv_proj.'], ['attn.proj.', 'pre_norm_mha.1.out_proj.'],
      ['norm2', 'pre_norm_ffn.0'], ['mlp.fc1', 'pre_norm_ffn.1'], ['mlp.fc2', 'pre_norm_ffn.4'],
    ];
    for (const [k, v] of Object.entries(sd)) {
      if (k.startsWith('head.')) continue;
      let a = k;
      if (k === 'pos_embed') {
        apple['image_encoder.model.pos_embed.pos_embed.pos_embed'] = { ...v, shape: [1, ...v.shape] };
        continue;
      }
      if (k.startsWith('norm.')) a = k.replace('norm.', 'post_transformer_norm.');
      for (const [from, to] of inverse) a = a.replace(from, to);
      apple[`image_encoder.model.${a}`] = v;
    }
    const [C, D] = [768, 512];
    const w = sd['head.weight']!.data as Float32Array; // [D, C]
    const proj = new Float32Array(C * D);
    for (let d = 0; d < D; d++) for (let c = 0; c < C; c++) proj[c * D + d] = w[d * C + c]!;
    apple['image_encoder.model.classifier.proj'] = { dtype: 'float32', shape: [C, D], data: proj };

    expect(Object.keys(convertMobileclip(apple)).sort()).toEqual(Object.keys(sd).sort());
    const m = (await createModel('vit_base_mci_224', { ...opts, pretrained: true, pretrainedCfgOverlay: { stateDict: apple } })) as VisionModel;
    const x = input(64);
    const [a, b] = [src.forwardFeatures(x), m.forwardFeatures(x)];
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBe(0);
    const loaded = m.stateDict();
    expect(Array.from(loaded['head.weight']!.data as Float32Array)).toEqual(Array.from(w));
    expect(Array.from(loaded['head.bias']!.data as Float32Array)).toEqual(new Array(D).fill(0));
    tf.dispose([x, a, b]);
    src.dispose();
    m.dispose();
  });
});
