import type { AaLayerName, Conv2d, MixedConv2d } from '@zoo/core';

export type { NormLayer } from '@zoo/core';

/** Anti-aliasing layer names as timm's `create_aa` takes them. */
export type AaLayer = AaLayerName | null | undefined;

export type AnyConv = Conv2d | MixedConv2d;

/** Python's round(): half to even. */
export function pyRound(x: number): number {
  const r = Math.round(x);
  if (Math.abs(x % 1) === 0.5) return r % 2 === 0 ? r : r - 1;
  return r;
}
