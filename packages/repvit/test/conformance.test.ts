import { describeModelConformance } from '@zoo/testing';
import '@zoo/repvit';

// timm's model-test checks over every RepViT architecture (5M–23M parameters: all 8 are within the 30M cap that
// keeps CI within minutes on a small machine). Raise it with ZOO_CONFORMANCE_MAX_PARAMS (e.g. =Infinity for all);
// skipped names are printed.
await describeModelConformance({ module: 'repvit' }, {
  title: 'RepViT conformance',
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 30e6),
});
