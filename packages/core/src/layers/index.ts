/**
 * Shared building blocks for every model family and plugin: convs with PyTorch or TF padding, norms (+act),
 * channel attention, pooling and classifier heads, drop path. State-dict names follow timm's layers.
 */
export * from './activations.js';
export * from './attention.js';
export * from './attention-gates.js';
export * from './attention-pool.js';
export * from './attention2d.js';
export * from './avg-pool-same.js';
export * from './cls-rel-pos.js';
export * from './cond-conv.js';
export * from './conv.js';
export * from './conv-autodiff.js';
export * from './conv-norm-act.js';
export * from './create-norm.js';
export * from './diff-attention.js';
export * from './evo-norm.js';
export * from './fuse.js';
export * from './global-context.js';
export * from './grn.js';
export * from './heads.js';
export * from './helpers.js';
export * from './layer-scale.js';
export * from './linear.js';
export * from './matmul.js';
export * from './misc.js';
export * from './mixed-conv.js';
export * from './mlp.js';
export * from './norm.js';
export * from './patch-embed.js';
export * from './pool.js';
export * from './portable.js';
export * from './pos-embed.js';
export * from './qv-bias-attention.js';
export * from './rel-pos-mlp.js';
export * from './resnet-blocks.js';
export * from './rounding.js';
export * from './scaled-std-conv.js';
export * from './simple-norm.js';
export * from './slice.js';
export * from './token-pool.js';
export * from './upsample.js';
export * from './rel-pos-resize.js';
