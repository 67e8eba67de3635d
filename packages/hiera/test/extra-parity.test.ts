// timm parity beyond the public case (hiera_tiny_224): the absolute-window position embedding without the
// expand projection (hiera_small_abswin_256 at 256, and its checkpoint at 224), features_only (default and chosen
// out_indices: the reroll of every stage) and timm's pretrained path with a new in_chans / num_classes (made with
// shared/tools/make_fixtures.py from tooling/parity/cases-hiera.json).
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/hiera';

describeParity('Hiera variants and features match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 5);
