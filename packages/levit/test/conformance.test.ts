import { describeModelConformance } from '@zoo/testing';
import '@zoo/levit';

// timm's model-test checks over every LeViT architecture up to a parameter cap that keeps CI within minutes on a
// small machine: 128s, 128 and 192 (7.8M–10.9M), linear and conv, by default (80–90 s on the shared 2-core machine); 256, 256d, 384, the s8
// stems and the 512s (18.9M–95.2M) run with ZOO_CONFORMANCE_MAX_PARAMS raised (e.g. =Infinity for all); skipped names are printed.
await describeModelConformance({ module: 'levit' }, {
  title: 'LeViT conformance',
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 12e6),
});
