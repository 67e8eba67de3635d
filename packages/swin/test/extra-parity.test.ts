// More timm parity cases beyond the list: reduced input sizes (padding to whole windows, shrunk windows,
// resized bias tables), per-stage windows, chosen feature levels, pretrained window sizes, a non-strict model fed another size (made with
// shared/tools/make_fixtures.py from tooling/parity/cases-swin.json).
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/swin';

describeParity('more Swin variants match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 6);
