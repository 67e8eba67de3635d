import { zooVitestConfig } from '../../tooling/vitest/config.ts';
export default zooVitestConfig();
