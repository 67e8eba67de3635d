import { BatchNorm2d } from './layers/norm.js';
import type { Module } from './module.js';

/**
 * The modules named by `submodules` (dotted paths as in the state dict, `''` for the whole model), checked before
 * anything changes: an unknown name throws and names the closest children.
 */
function resolve(root: Module, submodules: string | readonly string[]): Module[] {
  const names = typeof submodules === 'string' ? [submodules] : submodules;
  return names.map((name) => {
    try {
      return root.getSubmodule(name);
    } catch {
      const children = root.namedChildren().map(([n]) => n);
      throw new Error(`freeze: no submodule '${name}' in the model. Top-level modules: ${children.join(', ')}`);
    }
  });
}

function setFrozen(root: Module, submodules: string | readonly string[], frozen: boolean, bnStats: boolean): void {
  for (const m of resolve(root, submodules)) {
    for (const [, p] of m.namedParams()) if (!p.isBuffer && p.dtype === 'float32') p.requiresGrad = !frozen;
    if (!bnStats) continue;
    for (const [, sub] of m.namedModules()) if (sub instanceof BatchNorm2d) sub.frozen = frozen;
  }
}

export interface FreezeOptions {
  /** BatchNorms below a frozen module keep their running statistics in training mode too (timm's FrozenBatchNorm2d). Default true. */
  includeBnRunningStats?: boolean;
}

/**
 * timm's `freeze`: the parameters of `submodules` (module paths; default the whole model) get no gradient and no
 * optimizer update, and their BatchNorms use running statistics, never updated, even in training mode. Head-only
 * fine-tuning: `freeze(model, names of every top-level module but the head)`, or see `freezeExcept`.
 */
export function freeze(model: Module, submodules: string | readonly string[] = '', options: FreezeOptions = {}): void {
  setFrozen(model, submodules, true, options.includeBnRunningStats ?? true);
}

/** timm's `unfreeze`: undoes {@link freeze} for `submodules` (default the whole model). */
export function unfreeze(model: Module, submodules: string | readonly string[] = '', options: FreezeOptions = {}): void {
  setFrozen(model, submodules, false, options.includeBnRunningStats ?? true);
}

/** Freezes every top-level module of `model` except those named in `keep` (e.g. `['fc']` or `['head']`): head-only fine-tuning in one call. */
export function freezeExcept(model: Module, keep: string | readonly string[], options: FreezeOptions = {}): void {
  const kept = new Set(typeof keep === 'string' ? [keep] : keep);
  resolve(model, [...kept]);
  const names = model.namedChildren().map(([n]) => n).filter((n) => !kept.has(n));
  freeze(model, names, options);
  // Top-level parameters (ViT's cls_token, pos_embed) belong to no child: freeze those too.
  for (const [k, p] of model.namedParams()) if (!k.includes('.') && !kept.has(k) && !p.isBuffer) p.requiresGrad = false;
}
