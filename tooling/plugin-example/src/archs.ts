// The arch table: architecture name → the model class's arguments (timm's `@register_model` functions, as data).
// For a timm family this file is generated from the kwargs timm's entrypoints pass (tooling/timm-facts).
import type { TinyNetArgs } from './tinynet.js';

export const archs: Readonly<Record<string, TinyNetArgs>> = {
  example_tinynet: { widths: [16, 32, 64] },
};
