/** @zoo/core/vite: the threaded wasm factory's own text replaces `.toString()`, so minifiers cannot break workers. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { threadedFactorySource, tfjsWasmWorkerSource } from '../src/vite.js';

const wasmDir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json'));

describe('tfjsWasmWorkerSource', () => {
  it("extracts the factory function exactly as the package's glue has it, and it parses alone", () => {
    const glue = readFileSync(join(wasmDir, 'wasm-out/tfjs-backend-wasm-threaded-simd.js'), 'utf8');
    const text = threadedFactorySource(glue);
    expect(text.startsWith('function(WasmBackendModuleThreadedSimd) {')).toBe(true);
    expect(text.endsWith('}')).toBe(true);
    expect(glue).toContain(`return (\n${text}\n);\n})();`);
    expect(typeof new Function(`return ${text}`)()).toBe('function');
  });

  it('rewrites only backend_wasm.js: .toString() becomes a string literal', () => {
    const plugin = tfjsWasmWorkerSource();
    const id = join(wasmDir, 'dist/backend_wasm.js');
    const out = plugin.transform(readFileSync(id, 'utf8'), `${id}?v=1`);
    expect(out?.code).not.toContain('wasmFactoryThreadedSimd.toString()');
    expect(out?.code).toContain('`var WasmBackendModuleThreadedSimd = ` +\n                    "function(WasmBackendModuleThreadedSimd) {');
    expect(plugin.transform('const x = 1;', join(wasmDir, 'dist/index.js'))).toBeNull();
    expect(() => threadedFactorySource('var nope = 1;')).toThrow(/threaded factory was not found/);
  });
});
