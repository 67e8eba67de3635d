import { zooVitestConfig } from '../vitest/config.ts';
export default zooVitestConfig();
