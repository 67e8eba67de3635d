import { zooVitestConfig } from '../vitest/config.ts';
export default zooVitestConfig({ testTimeout: 600_000 });
