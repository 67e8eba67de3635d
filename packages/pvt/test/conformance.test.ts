import { describeModelConformance } from '@zoo/testing';
import '@zoo/pvt';

// timm's model-test checks over every PVT-v2 architecture up to a parameter cap that keeps CI within minutes on a
// small machine: b0 (3.7M), b1 (14.0M) and b2_li (22.6M) by default; b2–b5 (25.4M–82.0M) run with
// ZOO_CONFORMANCE_MAX_PARAMS raised (e.g. =Infinity for all); skipped names are printed.
await describeModelConformance({ module: 'pvt_v2' }, {
  title: 'PVT-v2 conformance',
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 23e6),
});
