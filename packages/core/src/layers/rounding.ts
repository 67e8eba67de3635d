/**
 * Python's `round()` and `torch.round`: a value exactly halfway between two integers goes to the even one
 * (`round(2.5) == 2`, `round(186.5) == 186`), where `Math.round` goes up. Channel arithmetic ported from timm
 * (`int(round(chs * ratio))`) needs this to give timm's widths.
 */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
