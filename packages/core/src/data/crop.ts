/** Center crop (padding where the crop is larger than the image) as torchvision's `center_crop` / timm's `center_crop_or_pad`. */
import { roundHalfEven } from '../layers/rounding.js';
import type { PixelBuffer } from './resize.js';

/** Python's `//` for integers. */
function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

/**
 * Center crop to `cropH` x `cropW`. Where the crop is larger than the image, the image is first padded
 * (left/top get `(crop - size) // 2`, right/bottom the rest) with `fill` (one value per channel, default 0),
 * then cropped at `round((size - crop) / 2)` (Python rounding), as torchvision and timm do.
 */
export function centerCropOrPad(img: PixelBuffer, cropH: number, cropW: number, fill?: readonly number[]): PixelBuffer {
  let { data, width, height } = img;
  const channels = img.channels;
  if (cropW > width || cropH > height) {
    const left = cropW > width ? floorDiv(cropW - width, 2) : 0;
    const top = cropH > height ? floorDiv(cropH - height, 2) : 0;
    const right = cropW > width ? floorDiv(cropW - width + 1, 2) : 0;
    const bottom = cropH > height ? floorDiv(cropH - height + 1, 2) : 0;
    const pw = width + left + right;
    const ph = height + top + bottom;
    const padded = new Uint8Array(pw * ph * channels);
    if (fill?.some((v) => v !== 0)) {
      for (let i = 0; i < pw * ph; i++) {
        for (let ch = 0; ch < channels; ch++) padded[i * channels + ch] = fill[ch] ?? fill[0] ?? 0;
      }
    }
    for (let y = 0; y < height; y++) {
      padded.set(data.subarray(y * width * channels, (y + 1) * width * channels), ((y + top) * pw + left) * channels);
    }
    data = padded;
    width = pw;
    height = ph;
    if (width === cropW && height === cropH) return { data, width, height, channels };
  }
  const top = roundHalfEven((height - cropH) / 2);
  const left = roundHalfEven((width - cropW) / 2);
  if (top === 0 && left === 0 && width === cropW && height === cropH) return { data, width, height, channels };
  const out = new Uint8Array(cropW * cropH * channels);
  for (let y = 0; y < cropH; y++) {
    const s = ((y + top) * width + left) * channels;
    out.set(data.subarray(s, s + cropW * channels), y * cropW * channels);
  }
  return { data: out, width: cropW, height: cropH, channels };
}
