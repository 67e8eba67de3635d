import { zooVitestConfig } from '../../tooling/vitest/config.ts';
export default zooVitestConfig({ testTimeout: 600_000 });
