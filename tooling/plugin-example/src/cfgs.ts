// Pretrained cfgs, as timm's `default_cfgs`: 'arch.tag' → cfg (a trailing '*' marks the preferred default tag). For a
// timm family this file is generated from timm's registry facts (tooling/timm-facts); here it is written by hand.
import { generateDefaultCfgs } from '@zoo/core';

export const defaultCfgs = generateDefaultCfgs({
  // One tag with no downloadable weights: load your own with `pretrainedCfgOverlay` or `checkpointPath`.
  'example_tinynet.untrained': {
    url: '',
    numClasses: 10,
    inputSize: [3, 32, 32],
    poolSize: [4, 4],
    cropPct: 1,
    interpolation: 'bilinear',
    mean: [0.5, 0.5, 0.5],
    std: [0.5, 0.5, 0.5],
    firstConv: 'stages.0.conv',
    classifier: 'fc',
    license: 'apache-2.0',
  },
});
