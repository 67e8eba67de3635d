import { describeModelConformance } from '@zoo/testing';
import '@zoo/fastvit';

// timm's model-test checks over every FastViT / MobileCLIP architecture up to a parameter cap that keeps CI within
// minutes on a small machine: t8 (4.0M), t12 (7.6M), s12 (9.5M), mci0 (11.4M) and sa12 (11.6M) by default; sa24,
// mci1 (21.5M), sa36, mci2, ma36 (31.5M–44.1M), mci3 (125M) and mci4 (322M) run with ZOO_CONFORMANCE_MAX_PARAMS
// raised (e.g. =Infinity for all); skipped names are printed.
await describeModelConformance({ module: 'fastvit' }, {
  title: 'FastViT conformance',
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 12e6),
});
