// timm parity beyond the issue's public case (tiny_vit_5m_224): 384 input with the 384 tags' windows loaded through
// timm's pretrained path from 224 weights (every attention bias table resized by the checkpoint filter), maps that are
// not whole windows (padding), and features_only with timm's default and chosen out_indices (made with
// shared/tools/make_fixtures.py from tooling/parity/cases-tiny-vit.json).
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/tiny-vit';

describeParity('TinyViT bias resize, padding and features match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 4);
