/**
 * timm's EfficientNet block args (the decoded, depth-scaled `block_args` its `_gen_*` functions hand the model class)
 * written back as timm's own block strings: one string per run of equal blocks (`ir_r3_k5_s2_e6_c40_se0.25`), so a
 * family's arch table holds a few dozen bytes per stage instead of every block's dict.
 *
 * Every field of a block must be spelled by its string: a field, value or activation this encoder does not know is an
 * error that names the architecture. The family's facts test decodes the strings with the package's own decoder
 * (timm's `_decode_block_str`) and compares the result with these facts, block by block.
 */
import type { TypeRef } from './families.ts';

type Block = Record<string, unknown>;

/** timm's activation classes and the codes its block strings give them (`_decode_block_str`'s `n<code>`). */
const ACT_CODES: Record<string, string> = {
  'torch.nn.modules.activation.ReLU': 're',
  'torch.nn.modules.activation.ReLU6': 'r6',
  'torch.nn.modules.activation.Hardswish': 'hs',
  'torch.nn.modules.activation.SiLU': 'sw',
  'torch.nn.modules.activation.Mish': 'mi',
};

/** Each block type's fields in timm's writing order → string option (`[code, value when the option may be left out]`). */
const S = ['s'] as const;
const C = ['c'] as const;
const FIELDS: Record<string, Record<string, readonly [string, unknown?]>> = {
  ir: {
    dw_kernel_size: ['k'], exp_kernel_size: ['a', 1], pw_kernel_size: ['p', 1], stride: S, exp_ratio: ['e'], out_chs: C,
    se_ratio: ['se', 0], num_experts: ['cc', 0], s2d: ['d', false],
  },
  ds: { dw_kernel_size: ['k'], pw_kernel_size: ['p', 1], stride: S, out_chs: C, se_ratio: ['se', 0], s2d: ['d', false] },
  dsa: { dw_kernel_size: ['k'], pw_kernel_size: ['p', 1], stride: S, out_chs: C, se_ratio: ['se', 0], s2d: ['d', false] },
  er: { exp_kernel_size: ['k'], pw_kernel_size: ['p', 1], stride: S, exp_ratio: ['e'], out_chs: C, force_in_chs: ['fc', 0], se_ratio: ['se', 0] },
  cn: { kernel_size: ['k'], stride: S, out_chs: C },
  uir: { dw_kernel_size_start: ['a', 0], dw_kernel_size_mid: ['k'], dw_kernel_size_end: ['p', 0], stride: S, exp_ratio: ['e'], out_chs: C, se_ratio: ['se', 0] },
  mqa: { dw_kernel_size: ['k'], num_heads: ['h'], stride: S, kv_stride: ['v', 1], key_dim: ['d'], out_chs: C },
  mha: { dw_kernel_size: ['k'], num_heads: ['h'], stride: S, kv_stride: ['v', 1], key_dim: ['d'], out_chs: C },
};

const optionValue = (v: unknown, where: string): string => {
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v) && v.length > 1 && v.every((k) => typeof k === 'number')) return v.join('.');
  throw new Error(`${where}: ${JSON.stringify(v)} cannot be written in a block string`);
};

/** One block's dict as its block string with `repeats` repeats. */
export function encodeBlock(b: Block, repeats: number, where: string): string {
  const type = b.block_type as string;
  const fields = FIELDS[type];
  if (!fields) throw new Error(`${where}: block type '${type}' has no block-string encoding`);
  const parts = [type, `r${repeats}`];
  const left = new Set(Object.keys(b));
  const take = (k: string) => {
    left.delete(k);
    return b[k];
  };
  take('block_type');
  for (const [field, [code, omit]] of Object.entries(fields)) {
    const v = take(field);
    if (v === undefined || (omit !== undefined && v === omit)) {
      if (omit === undefined) throw new Error(`${where}: a '${type}' block needs ${field}`);
      continue;
    }
    parts.push(`${code}${optionValue(v, `${where}.${field}`)}`);
  }
  const gs = take('group_size');
  if (gs !== undefined && gs !== null) parts.push(`gs${optionValue(gs, `${where}.group_size`)}`);
  // Skip flags: `ds` / `er` / `ir` / `uir` / attention blocks have a residual unless `noskip`; `dsa` never has one
  // (its noskip is implied by the type); `cn` has one only with `skip`.
  const noskip = take('noskip');
  const skip = take('skip');
  if (type === 'cn') {
    if (skip) parts.push('skip');
  } else if (type === 'dsa') {
    if (noskip !== true) throw new Error(`${where}: a 'dsa' block always has noskip`);
  } else if (noskip) parts.push('noskip');
  const pwAct = take('pw_act');
  if (pwAct !== undefined && pwAct !== (type === 'dsa')) throw new Error(`${where}: pw_act ${pwAct} is implied by the block type`);
  if (type === 'mqa' || type === 'mha') {
    const valueDim = take('value_dim');
    if (valueDim !== b.key_dim) throw new Error(`${where}: value_dim ${valueDim} differs from key_dim (one 'd' option)`);
  }
  const act = take('act_layer') as TypeRef | null | undefined;
  if (act) {
    const code = ACT_CODES[act.$type];
    if (!code || act.args) throw new Error(`${where}: activation ${JSON.stringify(act)} has no block-string code`);
    parts.push(`n${code}`);
  }
  if (left.size) throw new Error(`${where}: block fields ${[...left].join(', ')} have no block-string encoding`);
  return parts.join('_');
}

/** A model's decoded block args, stage by stage, as block strings (equal consecutive blocks as one string with repeats). */
export function encodeArchDef(stages: Block[][], where: string): string[][] {
  return stages.map((stage, i) => {
    const out: string[] = [];
    let j = 0;
    while (j < stage.length) {
      let n = 1;
      while (j + n < stage.length && JSON.stringify(stage[j + n]) === JSON.stringify(stage[j])) n++;
      out.push(encodeBlock(stage[j]!, n, `${where}.block_args[${i}][${j}]`));
      j += n;
    }
    return out;
  });
}
