import { describeModelConformance } from '@zoo/testing';
import '@zoo/maxxvit';

// timm's model-test checks over the MaxxVit architectures up to a parameter cap that keeps CI within minutes on a
// small machine. The cfgs fix their input size (224–512); the checks build every model at 64 px (`imgSize`, which
// timm's MaxxVit takes: window and grid become 64 / 32 = 2, CoAtNet's transformer stages attend over their 4×4 / 2×2
// maps). Cap 11M: the pico models (coatnet_pico_rw: MBConv + transformer stages; maxvit_pico_rw and maxvit_rmlp_pico_rw:
// MaxViT blocks with RelPosBias / RelPosMlp), about 40 s; the others (13.8M–475M) are left out and printed (their
// block kinds run in the parity cases). 16M (9 archs, nano models too) took 110 s. Raise it with
// ZOO_CONFORMANCE_MAX_PARAMS (e.g. =Infinity for all).
await describeModelConformance({ module: 'maxxvit' }, {
  title: 'MaxxVit conformance',
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 11e6),
  imgSize: 64,
  createOptions: { imgSize: 64 },
});
