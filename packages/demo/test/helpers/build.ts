/** Builds the demo with Vite into a folder (test-output/, gitignored). */
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export const DEMO_DIR = fileURLToPath(new URL('../..', import.meta.url));

export async function buildDemo(outDir: string): Promise<void> {
  await build({ root: DEMO_DIR, configFile: `${DEMO_DIR}/vite.config.ts`, logLevel: 'error', build: { outDir, emptyOutDir: true } });
}
