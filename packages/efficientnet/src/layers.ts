import type { AaLayerName, Conv2d, MixedConv2d } from '@zoo/core';

export type { NormLayer } from '@zoo/core';

/** Anti-aliasing layer names as timm's `create_aa` takes them. */
export type AaLayer = AaLayerName | null | undefined;

export type AnyConv = Conv2d | MixedConv2d;
