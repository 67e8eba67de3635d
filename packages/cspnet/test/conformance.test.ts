import { describeModelConformance } from '@zoo/testing';
import '@zoo/cspnet';

// timm's model-test checks over every CSPNet architecture up to a parameter cap that keeps CI within minutes on a
// small machine. Raise it with ZOO_CONFORMANCE_MAX_PARAMS (e.g. =Infinity for all); skipped names are printed.
await describeModelConformance({ module: 'cspnet' }, {
  title: 'CSPNet conformance',
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 30e6),
});
