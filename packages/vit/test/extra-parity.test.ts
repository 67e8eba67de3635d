// More timm parity cases beyond the list: other variants, feature extraction settings and input sizes
// (made with shared/tools/make_fixtures.py from tooling/parity/cases-extra.json and tooling/parity/cases-vit.json;
// the cases-vit ones cut depth and image size so the whole file stays fast: parallel / differential-attention /
// res-post / scale-norm blocks, SwiGLU mlps, register tokens, pool variants, dynamic and padded non-square inputs,
// and the pretrained-load adaptations of in_chans, pos_embed and patch size).
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/vit';

describeParity('more vit variants match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 26);
