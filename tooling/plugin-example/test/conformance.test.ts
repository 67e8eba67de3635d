import { createModel, listModels, listModules } from '@zoo/core';
import { describeModelConformance } from '@zoo/testing';
import { describe, expect, it } from 'vitest';
import { register, registerTinyNet } from 'zoo-plugin-example';

await describeModelConformance(['example_tinynet'], { title: 'zoo-plugin-example conformance' });

describe('zoo-plugin-example registration', () => {
  it('registers example_tinynet under its own module', async () => {
    expect(listModules()).toContain('zoo_plugin_example');
    expect(listModels({ module: 'zoo_plugin_example' })).toEqual(['example_tinynet']);
    const m = await createModel('example_tinynet', { numClasses: 3 });
    expect(m.numClasses).toBe(3);
    m.dispose();
  });

  it('registering again is a no-op; more names can be registered', () => {
    register();
    registerTinyNet('example_tinynet_wide', { widths: [32, 64, 128] });
    expect(listModels('example_tinynet*')).toEqual(['example_tinynet', 'example_tinynet_wide']);
  });
});
