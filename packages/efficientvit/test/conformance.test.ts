import { describeModelConformance } from '@zoo/testing';
import '@zoo/efficientvit';

// timm's model-test checks over every EfficientViT (MIT) architecture up to a parameter cap that keeps CI within
// minutes on a small machine: b0 (3.4M) and b1 (9.1M) by default; b2 (24.3M), b3 (48.6M) and the L series
// (52.7M–246M) run with ZOO_CONFORMANCE_MAX_PARAMS raised (e.g. =Infinity for all); skipped names are printed.
// timm's tests count EfficientVit / EfficientVitLarge among EARLY_POOL_MODELS (hidden layers after the pool, which
// cannot be turned off), so the unpooled-classifier checks are left out for them as there.
await describeModelConformance({ module: 'efficientvit_mit' }, {
  title: 'EfficientViT (MIT) conformance',
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 10e6),
  earlyPool: ['efficientvit_*'],
});
