import type { ConstValue, KernelCall, TensorRef } from './trace.js';

/**
 * Pattern fusions over the traced kernels, so onnxruntime gets the single ops it has fast kernels for: a layer norm
 * over the last axis (tf.moments → normalise → scale → shift, as core's LayerNorm computes it) becomes one
 * `ZooLayerNorm` call (ONNX LayerNormalization), the exact (erf) GELU one `ZooGelu` call (com.microsoft Gelu),
 * hard sigmoid / hard swish one `ZooHardSigmoid` / `ZooHardSwish` call, and core's GroupNorm one `ZooGroupNorm` call. The fused call takes the place of the pattern's last call; the calls it replaces are left
 * for the dead-code pass to drop when nothing else reads them.
 */
export function fusePatterns(calls: KernelCall[], dyn: Set<number>, consts: Map<number, ConstValue>, opset: number): void {
  const producer = new Map<number, number>();
  const consumers = new Map<number, number[]>();
  calls.forEach((c, i) => {
    if (!dyn.has(i)) return;
    for (const o of c.outputs) producer.set(o.id, i);
    for (const r of Object.values(c.inputs)) if (r) consumers.set(r.id, [...(consumers.get(r.id) ?? []), i]);
  });
  const prod = (r: TensorRef | null | undefined, kernel: string | string[]): KernelCall | null => {
    if (!r) return null;
    const i = producer.get(r.id);
    if (i === undefined) return null;
    const c = calls[i]!;
    return (Array.isArray(kernel) ? kernel.includes(c.kernel) : c.kernel === kernel) ? c : null;
  };
  const onlyConsumer = (r: TensorRef, kernel: string): [number, KernelCall] | null => {
    const list = consumers.get(r.id) ?? [];
    if (list.length !== 1) return null;
    const c = calls[list[0]!]!;
    return c.kernel === kernel ? [list[0]!, c] : null;
  };
  const scalar = (r: TensorRef | null | undefined): number | null => {
    if (!r || dyn.has(producer.get(r.id) ?? -1)) return null;
    const v = consts.get(r.id);
    return v && v.data.length === 1 && v.dtype === 'float32' ? v.data[0]! : null;
  };
  const vector = (r: TensorRef | null | undefined, n: number): boolean => {
    if (!r || producer.has(r.id)) return false;
    const v = consts.get(r.id);
    return !!v && v.dtype === 'float32' && v.data.length === n && v.shape[v.shape.length - 1] === n;
  };
  const pair = (c: KernelCall) => [c.inputs.a ?? null, c.inputs.b ?? null] as const;
  const lastAxisMean = (c: KernelCall | null, rank: number) => {
    if (!c?.attrs.keepDims) return false;
    const ax = c.attrs.axis as number | number[];
    const a = Array.isArray(ax) ? ax : [ax];
    return a.length === 1 && (a[0] === rank - 1 || a[0] === -1);
  };

  /** rsqrt(mean(square(x − m)) + eps), as core's norms compute it: eps, the variance's Mean and the centring Sub. */
  const rsqrtOfVariance = (r: KernelCall) => {
    const add = prod(r.inputs.x, ['Add', 'AddV2']);
    if (!add) return null;
    const [p, q] = pair(add);
    const eps = scalar(q) ?? scalar(p);
    const vRef = scalar(q) !== null ? p : q;
    if (eps === null || !vRef) return null;
    const mv = prod(vRef, 'Mean');
    const sq = prod(mv?.inputs.x, 'Square');
    const sub = prod(sq?.inputs.x, 'Sub');
    return mv && sq && sub ? { eps, mv, sub } : null;
  };

  if (opset >= 17) {
    calls.forEach((r, i) => {
      if (r.kernel !== 'Rsqrt' || !dyn.has(i)) return;
      const v = rsqrtOfVariance(r);
      if (!v) return;
      const { eps, mv, sub } = v;
      let xIn = sub.inputs.a!;
      const cast = prod(xIn, ['Cast', 'Identity']);
      if (cast) xIn = cast.inputs.x!;
      let mRef = sub.inputs.b!;
      const rs = prod(mRef, 'Reshape');
      if (rs) mRef = rs.inputs.x!;
      const m = prod(mRef, 'Mean');
      const rank = xIn.shape.length;
      if (!m || m.inputs.x!.id !== xIn.id || !lastAxisMean(m, rank) || !lastAxisMean(mv, rank)) return;
      // y = (x - mean) * rsqrt(var + eps)
      const next = onlyConsumer(r.outputs[0]!, 'Multiply');
      if (!next) return;
      let [last, lastCall] = next;
      const other = lastCall.inputs.a!.id === r.outputs[0]!.id ? lastCall.inputs.b! : lastCall.inputs.a!;
      const d2 = prod(other, 'Sub');
      if (!d2 || d2.inputs.a!.id !== xIn.id || d2.inputs.b!.id !== m.outputs[0]!.id) return;
      const ch = xIn.shape[rank - 1]!;
      const inputs: Record<string, TensorRef | null> = { x: xIn, weight: null, bias: null };
      const mul = onlyConsumer(lastCall.outputs[0]!, 'Multiply');
      if (mul) {
        const w = mul[1].inputs.a!.id === lastCall.outputs[0]!.id ? mul[1].inputs.b! : mul[1].inputs.a!;
        if (vector(w, ch)) {
          inputs.weight = w;
          [last, lastCall] = mul;
          const addB = onlyConsumer(lastCall.outputs[0]!, 'Add');
          if (addB) {
            const b = addB[1].inputs.a!.id === lastCall.outputs[0]!.id ? addB[1].inputs.b! : addB[1].inputs.a!;
            if (vector(b, ch)) {
              inputs.bias = b;
              [last, lastCall] = addB;
            }
          }
        }
      }
      calls[last] = { kernel: 'ZooLayerNorm', module: lastCall.module, inputs, attrs: { eps }, outputs: lastCall.outputs };
    });
  }

  // core's GroupNorm on an NHWC map: reshape to [B, H·W, G, C/G], mean twice (centred, then re-centred), variance,
  // rsqrt(var + eps), normalise, reshape back, then the per-channel weight and bias. One ZooGroupNorm call
  // (InstanceNormalization over [B, G, ·] in NCHW, as timm's GroupNorm exports) instead of ~12 ops and two transposes.
  const groupAxes = (c: KernelCall | null) => {
    const ax = c?.attrs.axis as number | number[] | undefined;
    return !!c?.attrs.keepDims && Array.isArray(ax) && ax.length === 2 && ax[0] === 1 && ax[1] === 3;
  };
  calls.forEach((r, i) => {
    if (r.kernel !== 'Rsqrt' || !dyn.has(i)) return;
    const v = rsqrtOfVariance(r);
    if (!v || !groupAxes(v.mv)) return;
    const { eps, sub: centred } = v;
    const m2 = prod(centred.inputs.b, 'Mean');
    const first = prod(centred.inputs.a, 'Sub');
    if (!m2 || !first || !groupAxes(m2) || m2.inputs.x?.id !== centred.inputs.a?.id) return;
    const m1 = prod(first.inputs.b, 'Mean');
    const rs = prod(first.inputs.a, 'Reshape');
    if (!m1 || !rs || !groupAxes(m1) || m1.inputs.x?.id !== first.inputs.a?.id) return;
    const x = rs.inputs.x!;
    const grouped = rs.outputs[0]!.shape;
    if (x.shape.length !== 4 || grouped.length !== 4) return;
    const [, h, w, ch] = x.shape as [number, number, number, number];
    const g = grouped[2]!;
    if (grouped[1] !== h * w || g * grouped[3]! !== ch) return;
    const norm = onlyConsumer(r.outputs[0]!, 'Multiply');
    if (!norm) return;
    const [n0, n1] = pair(norm[1]);
    if ((n0?.id === r.outputs[0]!.id ? n1 : n0)?.id !== centred.outputs[0]!.id) return;
    const back = onlyConsumer(norm[1].outputs[0]!, 'Reshape');
    if (!back || back[1].outputs[0]!.shape.join() !== x.shape.join()) return;
    let [last, lastCall] = back;
    const inputs: Record<string, TensorRef | null> = { x, weight: null, bias: null };
    const mul = onlyConsumer(lastCall.outputs[0]!, 'Multiply');
    const wRef = mul && (mul[1].inputs.a!.id === lastCall.outputs[0]!.id ? mul[1].inputs.b! : mul[1].inputs.a!);
    if (mul && vector(wRef, ch)) {
      inputs.weight = wRef;
      [last, lastCall] = mul;
    }
    const addB = onlyConsumer(lastCall.outputs[0]!, 'Add');
    const bRef = addB && (addB[1].inputs.a!.id === lastCall.outputs[0]!.id ? addB[1].inputs.b! : addB[1].inputs.a!);
    if (addB && vector(bRef, ch)) {
      inputs.bias = bRef;
      [last, lastCall] = addB;
    }
    calls[last] = { kernel: 'ZooGroupNorm', module: lastCall.module, inputs, attrs: { eps, groups: g }, outputs: lastCall.outputs };
  });

  calls.forEach((e, i) => {
    if (e.kernel !== 'Erf' || !dyn.has(i)) return;
    const t1 = prod(e.inputs.x, 'Multiply');
    if (!t1) return;
    const [p, q] = pair(t1);
    const k = scalar(q) ?? scalar(p);
    const x = scalar(q) !== null ? p : q;
    if (k === null || !x || Math.abs(k - Math.SQRT1_2) > 1e-6) return;
    const add = onlyConsumer(e.outputs[0]!, 'Add');
    if (!add) return;
    const [a0, a1] = pair(add[1]);
    if ((a0?.id === e.outputs[0]!.id ? scalar(a1) : scalar(a0)) !== 1) return;
    const mul = onlyConsumer(add[1].outputs[0]!, 'Multiply');
    if (!mul) return;
    const h = mul[1].inputs.a!.id === add[1].outputs[0]!.id ? mul[1].inputs.b! : mul[1].inputs.a!;
    const half = prod(h, 'Multiply');
    if (!half) return;
    const [h0, h1] = pair(half);
    const hx = scalar(h1) === 0.5 ? h0 : scalar(h0) === 0.5 ? h1 : null;
    if (!hx || hx.id !== x.id) return;
    calls[mul[0]] = { kernel: 'ZooGelu', module: mul[1].module, inputs: { x }, attrs: {}, outputs: mul[1].outputs };
  });

  // core's hard_sigmoid relu6(x + 3) / 6 (ONNX HardSigmoid), and hard_swish x · hard_sigmoid(x) (ONNX HardSwish, opset 14+).
  calls.forEach((r6, i) => {
    if (r6.kernel !== 'Relu6' || !dyn.has(i)) return;
    const add = prod(r6.inputs.x, ['Add', 'AddV2']);
    if (!add) return;
    const [p, q] = pair(add);
    const x = scalar(q) === 3 ? p : scalar(p) === 3 ? q : null;
    if (!x) return;
    const div = onlyConsumer(r6.outputs[0]!, 'RealDiv');
    if (!div || div[1].inputs.a?.id !== r6.outputs[0]!.id || scalar(div[1].inputs.b) !== 6) return;
    const mul = onlyConsumer(div[1].outputs[0]!, 'Multiply');
    const other = mul && (mul[1].inputs.a!.id === div[1].outputs[0]!.id ? mul[1].inputs.b! : mul[1].inputs.a!);
    if (mul && other?.id === x.id) {
      calls[mul[0]] = { kernel: 'ZooHardSwish', module: mul[1].module, inputs: { x }, attrs: {}, outputs: mul[1].outputs };
    } else {
      calls[div[0]] = { kernel: 'ZooHardSigmoid', module: div[1].module, inputs: { x }, attrs: {}, outputs: div[1].outputs };
    }
  });
}

/** Indices of the calls whose outputs the graph outputs need (in order). */
export function liveCalls(calls: KernelCall[], dyn: Set<number>, outputs: TensorRef[]): number[] {
  const needed = new Set(outputs.map((o) => o.id));
  const live: number[] = [];
  for (let i = calls.length - 1; i >= 0; i--) {
    if (!dyn.has(i)) continue;
    const c = calls[i]!;
    if (!c.outputs.some((o) => needed.has(o.id))) continue;
    live.push(i);
    for (const r of Object.values(c.inputs)) if (r) needed.add(r.id);
  }
  return live.reverse();
}
