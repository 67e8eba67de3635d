import { defineConfig } from 'vitest/config';

/** Shared vitest config: packages are tested from source through the `@zoo/source` export condition. */
export function zooVitestConfig(overrides: { testTimeout?: number; include?: string[] } = {}) {
  return defineConfig({
    resolve: { conditions: ['@zoo/source'] },
    ssr: { resolve: { conditions: ['@zoo/source'], externalConditions: ['@zoo/source'] } },
    test: {
      include: overrides.include ?? ['test/**/*.test.ts'],
      testTimeout: overrides.testTimeout ?? 120_000,
      hookTimeout: 120_000,
      // Test files run in parallel processes on few cores: one XNNPACK thread each unless a test asks for more
      // (the Node default is every core, which would oversubscribe them).
      env: { ZOO_NUM_THREADS: process.env.ZOO_NUM_THREADS ?? '1' },
      pool: 'forks',
      fileParallelism: true,
      maxWorkers: 2,
    },
  });
}
