/** Builds the demo with Vite into a folder (test-output/, gitignored). */
import { fileURLToPath } from 'node:url';
import { build, type PluginOption } from 'vite';

export const DEMO_DIR = fileURLToPath(new URL('../..', import.meta.url));

export async function buildDemo(outDir: string, options: { minify?: boolean } = {}, plugins: PluginOption[] = []): Promise<void> {
  await build({ root: DEMO_DIR, configFile: `${DEMO_DIR}/vite.config.ts`, logLevel: 'error', plugins, build: { outDir, emptyOutDir: true, ...options } });
}
