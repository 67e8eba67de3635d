import { describeModelConformance } from '@zoo/testing';
import '@zoo/inception';

/** Output side of an unpadded k×k window at stride s. */
const valid = (n: number, k: number, s: number) => Math.floor((n - k) / s) + 1;
/**
 * Inception-v3's trunk is unpadded where it downsamples (stem convs and pools, Mixed_6a, Mixed_7a), so its output
 * is not ceil(size / 32): 8 at 299, 1 at 75 (the smallest input it takes).
 */
const featureSize = (size: number) =>
  [[3, 2], [3, 1], [3, 2], [3, 1], [3, 2], [3, 2], [3, 2]].reduce((n, [k, s]) => valid(n, k!, s!), size);

// timm's model-test checks over every Inception architecture (inception_v3: 23.8M parameters) up to a parameter
// cap that keeps CI within minutes on a small machine, at 75 px (the smallest input Inception-v3 takes; the default
// 64 leaves nothing after Mixed_7a). Raise the cap with ZOO_CONFORMANCE_MAX_PARAMS (e.g. =Infinity for all);
// skipped names are printed.
await describeModelConformance({ module: 'inception_v3' }, {
  title: 'Inception conformance',
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 30e6),
  imgSize: 75,
  featureSize,
});
