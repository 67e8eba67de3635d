import { describeModelConformance } from '@zoo/testing';
import '@zoo/beit';

// timm's model-test checks over every BEiT architecture. Each is 86M–306M parameters at its fixed 224–512 px input,
// too heavy for CI's small machine, so every architecture is built at a reduced size timm accepts as kwargs (img_size
// 64, depth 3: a 4×4 token grid with its own relative position tables, the last three blocks being features_only's
// default levels): 22.6M (base) to 39.6M (large) parameters, under a 50M cap (about 3 min on 2 busy cores). Their
// full-size structure is checked by tooling/timm-facts' arch test, their numbers by the parity fixture. Raise the cap
// with ZOO_CONFORMANCE_MAX_PARAMS; skipped names are printed.
await describeModelConformance({ module: 'beit' }, {
  title: 'BEiT conformance (img_size 64, depth 3)',
  createOptions: { imgSize: 64, depth: 3 },
  imgSize: 64,
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 50e6),
});
