import { describeModelConformance } from '@zoo/testing';
import '@zoo/dla';

// timm's model-test checks over every DLA up to a parameter cap that keeps CI within minutes on a small machine:
// the default 21M keeps the three block kinds (DLA-34 basic, the _c / X bottlenecks, Res2Net and Res2NeXt). Raise it
// with ZOO_CONFORMANCE_MAX_PARAMS (=Infinity for all); skipped names are printed.
await describeModelConformance({ module: 'dla' }, {
  title: 'DLA conformance',
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 21e6),
});
