import { describeModelConformance } from '@zoo/testing';
import '@zoo/rexnet';

// timm's model-test checks over every ReXNet up to a parameter cap that keeps CI within minutes on a small machine:
// the default 20M keeps widths 1.0–2.0 of both kinds (8 of 10). Raise it with ZOO_CONFORMANCE_MAX_PARAMS
// (=Infinity for all); skipped names are printed.
await describeModelConformance({ module: 'rexnet' }, {
  title: 'ReXNet conformance',
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 20e6),
});
