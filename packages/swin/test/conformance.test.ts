import { describeModelConformance } from '@zoo/testing';
import '@zoo/swin';

// timm's model-test checks over every Swin / Swin-V2 architecture up to a parameter cap that keeps CI within minutes
// on a small machine. Swin's cfgs fix their input size (224–384), so the checks build every model at 64 px
// (`imgSize`, which timm's Swin takes: windows shrink to the 16/8/4/2 maps and bias tables with them, as timm's
// `_calc_window_shift` does). Cap 30M: 4 of 21 (swin_tiny, swin_s3_tiny, swinv2_tiny ×2); the others (49.6M–228.8M)
// are left out and printed. Raise it with ZOO_CONFORMANCE_MAX_PARAMS (e.g. =Infinity for all).
await describeModelConformance({ module: ['swin_transformer', 'swin_transformer_v2'] }, {
  title: 'Swin conformance',
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 30e6),
  imgSize: 64,
  createOptions: { imgSize: 64 },
});
