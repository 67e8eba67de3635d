import { describeModelConformance } from '@zoo/testing';
import '@zoo/nfnet';

// timm's model-test checks over every NFNet up to a parameter cap that keeps CI within minutes on a small machine:
// the default 20M keeps 8 of the 36 (test_nfnet with NFNet-F/L's deep stem and extra conv, NF-RegNet-B0…B3,
// NF-ResNet/SE/ECA-26); the NFNet-F, DeepMind F and L models (24M–500M) are left out, their blocks covered by
// test_nfnet, the arch test and the parity cases. Raise it with ZOO_CONFORMANCE_MAX_PARAMS (=Infinity for all);
// skipped names are printed. timm's nfnet has no forward_intermediates, so neither has ours (reported as such).
await describeModelConformance({ module: 'nfnet' }, {
  title: 'NFNet conformance',
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 20e6),
});
