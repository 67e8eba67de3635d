import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/eva';

// The public cases: eva02_tiny_patch14_224 (rotary embeddings, packed SwiGLU, fused qkv with q / v biases)
// and its features_only form (getter over forward_intermediates, out_indices [-3, -1]).
describeParity('EVA family matches timm (wasm backend)', join(import.meta.dirname, 'fixtures'), 2);
