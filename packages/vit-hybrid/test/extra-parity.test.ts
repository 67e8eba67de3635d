// timm parity beyond the public case (vit_tiny_r_s16_p8_224, the ResNet-V2 stem alone): a ResNet-V2 R26
// backbone with its four stages, a timm ResNet-26D features_only backbone, MobileCLIP's conv stem without projection
// (no_embed_class), and features_only from the 224 checkpoint at 96 px (position embedding resampled). Reduced sizes
// (img_size 64-96, depth 2-4) keep CI short. Made with shared/tools/make_fixtures.py from
// tooling/parity/cases-vit-hybrid.json; check_conditioning.py: float32 vs float64 at most 0.074 of the bar.
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/vit-hybrid';

describeParity('Hybrid ViT variants match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 3);
