import { describeModelConformance } from '@zoo/testing';
import '@zoo/mlp-mixer';

// timm's model-test checks over every MLP-Mixer / ResMLP / gMLP architecture within a 20M-parameter cap (which keeps
// the suite to a few seconds a model on a small machine): mixer_s16/s32, gmixer_12, resmlp_12, gmlp_ti16/s16 (every block and MLP kind).
// Raise it with ZOO_CONFORMANCE_MAX_PARAMS (e.g. =Infinity for all); skipped names are printed.
await describeModelConformance({ module: 'mlp_mixer' }, {
  title: 'MLP-Mixer conformance',
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 20e6),
});
