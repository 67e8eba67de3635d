/** Replacing a child module disposes what it held, except what the new module still holds. */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Identity, Linear, Module, Sequential, setBackend } from '../src/index.js';

beforeAll(async () => {
  await setBackend('wasm');
});

describe('Module.addModule over an existing child', () => {
  it('keeps the children the new container reuses and frees the rest', () => {
    const parent = new Module();
    const kept = new Linear(4, 4);
    const dropped = new Linear(4, 4);
    parent.addModule('stages', new Sequential([kept, dropped]));
    const before = Array.from(kept.weight.value.dataSync());
    dropped.weight.value;
    const n = tf.memory().numTensors;
    // As pruneIntermediateLayers does: the same container name, rebuilt around the stages it keeps.
    parent.addModule('stages', new Sequential([kept, new Identity()]));
    expect(tf.memory().numTensors).toBe(n - 1); // dropped's weight (its bias was never made: params are lazy)
    expect(Array.from(kept.weight.value.dataSync())).toEqual(before);
    expect(parent.stateDict()['stages.0.weight']).toBeDefined();
    parent.dispose();
  });
});
