/** Checkpoint strings: paths in Node, URLs to fetch elsewhere, relative ones resolved against the page. */
import { afterEach, describe, expect, it } from 'vitest';
import { checkpointUrl, localCheckpointPath } from '../../src/weights/checkpoint.js';

const g = globalThis as { document?: unknown; location?: unknown };
afterEach(() => {
  delete g.document;
  delete g.location;
});

describe('checkpoint strings', () => {
  it('resolves a relative URL against document.baseURI (a <base> included), else location.href (a worker)', () => {
    g.document = { baseURI: 'https://example.test/app/index.html' };
    expect(checkpointUrl('weights/model.safetensors')).toBe('https://example.test/app/weights/model.safetensors');
    expect(checkpointUrl('/w/model.safetensors')).toBe('https://example.test/w/model.safetensors');
    expect(checkpointUrl('https://cdn.test/x.safetensors')).toBe('https://cdn.test/x.safetensors');
    delete g.document;
    g.location = { href: 'https://example.test/worker/w.js' };
    expect(checkpointUrl('../m.safetensors')).toBe('https://example.test/m.safetensors');
    delete g.location;
    expect(checkpointUrl('m.safetensors')).toBe('m.safetensors');
  });

  it('in Node a plain string is a file path; http(s), blob and data URLs are fetched; file:// URLs are paths', () => {
    expect(localCheckpointPath('weights/model.safetensors')).toBe('weights/model.safetensors');
    expect(localCheckpointPath('https://example.test/m.safetensors')).toBeNull();
    expect(localCheckpointPath('file:///tmp/a%20b.safetensors')).toBe('/tmp/a b.safetensors');
  });
});
