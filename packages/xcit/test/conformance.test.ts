import { describeModelConformance } from '@zoo/testing';
import '@zoo/xcit';

// timm's model-test checks over every XCiT architecture up to a parameter cap that keeps CI within minutes on a
// small machine: nano (3.0M, p16 and p8 at 224 and 384) and tiny_12 (6.7M) by default; tiny_24 (12.1M) and up run with
// ZOO_CONFORMANCE_MAX_PARAMS raised (e.g. =Infinity for all); skipped names are printed. Inputs are 64 px: XCiT runs
// at any size its patch size divides (timm computes the Fourier encoding per grid), and the checks need no more.
await describeModelConformance({ module: 'xcit' }, {
  title: 'XCiT conformance',
  imgSize: 64,
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 7e6),
});
