import { describeModelConformance } from '@zoo/testing';
import '@zoo/densenet';

// timm's model-test checks over every DenseNet architecture up to a parameter cap that keeps CI within minutes on a
// small machine. Raise it with ZOO_CONFORMANCE_MAX_PARAMS (e.g. =Infinity for all); skipped names are printed.
await describeModelConformance({ module: 'densenet' }, {
  title: 'DenseNet conformance',
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 30e6),
});
