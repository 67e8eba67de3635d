import * as tf from '@tensorflow/tfjs-core';
import { sliceTensor } from './slice.js';

/**
 * timm's token pooling of the simpler transformers' `forward_head` (BEiT, relpos ViT): `'avg'` averages the tokens
 * after the `numPrefixTokens` prefix tokens, `'token'` (any other non-empty pool) takes the first token, `''` keeps
 * `[B, N, C]`. Call inside a `tf.tidy`.
 */
export function poolTokens(x: tf.Tensor, pool: string, numPrefixTokens: number): tf.Tensor {
  if (!pool) return x;
  const [B, N, C] = x.shape as [number, number, number];
  if (pool === 'avg') return tf.mean(sliceTensor(x, [0, numPrefixTokens, 0], [B, N - numPrefixTokens, C]), 1);
  return tf.reshape(sliceTensor(x, [0, 0, 0], [B, 1, C]), [B, C]);
}

/**
 * Block outputs `[B, prefix + gh·gw, C]` as `forward_intermediates` returns them: the prefix tokens dropped, then NHWC
 * `[B, gh, gw, C]` (or the token rows, for `'NLC'`). Call inside a `tf.tidy`.
 */
export function tokensToMaps(ys: tf.Tensor[], numPrefixTokens: number, [gh, gw]: [number, number], outputFmt = 'NHWC'): tf.Tensor[] {
  return ys.map((y) => {
    const [B, N, C] = y.shape as [number, number, number];
    const tokens = numPrefixTokens ? sliceTensor(y, [0, numPrefixTokens, 0], [B, N - numPrefixTokens, C]) : y;
    return outputFmt === 'NLC' ? tokens : tf.reshape(tokens, [B, gh, gw, C]);
  });
}
