/** timm's `make_divisible`: round `v` to a multiple of `divisor`, never going below `roundLimit` of `v`. */
export function makeDivisible(v: number, divisor = 8, minValue?: number, roundLimit = 0.9): number {
  const min = minValue ?? divisor;
  let newV = Math.max(min, Math.trunc(v + divisor / 2) - (Math.trunc(v + divisor / 2) % divisor));
  if (newV < roundLimit * v) newV += divisor;
  return newV;
}

export type Pair = [number, number];

export function toPair(v: number | readonly number[]): Pair {
  return typeof v === 'number' ? [v, v] : [v[0]!, v[1] ?? v[0]!];
}

/** PyTorch-style symmetric padding that keeps 'same' output size for stride 1: ((stride - 1) + dilation * (k - 1)) / 2. */
export function getPadding(kernel: number, stride = 1, dilation = 1): number {
  return Math.floor((stride - 1 + dilation * (kernel - 1)) / 2);
}

/** Whether symmetric static padding reproduces TF 'SAME' for this conv. */
export function isStaticPad(kernel: number, stride = 1, dilation = 1): boolean {
  return stride === 1 && (dilation * (kernel - 1)) % 2 === 0;
}

/** timm's `num_groups(group_size, channels)`: 1 for no group size, else `channels / groupSize` (1: depthwise). */
export function numGroups(groupSize: number | null | undefined, channels: number): number {
  if (!groupSize) return 1;
  if (channels % groupSize) throw new Error(`channels (${channels}) must be divisible by group size (${groupSize})`);
  return channels / groupSize;
}

/**
 * timm's output-stride bookkeeping at the start of a stage (ByobNet, NFNet): once the net stride has reached
 * `outputStride`, a strided stage dilates instead; the stage's first block keeps the previous dilation (1 for 1 or 2).
 */
export function stageDilation(netStride: number, outputStride: number, stride: number, dilation: number): { stride: number; dilation: number; netStride: number; firstDilation: number } {
  if (netStride >= outputStride && stride > 1) {
    dilation *= stride;
    stride = 1;
  }
  return { stride, dilation, netStride: netStride * stride, firstDilation: dilation === 1 || dilation === 2 ? 1 : 2 };
}
