import * as tf from '@tensorflow/tfjs-core';
import { Module, type Param } from '../module.js';
import { Linear } from './linear.js';
import { softmaxAttention } from './matmul.js';
import type { NormFactory } from './mlp.js';
import { applyRotEmbedCat } from './rotary.js';
import { unstackTensor } from './slice.js';

export interface RopeAttentionOptions {
  numHeads?: number;
  qkvBias?: boolean;
  /** One qkv projection (default) or separate q_proj / k_proj / v_proj. */
  qkvFused?: boolean;
  /** timm's `attn_head_dim` (default dim / numHeads). */
  headDim?: number | null;
  /** Norm over each head's q and k. */
  qkNorm?: boolean;
  /** Norm before the output projection (timm's `scale_norm`; EVA-02's `scale_attn_inner`). */
  scaleNorm?: boolean;
  /** The norm for the above (timm's `norm_layer`); required when either is on. */
  normLayer?: NormFactory;
  projBias?: boolean;
  /** A sigmoid gate on the attention output (timm's `gated`). Key: gate. */
  gated?: boolean;
  /** Half-layout rotation (`rope_rotate_half`) rather than interleaved. */
  rotateHalf?: boolean;
}

/**
 * Self-attention over tokens `[B, N, C]` with rotary position embeddings applied to q and k (timm's `AttentionRope`;
 * `EvaAttention` is its subclass with EVA's bias layout). `forwardRope(x, rope)` takes the rope table (identity rows
 * for prefix tokens, see `RopeEmbed.getEmbed`), `[N, 2·D]` or per head `[heads, N, 2·D]`.
 * Keys: qkv | q_proj, k_proj, v_proj; q_norm, k_norm, norm, gate, proj.
 */
export class AttentionRope extends Module {
  readonly numHeads: number;
  readonly headDim: number;
  readonly attnDim: number;
  readonly scale: number;
  readonly rotateHalf: boolean;
  qkv: Linear | null = null;
  qProj: Linear | null = null;
  kProj: Linear | null = null;
  vProj: Linear | null = null;
  qNorm: Module | null = null;
  kNorm: Module | null = null;
  norm: Module | null = null;
  gate: Linear | null = null;
  proj!: Linear;
  constructor(readonly dim: number, protected readonly options: RopeAttentionOptions = {}) {
    super();
    this.numHeads = options.numHeads ?? 8;
    if (options.headDim == null && dim % this.numHeads !== 0) {
      throw new Error(`${new.target.name}: dim ${dim} is not divisible by numHeads ${this.numHeads}`);
    }
    this.headDim = options.headDim ?? dim / this.numHeads;
    this.attnDim = this.headDim * this.numHeads;
    this.scale = this.headDim ** -0.5;
    this.rotateHalf = options.rotateHalf ?? false;
    if ((options.qkNorm || options.scaleNorm) && !options.normLayer) {
      throw new Error(`${new.target.name}: normLayer must be given with qkNorm or scaleNorm`);
    }
    this.buildProjections();
    const mk = options.normLayer!;
    this.qNorm = options.qkNorm ? this.addModule('q_norm', mk(this.headDim)) : null;
    this.kNorm = options.qkNorm ? this.addModule('k_norm', mk(this.headDim)) : null;
    this.norm = options.scaleNorm ? this.addModule('norm', mk(this.attnDim)) : null;
    this.gate = options.gated ? this.addModule('gate', new Linear(dim, this.attnDim, { bias: options.qkvBias ?? true })) : null;
    this.proj = this.addModule('proj', new Linear(this.attnDim, dim, { bias: options.projBias ?? true }));
  }

  /** AttentionRope's projections: qkv with bias, or q / k / v projections all with bias. */
  protected buildProjections(): void {
    const bias = this.options.qkvBias ?? true;
    if (this.options.qkvFused ?? true) {
      this.qkv = this.addModule('qkv', new Linear(this.dim, this.attnDim * 3, { bias }));
    } else {
      this.qProj = this.addModule('q_proj', new Linear(this.dim, this.attnDim, { bias }));
      this.kProj = this.addModule('k_proj', new Linear(this.dim, this.attnDim, { bias }));
      this.vProj = this.addModule('v_proj', new Linear(this.dim, this.attnDim, { bias }));
    }
  }

