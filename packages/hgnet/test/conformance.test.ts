import { describeModelConformance } from '@zoo/testing';
import '@zoo/hgnet';

// timm's model-test checks over every HGNet architecture up to a parameter cap that keeps CI within minutes on a
// small machine (30M: 7 of 10; hgnet_base 71.6M, hgnetv2_b5 39.6M and hgnetv2_b6 75.3M are left out). Raise it with
// ZOO_CONFORMANCE_MAX_PARAMS (e.g. =Infinity for all); skipped names are printed.
await describeModelConformance({ module: 'hgnet' }, {
  title: 'HGNet conformance',
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 30e6),
});
