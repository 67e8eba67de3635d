import { describeModelConformance } from '@zoo/testing';
import '@zoo/byobnet';

// timm's model-test checks over every ByobNet architecture up to a parameter cap that keeps CI within minutes on a
// small machine: the default 10M keeps 8 of the 53 (gernet_s, repvgg_a0, mobileone_s0–s2, regnetz_b16 and its
// EvoNorm twin, test_byobnet), about a minute here; the attention rows (SE / ECA / GC / BAT, CLIP's attention pool)
// are held to timm by test/extra-parity.test.ts instead. Raise it with ZOO_CONFORMANCE_MAX_PARAMS (=Infinity for
// all); skipped names are printed.
await describeModelConformance({ module: 'byobnet' }, {
  title: 'ByobNet conformance',
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 10e6),
});
