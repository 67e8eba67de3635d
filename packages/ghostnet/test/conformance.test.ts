import { describeModelConformance } from '@zoo/testing';
import '@zoo/ghostnet';

// timm's model-test checks over every GhostNet architecture (V1/V2/V3, 2.6M–17.3M parameters: all 10 are within the cap) up to a parameter cap
// that keeps CI within minutes on a small machine. Raise it with ZOO_CONFORMANCE_MAX_PARAMS (e.g. =Infinity for
// all); skipped names are printed.
await describeModelConformance({ module: 'ghostnet' }, {
  title: 'GhostNet conformance',
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 30e6),
});
