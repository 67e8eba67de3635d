/**
 * The raw reference for EfficientNet-B0 (timm's efficientnet_b0 layout: a stem conv, one depthwise-separable block,
 * then inverted-residual blocks with squeeze-excitation, a head conv, average pool and a linear classifier) built
 * straight from a timm state dict. Every BatchNorm is folded into its conv ahead of time, every conv (and depthwise
 * conv) is one fused op with its bias; SiLU, which tfjs cannot fuse, is `x * sigmoid(x)`; squeeze-excitation is two
 * fused matmuls on the pooled vector. Block counts and kernel sizes are read from the state dict; strides are
 * EfficientNet's (first block of stages 2, 3, 4 and 6 halves the resolution).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { StateDict } from '@zoo/core';
import { type DenseWeights, dense, entry, type FoldedConv, foldConvBn, matmulBias, type RawModel, runConv } from './raw-ops.js';

type Folded = FoldedConv;

interface Se {
  reduce: DenseWeights;
  expand: DenseWeights;
}

interface Block {
  expand: Folded | null;
  dw: Folded;
  se: Se | null;
  project: Folded;
  skip: boolean;
}

/** PyTorch padding for EfficientNet's odd kernels: (k - 1) / 2. */
const fold = (sd: StateDict, conv: string, bn: string, stride: number) =>
  foldConvBn(sd, conv, bn, { stride, pad: (entry(sd, `${conv}.weight`).shape[2]! - 1) >> 1, depthwise: conv.endsWith('conv_dw') });
const conv = (x: tf.Tensor4D, c: Folded) => runConv(x, c);

const silu = <T extends tf.Tensor>(x: T): T => tf.mul(x, tf.sigmoid(x));

function squeezeExcite(x: tf.Tensor4D, se: Se): tf.Tensor4D {
  const pooled = tf.mean(x, [1, 2]) as tf.Tensor2D;
  const gate = tf.sigmoid(matmulBias(silu(matmulBias(pooled, se.reduce)), se.expand));
  return tf.mul(x, tf.reshape(gate, [x.shape[0], 1, 1, x.shape[3]]));
}

/** The first block of each stage that halves the resolution (EfficientNet-B0 .. B7: stages 1, 2, 3 and 5, 0-based). */
const STRIDE2_STAGES = new Set([1, 2, 3, 5]);

export function buildRawEfficientNet(sd: StateDict): RawModel {
  const stem = fold(sd, 'conv_stem', 'bn1', 2);
  const blocks: Block[] = [];
  for (let s = 0; sd[`blocks.${s}.0.conv_dw.weight`]; s++) {
    for (let b = 0; sd[`blocks.${s}.${b}.conv_dw.weight`]; b++) {
      const p = `blocks.${s}.${b}`;
      const stride = b === 0 && STRIDE2_STAGES.has(s) ? 2 : 1;
      const inverted = !!sd[`${p}.conv_pwl.weight`];
      const expand = inverted ? fold(sd, `${p}.conv_pw`, `${p}.bn1`, 1) : null;
      const dw = fold(sd, `${p}.conv_dw`, inverted ? `${p}.bn2` : `${p}.bn1`, stride);
      const project = inverted ? fold(sd, `${p}.conv_pwl`, `${p}.bn3`, 1) : fold(sd, `${p}.conv_pw`, `${p}.bn2`, 1);
      let se: Se | null = null;
      if (sd[`${p}.se.conv_reduce.weight`]) se = { reduce: dense(sd, `${p}.se.conv_reduce`), expand: dense(sd, `${p}.se.conv_expand`) };
      const inChs = inverted ? entry(sd, `${p}.conv_pw.weight`).shape[1]! : entry(sd, `${p}.conv_dw.weight`).shape[0]!;
      const outChs = entry(sd, `${p}.${inverted ? 'conv_pwl' : 'conv_pw'}.weight`).shape[0]!;
      blocks.push({ expand, dw, se, project, skip: stride === 1 && inChs === outChs });
    }
  }
  const head = fold(sd, 'conv_head', 'bn2', 1);
  const fc = dense(sd, 'classifier');
  const all = [stem, head, ...blocks.flatMap((b) => [b.dw, b.project, ...(b.expand ? [b.expand] : [])])];
  return {
    forward(x) {
      return tf.tidy(() => {
        let y = silu(conv(x, stem));
        for (const b of blocks) {
          let h = b.expand ? silu(conv(y, b.expand)) : y;
          h = silu(conv(h, b.dw));
          if (b.se) h = squeezeExcite(h, b.se);
          h = conv(h, b.project);
          y = b.skip ? tf.add(h, y) : h;
        }
        y = silu(conv(y, head));
        const pooled = tf.mean(y, [1, 2]) as tf.Tensor2D;
        return matmulBias(pooled, fc);
      });
    },
    dispose() {
      for (const c of all) tf.dispose([c.filter, c.bias]);
      for (const b of blocks) if (b.se) tf.dispose([b.se.reduce.w, b.se.reduce.b, b.se.expand.w, b.se.expand.b]);
      tf.dispose([fc.w, fc.b]);
    },
  };
}
