import { describeModelConformance } from '@zoo/testing';
import '@zoo/vit-relpos';

// timm's model-test checks over every relative-position ViT architecture (fixed 224–256 px inputs, 22M–118M
// parameters), built at a reduced size timm accepts as kwargs so CI's small machine stays within minutes: img_size 64,
// depth 3 (a 4×4 or 2×2 token grid, the last three blocks being features_only's default levels). Their full-size
// structure is checked by tooling/timm-facts' arch test, their numbers by the parity fixture. Raise the 40M cap with
// ZOO_CONFORMANCE_MAX_PARAMS; skipped names are printed.
await describeModelConformance({ module: 'vision_transformer_relpos' }, {
  title: 'Relative-position ViT conformance (img_size 64, depth 3)',
  createOptions: { imgSize: 64, depth: 3 },
  imgSize: 64,
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 40e6),
});
