import type { AaLayerName, Conv2d, MixedConv2d } from '@zoo/core';

export type { NormLayer } from '@zoo/core';

/** Anti-aliasing layer names as timm's `create_aa` takes them. */
export type AaLayer = AaLayerName | null | undefined;

export type AnyConv = Conv2d | MixedConv2d;

/** timm's `num_groups(group_size, channels)`. */
export function numGroups(groupSize: number | null | undefined, channels: number): number {
  if (!groupSize) return 1;
  if (channels % groupSize) throw new Error(`channels (${channels}) must be divisible by group_size (${groupSize})`);
  return channels / groupSize;
}

/** Python's round(): half to even. */
export function pyRound(x: number): number {
  const r = Math.round(x);
  if (Math.abs(x % 1) === 0.5) return r % 2 === 0 ? r : r - 1;
  return r;
}
