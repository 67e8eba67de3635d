import type { Module } from '../module.js';

/** A module that can be rebuilt at a pruned size from the weight shape timm's pruned definition gives it. */
export interface Prunable {
  adaptToPrunedShape(weightShape: number[]): void;
}

function isPrunable(m: Module): m is Module & Prunable {
  return typeof (m as unknown as Prunable).adaptToPrunedShape === 'function';
}

/**
 * timm's `adapt_model_from_string`: the definition lists `name.weight:[shape]` separated by `***`; every conv,
 * norm and linear named there is rebuilt at that size (grouped convs become depthwise at the new width).
 */
export function adaptModelFromString(model: Module, spec: string): void {
  const shapes = new Map<string, number[]>();
  for (const item of spec.trim().split('***')) {
    const i = item.indexOf(':');
    if (i < 0) continue;
    const body = item.slice(i + 1).trim().slice(1, -1);
    if (body) shapes.set(item.slice(0, i).trim(), body.split(',').map((s) => Number.parseInt(s, 10)));
  }
  for (const [name, m] of model.namedModules()) {
    const s = shapes.get(`${name}.weight`);
    if (s && isPrunable(m)) m.adaptToPrunedShape(s);
  }
  const adaptable = model as unknown as { onPruned?: () => void };
  adaptable.onPruned?.();
}
