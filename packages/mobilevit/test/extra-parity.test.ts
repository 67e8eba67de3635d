// timm parity beyond the public cases (mobilevit_xxs, mobilevitv2_050, mobilevit_xxs_features): v2 at
// another width, both blocks at a size that is not a multiple of the patch (their resize paths, v1 at batch 2),
// v2 features, v1 features at output stride 16 (dilated MobileViT block) and the flagship mobilevit_s with a new
// head (made with shared/tools/make_fixtures.py from tooling/parity/cases-mobilevit.json).
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/mobilevit';

describeParity('MobileViT sizes, widths and features match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 6);
