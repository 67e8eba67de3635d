import * as tf from '@tensorflow/tfjs-core';
import { sliceTensor } from './slice.js';

/**
 * timm's `global_pool_nlc` over tokens `[B, N, C]`: 'token' takes the first token; 'avg', 'max' and 'avgmax' reduce
 * over the tokens after the `numPrefixTokens` prefix ones (all of them with `includePrefix`); '' returns `x`.
 */
export function globalPoolNlc(x: tf.Tensor, poolType: string, numPrefixTokens = 1, includePrefix = false): tf.Tensor {
  if (!poolType) return x;
  const [B, N, C] = x.shape as [number, number, number];
  if (poolType === 'token') return tf.reshape(sliceTensor(x, [0, 0, 0], [B, 1, C]), [B, C]);
  const skip = includePrefix ? 0 : numPrefixTokens;
  const t = skip ? sliceTensor(x, [0, skip, 0], [B, N - skip, C]) : x;
  if (poolType === 'avg') return tf.mean(t, 1);
  if (poolType === 'max') return tf.max(t, 1);
  if (poolType === 'avgmax') return tf.mul(tf.add(tf.max(t, 1), tf.mean(t, 1)), 0.5);
  throw new Error(`globalPoolNlc: unknown pool type '${poolType}' (use '', 'token', 'avg', 'max' or 'avgmax')`);
}
