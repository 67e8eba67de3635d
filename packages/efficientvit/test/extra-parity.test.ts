// timm parity beyond the public case (efficientvit_b0): the L series (EfficientVitLarge) at a reduced size,
// features_only with timm's default and chosen out_indices, and a deeper B model at an odd input size through timm's
// pretrained path with a new num_classes (made with shared/tools/make_fixtures.py from tooling/parity/cases-efficientvit.json).
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/efficientvit';

describeParity('EfficientViT (MIT) L series, features and variants match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 4);
