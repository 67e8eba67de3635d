import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/maxxvit';

// timm's public cases: maxvit_tiny_tf_224 (TF SAME padding, MBConv + block / grid attention, RelPosBiasTf) and
// coatnet_nano_rw_224 (pre-activation MBConv with early SE and pooled stride, transformer stages with RelPosBias).
describeParity('MaxxVit family matches timm (wasm backend)', join(import.meta.dirname, 'fixtures'), 2);
