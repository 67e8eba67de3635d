/**
 * The raw reference for a plain ViT classifier (timm's vit_*_patch16_224 layout: patch conv, class token, learned
 * position embedding, pre-norm blocks of multi-head attention and a GELU MLP, final norm, class-token head) built
 * straight from a timm state dict: every linear is one fused matmul with its bias on `[tokens, channels]`, attention
 * two 2-D matmuls per (image, head) (faster than a batched matmul on tfjs-wasm), layer norm is `tf.moments` plus an affine, GELU is
 * the exact (erf) one. Depth and widths come from the state dict; the head count is given.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { StateDict } from '@zoo/core';
import { type DenseWeights, dense, entry, matmulBias, type RawModel } from './raw-ops.js';

type Linear = DenseWeights;

interface Norm {
  g: tf.Tensor1D;
  b: tf.Tensor1D;
}

interface Block {
  norm1: Norm;
  qkv: Linear;
  proj: Linear;
  norm2: Norm;
  fc1: Linear;
  fc2: Linear;
}



function norm(sd: StateDict, name: string): Norm {
  return { g: tf.tensor1d(entry(sd, `${name}.weight`).data), b: tf.tensor1d(entry(sd, `${name}.bias`).data) };
}

function layerNorm(x: tf.Tensor2D, n: Norm, eps = 1e-6): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), n.g), n.b);
}

const gelu = (x: tf.Tensor2D) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))) as tf.Tensor2D;

export function buildRawVit(sd: StateDict, numHeads: number): RawModel {
  const pw = entry(sd, 'patch_embed.proj.weight');
  const [dim, inC, ph, pwid] = pw.shape as [number, number, number, number];
  const hwio = new Float32Array(pw.data.length);
  for (let o = 0; o < dim; o++)
    for (let i = 0; i < inC; i++)
      for (let y = 0; y < ph; y++) for (let x = 0; x < pwid; x++) hwio[((y * pwid + x) * inC + i) * dim + o] = pw.data[((o * inC + i) * ph + y) * pwid + x]!;
  const patchW = tf.tensor4d(hwio, [ph, pwid, inC, dim]);
  const patchB = tf.tensor1d(entry(sd, 'patch_embed.proj.bias').data);
  const cls = tf.tensor3d(entry(sd, 'cls_token').data, [1, 1, dim]);
  const pe = entry(sd, 'pos_embed');
  const pos = tf.tensor3d(pe.data, pe.shape as [number, number, number]);
  const blocks: Block[] = [];
  for (let i = 0; sd[`blocks.${i}.attn.qkv.weight`]; i++) {
    const p = `blocks.${i}`;
    blocks.push({
      norm1: norm(sd, `${p}.norm1`), qkv: dense(sd, `${p}.attn.qkv`), proj: dense(sd, `${p}.attn.proj`),
      norm2: norm(sd, `${p}.norm2`), fc1: dense(sd, `${p}.mlp.fc1`), fc2: dense(sd, `${p}.mlp.fc2`),
    });
  }
  const finalNorm = norm(sd, 'norm');
  const head = dense(sd, 'head');
  const headDim = dim / numHeads;
  const scale = headDim ** -0.5;
  return {
    forward(x) {
      return tf.tidy(() => {
        const b = x.shape[0];
        const patches = tf.fused.conv2d({ x, filter: patchW, bias: patchB, strides: [ph, pwid], pad: 'valid' });
        const n = patches.shape[1] * patches.shape[2] + 1;
        let tokens = tf.concat([tf.tile(cls, [b, 1, 1]), tf.reshape(patches, [b, n - 1, dim])], 1);
        tokens = tf.add(tokens, pos);
        let h = tf.reshape(tokens, [b * n, dim]) as tf.Tensor2D;
        for (const blk of blocks) {
          const qkv = tf.transpose(tf.reshape(matmulBias(layerNorm(h, blk.norm1), blk.qkv), [b, n, 3, numHeads, headDim]), [2, 0, 3, 1, 4]);
          const [q, k, v] = tf.unstack(qkv) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
          // One 2-D product per (image, head): tfjs-wasm runs those on XNNPACK, a batched matmul on a plain loop.
          const qs = tf.unstack(tf.reshape(tf.mul(q, scale), [b * numHeads, n, headDim])) as tf.Tensor2D[];
          const kts = tf.unstack(tf.transpose(tf.reshape(k, [b * numHeads, n, headDim]), [0, 2, 1])) as tf.Tensor2D[];
          const vs = tf.unstack(tf.reshape(v, [b * numHeads, n, headDim])) as tf.Tensor2D[];
          const heads = qs.map((qh, i) => tf.matMul(tf.softmax(tf.matMul(qh, kts[i]!)), vs[i]!));
          const o = tf.reshape(tf.transpose(tf.reshape(tf.stack(heads), [b, numHeads, n, headDim]), [0, 2, 1, 3]), [b * n, dim]) as tf.Tensor2D;
          h = tf.add(h, matmulBias(o, blk.proj));
          h = tf.add(h, matmulBias(gelu(matmulBias(layerNorm(h, blk.norm2), blk.fc1)), blk.fc2));
        }
        const out = layerNorm(h, finalNorm);
        const clsOut = tf.reshape(tf.slice(tf.reshape(out, [b, n, dim]), [0, 0, 0], [b, 1, dim]), [b, dim]) as tf.Tensor2D;
        return matmulBias(clsOut, head);
      });
    },
    dispose() {
      tf.dispose([patchW, patchB, cls, pos, finalNorm.g, finalNorm.b, head.w, head.b]);
      for (const blk of blocks) {
        tf.dispose([blk.norm1.g, blk.norm1.b, blk.norm2.g, blk.norm2.b]);
        for (const l of [blk.qkv, blk.proj, blk.fc1, blk.fc2]) tf.dispose([l.w, l.b]);
      }
    },
  };
}
