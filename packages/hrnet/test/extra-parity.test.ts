// More timm parity cases beyond the list (made with shared/tools/make_fixtures.py from
// tooling/parity/cases-cnn-hrnet.json): the SSLD head without conv biases, features_only with feature_location ''
// (the raw branches), and out_indices (3, 1, -1), whose feature_info follows the given order while the maps come in
// level order, as timm's HighResolutionNetFeatures returns them.
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/hrnet';

describeParity('more HRNet variants match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 3);
