// More timm parity cases beyond the list: the rounded-channel ReXNet-R at width 3 and a dilated
// features_only model (made with shared/tools/make_fixtures.py from tooling/parity/cases-cnn-rexnet.json).
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/rexnet';

describeParity('more ReXNet variants match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 2);
