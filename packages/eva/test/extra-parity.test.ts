// timm parity beyond the public cases, one per block kind eva.py adds (made with shared/tools/make_fixtures.py
// from tooling/parity/cases-eva.json, depth 2 and narrow widths to stay small): RoPE-Mixed with absolute embedding
// (learnable per-block frequencies, no_embed_class), DINOv3 (dinov3 rope, half rotation, registers, aligned SwiGLU,
// dynamic non-square input), Perception Encoder core (xy-indexed offset rope, pre-norm, MAP head), EVA-02 enormous's
// post-norm blocks, EVA-02 CLIP (separate q / k / v, inner attention norm, scaled SwiGLU, token pool) and the
// register-token RoPE ViT (fused qkv with q / v bias, avg pool with fc_norm).
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/eva';

describeParity('EVA variants match timm (wasm backend)', join(import.meta.dirname, 'fixtures-extra'), 6);
