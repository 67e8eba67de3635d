import * as tf from '@tensorflow/tfjs-core';

/**
 * Multiply-adds of the convolutions and matrix products one call of `run` dispatches (read off each kernel's output
 * and weight shapes as it runs), so a forward time can be set against what the machine's GEMM does per second.
 */
export function countMacs(run: () => tf.Tensor): number {
  const engine = tf.engine() as unknown as { runKernel: (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap) => tf.Tensor | tf.Tensor[] };
  const original = engine.runKernel;
  let macs = 0;
  engine.runKernel = function (this: unknown, name, inputs, attrs) {
    const out = original.call(this, name, inputs, attrs);
    const y = Array.isArray(out) ? out[0]! : out;
    if (name === 'Conv2D' || name === 'FusedConv2D') {
      const [kh, kw, cin] = inputs.filter!.shape;
      macs += y.size * kh! * kw! * cin!;
    } else if (name === 'DepthwiseConv2dNative' || name === 'FusedDepthwiseConv2D') {
      const [kh, kw] = inputs.filter!.shape;
      macs += y.size * kh! * kw!;
    } else if (name === 'BatchMatMul' || name === '_FusedMatMul') {
      const a = inputs.a!;
      macs += y.size * a.shape[(attrs as { transposeA?: boolean }).transposeA ? a.rank - 2 : a.rank - 1]!;
    }
    return out;
  } as typeof original;
  try {
    tf.dispose(tf.tidy(run));
  } finally {
    engine.runKernel = original;
  }
  return macs;
}
