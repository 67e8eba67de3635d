// timm parity beyond the public case (levit_128s): conv mode, features_only in both modes (linear models
// through forwardIntermediates), the stride-8 stem at a smaller fixed size, and a non-distilled model through timm's
// pretrained path with a new num_classes (made with shared/tools/make_fixtures.py from tooling/parity/cases-levit.json).
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/levit';

describeParity('LeViT conv mode, features and variants match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 5);