  /** The fused projection's output `[B, N, 3·attnDim]` (EvaAttention adds its q / v biases here). */
  protected fusedQkv(x: tf.Tensor): tf.Tensor {
    return this.qkv!.forward(x);
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return this.forwardRope(x, null);
  }

  forwardRope(x: tf.Tensor, rope: tf.Tensor | null): tf.Tensor {
    const [B, N] = x.shape as [number, number, number];
    const H = this.numHeads;
    const D = this.headDim;
    let q: tf.Tensor;
    let k: tf.Tensor;
    let v: tf.Tensor;
    if (this.qkv) {
      const qkv = tf.transpose(tf.reshape(this.fusedQkv(x), [B, N, 3, H, D]), [2, 0, 3, 1, 4]);
      [q, k, v] = unstackTensor(qkv, 0) as [tf.Tensor, tf.Tensor, tf.Tensor];
    } else {
      const heads = (p: Linear) => tf.transpose(tf.reshape(p.forward(x), [B, N, H, D]), [0, 2, 1, 3]);
      q = heads(this.qProj!);
      k = heads(this.kProj!);
      v = heads(this.vProj!);
    }
    if (this.qNorm) q = this.qNorm.forward(q);
    if (this.kNorm) k = this.kNorm.forward(k);
    if (rope) {
      q = applyRotEmbedCat(q, rope, this.rotateHalf);
      k = applyRotEmbedCat(k, rope, this.rotateHalf);
    }
    const q3 = tf.reshape(tf.mul(q, this.scale), [B * H, N, D]) as tf.Tensor3D;
    const o = softmaxAttention(q3, tf.reshape(k, [B * H, N, D]) as tf.Tensor3D, tf.reshape(v, [B * H, N, D]) as tf.Tensor3D);
    let y = tf.reshape(tf.transpose(tf.reshape(o, [B, H, N, D]), [0, 2, 1, 3]), [B, N, this.attnDim]);
    if (this.norm) y = this.norm.forward(y);
    if (this.gate) y = tf.mul(y, tf.sigmoid(this.gate.forward(x)));
    return this.proj.forward(y);
  }
}

/**
 * timm's `EvaAttention`: AttentionRope with EVA's biases: a fused qkv without bias plus `q_bias` and `v_bias`
 * parameters (k has none), or q_proj / v_proj with bias and k_proj without.
 */
export class EvaAttention extends AttentionRope {
  // assigned by buildProjections (run from the base constructor): no initialisers here, they would reset them
  declare qBias: Param | null;
  declare vBias: Param | null;
  protected override buildProjections(): void {
    const bias = this.options.qkvBias ?? true;
    this.qBias = this.vBias = null;
    if (this.options.qkvFused ?? true) {
      this.qkv = this.addModule('qkv', new Linear(this.dim, this.attnDim * 3, { bias: false }));
      this.qBias = bias ? this.addParam('q_bias', [this.attnDim], { init: { kind: 'zeros' } }) : null;
      this.vBias = bias ? this.addParam('v_bias', [this.attnDim], { init: { kind: 'zeros' } }) : null;
    } else {
      this.qProj = this.addModule('q_proj', new Linear(this.dim, this.attnDim, { bias }));
      this.kProj = this.addModule('k_proj', new Linear(this.dim, this.attnDim, { bias: false }));
      this.vProj = this.addModule('v_proj', new Linear(this.dim, this.attnDim, { bias }));
    }
  }
  protected override fusedQkv(x: tf.Tensor): tf.Tensor {
    const y = this.qkv!.forward(x);
    if (!this.qBias || !this.vBias) return y;
    return tf.add(y, tf.concat([this.qBias.value, tf.zeros([this.attnDim]), this.vBias.value]));
  }
}
