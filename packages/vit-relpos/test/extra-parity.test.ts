// timm parity beyond the public case (vit_relpos_small_patch16_224): one RelPosMlp shared by all blocks
// (vit_srelpos), ResPost blocks (_rpn), and the class token with its zero-padded bias row / column and token pooling
// (_cls, rel_pos_dim 256). Made with shared/tools/make_fixtures.py from tooling/parity/cases-beit-relpos.json.
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/vit-relpos';

describeParity('Relative-position ViT variants match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 3);
