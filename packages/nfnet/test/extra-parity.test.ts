// More timm parity cases beyond the list: the DeepMind-style options through timm's cfg overlay (gamma in the
// activations, TF SAME padding at an odd size, skipinit gains, GELU), dm_nfnet_f0 itself, NF-RegNet (attention
// between the convs), NF-ECA-ResNet (7×7 + max-pool stem), a dilated features_only model (the shortcut's
// AvgPool2dSame) and ECA-NFNet-L0's features (made with shared/tools/make_fixtures.py from
// tooling/parity/cases-cnn-nfnet.json; all within 0.02 of the bar in timm's float32 vs float64).
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/nfnet';

describeParity('more NFNet variants match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 7);
