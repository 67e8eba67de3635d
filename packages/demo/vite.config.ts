import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';

/** COOP/COEP: make the page cross-origin isolated so the wasm backend can use threads (SharedArrayBuffer). */
export const crossOriginIsolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const page = (name: string) => fileURLToPath(new URL(name, import.meta.url));

export default defineConfig({
  // Workspace packages are bundled from source (no build step needed); published packages resolve to dist.
  resolve: { conditions: ['@zoo/source', ...defaultClientConditions] },
  server: { headers: crossOriginIsolationHeaders },
  preview: { headers: crossOriginIsolationHeaders },
  build: {
    target: 'es2022',
    // Not minified: tfjs-backend-wasm starts its thread workers from the source text of its (emscripten) factory,
    // whose `typeof _scriptDir` guard a minifier folds away (mangled or not), so the workers fail with
    // "ReferenceError: _scriptDir / e is not defined" in a cross-origin isolated page.
    minify: false,
    chunkSizeWarningLimit: 8000,
    rolldownOptions: { input: { main: page('index.html'), parity: page('parity.html') } },
  },
});
