import { fromTimmDict, type PretrainedCfg, toTimmDict } from '@zoo/core';
import { describe, expect, it } from 'vitest';

describe('PretrainedCfg is a closed type', () => {
  it('refuses a misspelt field at compile time, and keeps unknown hub fields at run time', () => {
    const ok: PretrainedCfg = { cropPct: 0.9, inputSize: [3, 224, 224] };
    // @ts-expect-error a misspelt field is a type error (no index signature)
    const bad: PretrainedCfg = { cropPtc: 0.9 };
    expect(Object.keys(bad)).toEqual(['cropPtc']);
    const fromHub = fromTimmDict({ crop_pct: 0.9, some_new_field: 1 });
    expect(toTimmDict(fromHub)).toEqual({ crop_pct: 0.9, some_new_field: 1 });
    expect(ok.cropPct).toBe(0.9);
  });
});
