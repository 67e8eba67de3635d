/**
 * @zoo/testing — the conformance kit: `describeModelConformance(selector, options)` defines vitest suites that check,
 * for every architecture given, what timm's own model tests check (see README / docs/plugins.md). The checks
 * themselves, free of vitest, are in `@zoo/testing/checks`.
 */
import { setBackend } from '@zoo/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CheckName, type ConformanceOptions, checksFor, type ModelContext, type ModelSelector, prepareModel, runCheck,
  type Selection, selectModels,
} from './checks.js';

export * from './checks.js';

export interface DescribeConformanceOptions extends ConformanceOptions {
  /** Suite title (default: 'timm conformance'). */
  title?: string;
  /** Per-test timeout in ms (default 120 s). */
  timeout?: number;
  /** Where the skipped names and reasons go (default console.log). */
  log?: (line: string) => void;
}

/**
 * Defines one vitest `describe` per architecture, with one test per check. Architectures above the parameter cap
 * (`maxParams`, default `ZOO_CONFORMANCE_MAX_PARAMS` or 150M) or excluded are listed, with why, in a `skipped` test
 * and printed. The packages that register the architectures must be imported by the calling test file.
 *
 * Selection runs at collection time with top-level await, so call it at the top level of a test file:
 * `await describeModelConformance({ module: 'resnet' }, { maxParams: 30e6 })`.
 */
export async function describeModelConformance(selector: ModelSelector, options: DescribeConformanceOptions = {}): Promise<Selection> {
  const sel = await selectModels(selector, options);
  const log = options.log ?? ((l: string) => console.log(l));
  const title = options.title ?? 'timm conformance';
  const timeout = options.timeout ?? 120_000;
  describe(title, () => {
    beforeAll(async () => {
      await setBackend(options.backend ?? 'wasm');
    });
    it(`selection: ${sel.names.length} checked, ${sel.skipped.length} left out`, () => {
      const lines = sel.skipped.map((s) => `  skipped ${s.name}: ${s.reason}`);
      for (const name of sel.names) {
        for (const s of checksFor(name, options).skipped) lines.push(`  ${name}: ${s.check} not checked (${s.reason})`);
      }
      log(`${title}: checking ${sel.names.length} architecture(s)${lines.length ? `; left out:\n${lines.join('\n')}` : ''}`);
      // A selection that checks nothing is a mistake in the caller (a filter that matches no registered model).
      expect(sel.names.length).toBeGreaterThan(0);
    });
    for (const name of sel.names) {
      describe(name, () => {
        let ctx: ModelContext | undefined;
        beforeAll(async () => {
          ctx = await prepareModel(name, { ...options, backend: undefined });
        }, timeout);
        afterAll(() => {
          ctx?.dispose();
          ctx = undefined;
        });
        const { run } = checksFor(name, options);
        for (const check of run) {
          it(check, async (t) => {
            if (!ctx) throw new Error(`${name}: the model could not be built`);
            const note = await runCheck(ctx, check as CheckName);
            if (note) t.annotate?.(note);
          }, timeout);
        }
      });
    }
  });
  return sel;
}
