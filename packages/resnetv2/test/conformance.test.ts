import { describeModelConformance } from '@zoo/testing';
import '@zoo/resnetv2';

// timm's model-test checks over every ResNetV2 up to a parameter cap that keeps CI within minutes on a small machine:
// the default 26M keeps 11 of the 20 (the basic-block 18/34 and their deep-stem d variants, the BatchNorm 50 with its
// d / t stems, the GroupNorm, EvoNorm and FRN 50d variants, and BiT-50x1 with its weight-standardised convs and
// fixed-pad stem). The 101/152 depths and the wider BiT models repeat those blocks at more layers or channels. Raise
// the cap with ZOO_CONFORMANCE_MAX_PARAMS (=Infinity for all); skipped names are printed.
await describeModelConformance({ module: 'resnetv2' }, {
  title: 'ResNetV2 conformance',
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 26e6),
});
