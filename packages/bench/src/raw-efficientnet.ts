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
import type { RawModel } from './raw-resnet.js';

interface Folded {
  filter: tf.Tensor4D;
  bias: tf.Tensor1D;
  stride: number;
  pad: number;
  depthwise: boolean;
}

interface Se {
  w1: tf.Tensor2D;
  b1: tf.Tensor1D;
  w2: tf.Tensor2D;
  b2: tf.Tensor1D;
}

interface Block {
  expand: Folded | null;
  dw: Folded;
  se: Se | null;
  project: Folded;
  skip: boolean;
}

function entry(sd: StateDict, key: string): { data: Float32Array; shape: number[] } {
  const t = sd[key];
  if (!t) throw new Error(`raw efficientnet: state dict has no '${key}'`);
  return { data: t.data as Float32Array, shape: t.shape };
}

/** conv [O, I, kh, kw] (or depthwise [C, 1, kh, kw]) + BN → tfjs filter scaled per output channel, and bias. */
function fold(sd: StateDict, conv: string, bn: string, stride: number, eps = 1e-5): Folded {
  const w = entry(sd, `${conv}.weight`);
  const [o, i, kh, kw] = w.shape as [number, number, number, number];
  const depthwise = conv.endsWith('conv_dw');
  const gamma = entry(sd, `${bn}.weight`).data;
  const beta = entry(sd, `${bn}.bias`).data;
  const mean = entry(sd, `${bn}.running_mean`).data;
  const variance = entry(sd, `${bn}.running_var`).data;
  const out = new Float32Array(w.data.length);
  const bias = new Float32Array(o);
  for (let oc = 0; oc < o; oc++) {
    const scale = gamma[oc]! / Math.sqrt(variance[oc]! + eps);
    bias[oc] = beta[oc]! - mean[oc]! * scale;
    for (let ic = 0; ic < i; ic++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) {
          // Depthwise filters are [kh, kw, C, 1] in tfjs; HWIO otherwise.
          const at = depthwise ? (y * kw + x) * o + oc : ((y * kw + x) * i + ic) * o + oc;
          out[at] = w.data[((oc * i + ic) * kh + y) * kw + x]! * scale;
        }
      }
    }
  }
  const shape: [number, number, number, number] = depthwise ? [kh, kw, o, 1] : [kh, kw, i, o];
  return { filter: tf.tensor4d(out, shape), bias: tf.tensor1d(bias), stride, pad: (kh - 1) >> 1, depthwise };
}

function linear(sd: StateDict, name: string): { w: tf.Tensor2D; b: tf.Tensor1D } {
  const w = entry(sd, `${name}.weight`);
  const [o, i] = [w.shape[0]!, numelTail(w.shape)];
  const t = new Float32Array(o * i);
  for (let r = 0; r < o; r++) for (let c = 0; c < i; c++) t[c * o + r] = w.data[r * i + c]!;
  return { w: tf.tensor2d(t, [i, o]), b: tf.tensor1d(entry(sd, `${name}.bias`).data) };
}

const numelTail = (s: number[]) => s.slice(1).reduce((a, b) => a * b, 1);

function conv(x: tf.Tensor4D, c: Folded): tf.Tensor4D {
  const args = { x, filter: c.filter, bias: c.bias, strides: c.stride, pad: c.pad as never };
  return c.depthwise ? tf.fused.depthwiseConv2d(args) : tf.fused.conv2d(args);
}

const silu = <T extends tf.Tensor>(x: T): T => tf.mul(x, tf.sigmoid(x));

function squeezeExcite(x: tf.Tensor4D, se: Se): tf.Tensor4D {
  const pooled = tf.mean(x, [1, 2]) as tf.Tensor2D;
  const r = silu(tf.fused.matMul({ a: pooled, b: se.w1, bias: se.b1 }));
  const gate = tf.sigmoid(tf.fused.matMul({ a: r, b: se.w2, bias: se.b2 }));
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
      if (sd[`${p}.se.conv_reduce.weight`]) {
        const r = linear(sd, `${p}.se.conv_reduce`);
        const e = linear(sd, `${p}.se.conv_expand`);
        se = { w1: r.w, b1: r.b, w2: e.w, b2: e.b };
      }
      const inChs = inverted ? entry(sd, `${p}.conv_pw.weight`).shape[1]! : entry(sd, `${p}.conv_dw.weight`).shape[0]!;
      const outChs = entry(sd, `${p}.${inverted ? 'conv_pwl' : 'conv_pw'}.weight`).shape[0]!;
      blocks.push({ expand, dw, se, project, skip: stride === 1 && inChs === outChs });
    }
  }
  const head = fold(sd, 'conv_head', 'bn2', 1);
  const fc = linear(sd, 'classifier');
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
        return tf.fused.matMul({ a: pooled, b: fc.w, bias: fc.b }) as tf.Tensor2D;
      });
    },
    dispose() {
      for (const c of all) tf.dispose([c.filter, c.bias]);
      for (const b of blocks) if (b.se) tf.dispose([b.se.w1, b.se.b1, b.se.w2, b.se.b2]);
      tf.dispose([fc.w, fc.b]);
    },
  };
}
