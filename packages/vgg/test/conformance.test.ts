import { describeModelConformance } from '@zoo/testing';
import '@zoo/vgg';

// timm's model-test checks over the VGGs up to a parameter cap. Every VGG has 133M–144M parameters, nearly all of
// them in the 7×7 fc1 conv of the pre-logits, and one takes about 90 s here; the default cap (133M) keeps vgg11 and
// vgg11_bn (the plain and the BatchNorm variant; 13/16/19 add conv layers of the same kinds). Raise it with
// ZOO_CONFORMANCE_MAX_PARAMS (=150e6 for all eight); skipped names are printed. VGG pools inside its head (the
// ConvMlp pre-logits), so like timm's own tests (EARLY_POOL_MODELS) it skips the unpooled-head size check.
await describeModelConformance({ module: 'vgg' }, {
  title: 'VGG conformance',
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 133e6),
  earlyPool: ['vgg*'],
});
