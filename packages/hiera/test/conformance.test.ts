import { describeModelConformance } from '@zoo/testing';
import '@zoo/hiera';

// timm's model-test checks over every Hiera architecture up to a parameter cap that keeps CI within minutes on a
// small machine: tiny (27.9M), small_abswin (34.4M) and small (35.0M) by default; base, base_abswin, base_plus,
// large, huge (51.5M–672.8M) run with ZOO_CONFORMANCE_MAX_PARAMS raised (e.g. =Infinity for all); skipped names
// are printed. Hiera's input size is fixed at build time: the checks build every model for 128 px (a 32×32 token
// grid of 4×4 mask units, every q-pool still whole) instead of 224/256, to keep each forward small.
await describeModelConformance({ module: 'hiera' }, {
  title: 'Hiera conformance',
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 36e6),
  imgSize: 128,
  createOptions: { imgSize: 128 } as never,
});
