import { describeModelConformance } from '@zoo/testing';
import '@zoo/vit-hybrid';

// timm's model-test checks over every hybrid ViT architecture (fixed 224/384 px inputs, 6M-329M parameters), built
// at a reduced size timm accepts as kwargs so CI's small machine stays within minutes: img_size 64 (a 2x2 or 4x4 token
// grid after the backbone), depth 3 (features_only's default levels are the last three blocks). Their full-size
// structure is checked by tooling/timm-facts' arch test, their numbers by the parity fixtures. Raise the 40M cap with
// ZOO_CONFORMANCE_MAX_PARAMS; skipped names are printed. The *_384 archs are their *_224 twins at this size (same
// arguments, only the cfg's image size differs), so they are left out. 8 archs, about 40 s of CPU.
await describeModelConformance({ module: 'vision_transformer_hybrid' }, {
  title: 'Hybrid ViT conformance (img_size 64, depth 3)',
  createOptions: { imgSize: 64, depth: 3 },
  imgSize: 64,
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 40e6),
  exclude: { '*_384': 'the same model as its _224 twin at img_size 64 (only the cfg image size differs)' },
});
