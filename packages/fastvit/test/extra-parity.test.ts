// timm parity beyond the public cases (made with shared/tools/make_fixtures.py from
// tooling/parity/cases-fastvit.json): MobileCLIP's MCi0 (SE patch embeds, GELU after the large-kernel conv, CLIP-width
// head), features_only with timm's default out_indices, and MCi3's five-stage LayerNorm2d structure at reduced size.
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/fastvit';

describeParity('FastViT / MobileCLIP variants and features match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 3);
