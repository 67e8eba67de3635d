/** createModel(…, { pretrained: true }) with a hub that cannot be reached fails in ≤ 5 s, in one line. */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModelWithCfg, Conv2d, createModel, generateDefaultCfgs, HubError, registerModel, VisionModel } from '../../src/index.js';

class OneConv extends VisionModel {
  static readonly argNames: readonly string[] = ['numClasses', 'inChans'];
  numClasses = 2;
  numFeatures = 4;
  headHiddenSize = 4;
  inChans = 3;
  readonly conv = this.addModule('conv', new Conv2d(3, 4, 3));
  constructor() {
    super();
    this.setPoolClassifier('fc', 2);
  }
  protected computeFeatures(x: tf.Tensor): tf.Tensor {
    return this.conv.forward(x);
  }
}

const CEILING_MS = 5000;
const cache = mkdtempSync(join(tmpdir(), 'zoo-unreachable-'));
const saved = process.env.HF_ENDPOINT;

beforeAll(async () => {
  await tf.setBackend('wasm');
  registerModel({
    name: 'unreachable_test_net',
    module: 'unreachable_test',
    defaultCfg: generateDefaultCfgs({ 'unreachable_test_net.x': { hfHubId: 'timm/unreachable_test_net.x', numClasses: 2, inputSize: [3, 8, 8] } }).unreachable_test_net,
    create: (kw) => buildModelWithCfg(OneConv, 'unreachable_test_net', kw),
  });
});
afterAll(() => {
  if (saved === undefined) delete process.env.HF_ENDPOINT;
  else process.env.HF_ENDPOINT = saved;
  rmSync(cache, { recursive: true, force: true });
});

describe('a pretrained load from an unreachable hub', () => {
  it.each([
    ['a host that does not resolve', async () => 'http://nonexistent.invalid', /ENOTFOUND|EAI_AGAIN/],
    [
      'a refused connection',
      () =>
        new Promise<string>((done) => {
          const s = createServer().listen(0, '127.0.0.1', () => {
            const { port } = s.address() as AddressInfo;
            s.close(() => done(`http://127.0.0.1:${port}`));
          });
        }),
      /ECONNREFUSED/,
    ],
  ])('%s: fails in ≤ 5 s with one line naming the endpoint and the cause', async (_what, endpointOf, cause) => {
    const endpoint = await endpointOf();
    process.env.HF_ENDPOINT = endpoint;
    const t0 = performance.now();
    const err = await createModel('unreachable_test_net', { pretrained: true, cacheDir: cache }).catch((e) => e);
    expect(performance.now() - t0).toBeLessThanOrEqual(CEILING_MS);
    expect(err).toBeInstanceOf(HubError);
    expect(err.message).toContain(endpoint);
    expect(err.message).toMatch(cause);
    expect(err.message).not.toContain('\n');
  });
});
