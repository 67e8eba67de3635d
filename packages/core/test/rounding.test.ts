import { roundHalfEven } from '@zoo/core';
import { describe, expect, it } from 'vitest';

describe('roundHalfEven (Python round / torch.round)', () => {
  it('sends exact halves to the even integer and rounds everything else to nearest', () => {
    expect([0.5, 1.5, 2.5, 3.5, -2.5, -3.5, 186.5].map(roundHalfEven)).toEqual([0, 2, 2, 4, -2, -4, 186]);
    expect([2.4999, 2.5001, 7, -0.2].map(roundHalfEven)).toEqual([2, 3, 7, -0]);
  });
});
