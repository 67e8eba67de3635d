/**
 * Odd cases checked against real timm / torchvision / PIL output (extra.json, made by make_extra_fixtures.py):
 * every filter up and down, non-square sizes in each crop mode, padding, L / LA / RGBA inputs, plain resizes,
 * crops larger than the image, and decoding of LA / RGBA / palette / gray PNG, WebP and JPEG.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { centerCropOrPad, createTransform, type RawImage, resizeImage, toRgb } from '../../src/data/index.js';
import { createNodeTransform, decodeImage } from '../../src/node/index.js';
import { b64bytes, b64f32, diffStats, FIXTURES, fromTimmDataConfig, readJson } from './helpers.js';

const fx = readJson('extra.json');

function synthImage(name: string): RawImage {
  const im = fx.images[name];
  const [h, w, c] = im.shape_hwc;
  return { data: b64bytes(im.data_b64), width: w, height: h, channels: c };
}

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

describe('eval transform vs timm (synthetic images and extra photo sizes)', () => {
  for (const c of fx.cases) {
    it(`${c.id} (${c.image}, ${JSON.stringify(c.data_config)})`, async () => {
      const cfg = fromTimmDataConfig(c.data_config);
      const isPhoto = c.image.includes('.');
      const input = isPhoto ? join(FIXTURES, c.image) : synthImage(c.image);
      const t = isPhoto ? createNodeTransform(cfg) : createTransform(cfg);
      const crop = await t.resizeCrop(input as never);
      expect([crop.height, crop.width, 3]).toEqual(c.crop_shape_hwc);
      expect(diffStats(crop.data, b64bytes(c.crop_hwc_uint8_b64)).max).toBeLessThanOrEqual(1);

      const before = tf.memory().numTensors;
      const x = await t(input as never);
      expect(x.shape).toEqual([1, c.crop_shape_hwc[0], c.crop_shape_hwc[1], 3]);
      const nhwc = await x.data();
      x.dispose();
      expect(tf.memory().numTensors).toBe(before);
      if (c.final_chw.data_b64) {
        // torch's CHW float32 tensor, compared element by element
        const ref = b64f32(c.final_chw.data_b64);
        const [C, H, W] = c.final_chw.shape;
        const chw = new Float32Array(ref.length);
        for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) for (let ch = 0; ch < C; ch++) {
          chw[ch * H * W + y * W + xx] = nhwc[(y * W + xx) * C + ch]!;
        }
        expect(diffStats(chw, ref).max).toBeLessThanOrEqual(1e-6);
      } else {
        let s = 0;
        for (let i = 0; i < nhwc.length; i++) s += nhwc[i]!;
        expect(Math.abs(s / nhwc.length - c.final_chw.mean)).toBeLessThanOrEqual(1e-5);
      }
    });
  }
});

describe('plain resizes vs PIL Image.resize', () => {
  for (const r of fx.resizes) {
    it(r.id, () => {
      const src = synthImage(r.image);
      const out = resizeImage({ ...src, data: new Uint8Array(src.data) }, r.size_wh[0], r.size_wh[1], r.interpolation);
      expect([out.height, out.width, out.channels]).toEqual(r.out_shape_hwc);
      expect(diffStats(out.data, b64bytes(r.out_hwc_uint8_b64)).max).toBe(0);
    });
  }
});

describe('center crop / pad vs torchvision center_crop and timm center_crop_or_pad', () => {
  for (const c of fx.crops) {
    it(c.id, () => {
      const src = synthImage(c.image);
      const out = centerCropOrPad({ ...src, data: new Uint8Array(src.data) }, c.size_hw[0], c.size_hw[1], c.fill);
      expect([out.height, out.width, out.channels]).toEqual(c.out_shape_hwc);
      expect(diffStats(out.data, b64bytes(c.out_hwc_uint8_b64)).max).toBe(0);
    });
  }
});

describe("decodeImage + RGB conversion vs PIL's open().convert('RGB')", () => {
  for (const d of fx.decodes) {
    it(`${d.file} (PIL mode ${d.pil_mode})`, async () => {
      const t = createNodeTransform({ inputSize: [3, 8, 8] });
      const raw = await decodeImage(join(FIXTURES, d.file));
      const expectedChannels = { L: 1, LA: [2, 4], RGB: 3, RGBA: 4, P: [3, 4] }[d.pil_mode as string];
      if (Array.isArray(expectedChannels)) expect(expectedChannels).toContain(raw.channels);
      else expect(raw.channels).toBe(expectedChannels);
      const rgb = toRgb(raw);
      expect([rgb.height, rgb.width, 3]).toEqual(d.rgb_shape_hwc);
      const { max, mean } = diffStats(rgb.data, b64bytes(d.rgb_hwc_uint8_b64));
      if (d.file.endsWith('.jpg')) expect(mean).toBeLessThanOrEqual(1.0);
      else expect(max).toBe(0);
      // and the transform takes the file path
      const x = await t(join(FIXTURES, d.file));
      expect(x.shape).toEqual([1, 8, 8, 3]);
      x.dispose();
    });
  }
});
