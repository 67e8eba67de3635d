/**
 * Raised by a model or layer for an optional part of timm's interface it does not have (timm's
 * `NotImplementedError`), e.g. `forwardIntermediates` on a family without it. Callers test for it with
 * `instanceof`, never by message text.
 */
export class NotImplementedError extends Error {
  override name = 'NotImplementedError';
}
