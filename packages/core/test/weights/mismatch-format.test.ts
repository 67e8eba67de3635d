/** State-dict errors list one key a line, capped with a count, and keep the full lists on the error. */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { Linear, Module, Sequential, StateDictError } from '../../src/index.js';

/** 30 linears: 60 keys (weight, bias). */
const wide = () => new Sequential(Array.from({ length: 30 }, () => new Linear(2, 3)));

beforeAll(async () => {
  await tf.setBackend('wasm');
});

describe('state-dict error messages', () => {
  it('missing and unexpected keys: counts first, then one key a line, 20 at most per list', () => {
    const m = wide();
    const sd = m.stateDict();
    delete sd['0.weight'];
    sd['extra.weight'] = { dtype: 'float32', shape: [1], data: new Float32Array(1) };
    const err = (() => {
      try {
        new Sequential([wide(), new Linear(1, 1)]).loadStateDict(Object.fromEntries(Object.entries(sd).map(([k, v]) => [`0.${k}`, v])));
      } catch (e) {
        return e as StateDictError;
      }
      throw new Error('no error');
    })();
    expect(err).toBeInstanceOf(StateDictError);
    const lines = err.message.split('\n');
    expect(lines[0]).toBe('error loading the state dict (strict): 3 missing, 1 unexpected key(s); load with { strict: false } to skip them');
    expect(lines[1]).toBe('missing key(s):');
    expect(lines.slice(2, 5)).toEqual(['  0.0.weight', '  1.weight', '  1.bias']);
    expect(lines[5]).toBe('unexpected key(s):');
    expect(lines[6]).toBe('  0.extra.weight');
    expect(err.missingKeys).toEqual(['0.0.weight', '1.weight', '1.bias']);
    m.dispose();
  });

  it('a long list is capped with the count of the rest; every key stays on the error', () => {
    const m = wide();
    const err = (() => {
      try {
        m.loadStateDict({});
      } catch (e) {
        return e as StateDictError;
      }
      throw new Error('no error');
    })();
    const lines = err.message.split('\n');
    expect(lines[0]).toMatch(/: 60 missing key\(s\)/);
    expect(lines.filter((l) => /^ {2}\d+\.(weight|bias)$/.test(l))).toHaveLength(20);
    expect(lines.at(-1)).toBe('  … and 40 more (60 in all)');
    expect(err.missingKeys).toHaveLength(60);
    expect(err.message.length).toBeLessThan(600);
    m.dispose();
  });

  it('shape mismatches: one key a line with both shapes', () => {
    const m = wide();
    const sd = m.stateDict();
    for (const k of Object.keys(sd)) if (k.endsWith('.weight')) sd[k] = { dtype: 'float32', shape: [3, 4], data: new Float32Array(12) };
    const err = (() => {
      try {
        m.loadStateDict(sd);
      } catch (e) {
        return e as StateDictError;
      }
      throw new Error('no error');
    })();
    const lines = err.message.split('\n');
    expect(lines[0]).toBe('size mismatch for 30 key(s) while loading the state dict:');
    expect(lines[1]).toBe('  0.weight: checkpoint [3, 4], model [3, 2]');
    expect(lines).toHaveLength(22);
    expect(err.shapeMismatches).toHaveLength(30);
    expect(m).toBeInstanceOf(Module);
    m.dispose();
  });
});
