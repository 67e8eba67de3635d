/** `zoo` as a user runs it: list, info, help, and the exit codes / one-line errors of bad input and bad usage. */
import { describe, expect, it } from 'vitest';
import { isOneLineError, zoo } from './helpers.js';

describe('zoo list', () => {
  it('lists ResNets one per line, filtered by pattern and module', async () => {
    const r = await zoo(['list', 'resnet1*', '--module', 'resnet']);
    expect(r.code).toBe(0);
    const names = r.stdout.trim().split('\n');
    expect(names).toContain('resnet18');
    expect(names).toContain('resnet101');
    expect(names.every((n) => /^resnet1/.test(n))).toBe(true);
    // an unknown module is an error naming the known ones (it printed nothing and exited 0 before)
    const none = await zoo(['list', '--module', 'no_such_module']);
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/unknown module 'no_such_module'; modules: .*resnet/);
  });

  it('registers the optional families present in the workspace (vit, efficientnet, densenet, convnext, cspnet, xception, vgg, regnet, rexnet, dla)', async () => {
    const r = await zoo(['list', 'vit_tiny_patch16_224']);
    expect(r.stdout.trim()).toBe('vit_tiny_patch16_224');
    const e = await zoo(['list', 'efficientnet_b0', '--module', 'efficientnet']);
    expect(e.stdout.trim()).toBe('efficientnet_b0');
    const d = await zoo(['list', 'densenet121']);
    expect(d.stdout.trim()).toBe('densenet121');
    const others = await Promise.all(['convnext_atto', 'cspresnet50', 'xception41', 'vgg11', 'regnetx_002', 'rexnet_100', 'dla34'].map((m) => zoo(['list', m])));
    expect(others.map((o) => o.stdout.trim())).toEqual(['convnext_atto', 'cspresnet50', 'xception41', 'vgg11', 'regnetx_002', 'rexnet_100', 'dla34']);
  });

  it('registers the optional Inception, GhostNet, RepViT, HGNet, HRNet, NFNet, ByobNet, EVA and MobileViT families when present', async () => {
    const names = ['inception_v3', 'ghostnetv3_100', 'repvit_m0_9', 'hgnetv2_b0', 'hrnet_w18_small', 'eca_nfnet_l0', 'repvgg_a0', 'eva02_tiny_patch14_224', 'mobilevitv2_050'];
    const r = await Promise.all(names.map((m) => zoo(['list', m])));
    expect(r.map((o) => o.stdout.trim())).toEqual(names);
  });

  it('registers the optional MLP-Mixer and MetaFormer families when present', async () => {
    const names = ['resmlp_12_224', 'gmlp_s16_224', 'poolformer_s12', 'caformer_s18'];
    const r = await Promise.all(names.map((m) => zoo(['list', m])));
    expect(r.map((o) => o.stdout.trim())).toEqual(names);
  });

  it('registers the optional TinyViT family when present, with its pretrained tags', async () => {
    const r = await zoo(['list', 'tiny_vit_21m_*', '--pretrained']);
    expect(r.stdout.trim().split('\n')).toEqual([
      'tiny_vit_21m_224.dist_in22k', 'tiny_vit_21m_224.dist_in22k_ft_in1k', 'tiny_vit_21m_224.in1k',
      'tiny_vit_21m_384.dist_in22k_ft_in1k', 'tiny_vit_21m_512.dist_in22k_ft_in1k',
    ]);
  });

  it('--pretrained lists tagged names', async () => {
    const r = await zoo(['list', 'resnet18*', '--pretrained']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toContain('resnet18.a1_in1k');
  });
});

describe('zoo info', () => {
  it('prints cfg, parameter count and feature_info', async () => {
    const r = await zoo(['info', 'resnet18']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/parameters:\s+11,689,512/);
    expect(r.stdout).toMatch(/hf_hub_id: "timm\/resnet18.a1_in1k"/);
    expect(r.stdout).toMatch(/512\s+32\s+layer4/);
  });

  it('--json', async () => {
    const r = await zoo(['info', 'resnet18', '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.params).toBe(11689512);
    expect(info.num_classes).toBe(1000);
    expect(info.pretrained_cfg.input_size).toEqual([3, 224, 224]);
    expect(info.feature_info.map((f: { module: string }) => f.module)).toEqual(['act1', 'layer1', 'layer2', 'layer3', 'layer4']);
  });
});

describe('help', () => {
  it('zoo --help and <command> --help print usage on stdout with exit 0', async () => {
    const main = await zoo(['--help']);
    expect(main.code).toBe(0);
    for (const c of ['list', 'info', 'predict', 'features', 'bench']) expect(main.stdout).toContain(c);
    const cmds = ['list', 'info', 'predict', 'features', 'bench'];
    const runs = await Promise.all(cmds.map((c) => zoo([c, '--help'])));
    runs.forEach((r, i) => {
      expect(r.code, cmds[i]).toBe(0);
      expect(r.stdout, cmds[i]).toMatch(new RegExp(`^Usage: zoo ${cmds[i]}`));
    });
  });
});

describe('errors', () => {
  it('unknown model: exit 1, one line with the suggestion', async () => {
    const r = await zoo(['info', 'resnt18']);
    expect(r.code).toBe(1);
    expect(isOneLineError(r), r.stderr).toBe(true);
    expect(r.stderr).toMatch(/Unknown model 'resnt18'.*Did you mean: resnet18/);
  });

  it('missing image and bad weights: exit 1, one line', async () => {
    const img = await zoo(['predict', 'resnet18', 'no/such/image.png']);
    expect(img.code).toBe(1);
    expect(isOneLineError(img), img.stderr).toBe(true);
    expect(img.stderr).toContain('image not found: no/such/image.png');

    const w = await zoo(['predict', 'resnet18', 'test/fixtures/camera.png', '--weights', 'test/fixtures/camera.png']);
    expect(w.code).toBe(1);
    expect(isOneLineError(w), w.stderr).toBe(true);
    expect(w.stderr).toContain('cannot load weights from test/fixtures/camera.png');

    const nw = await zoo(['predict', 'resnet18', 'test/fixtures/camera.png', '--weights', 'nope.safetensors']);
    expect(nw.code).toBe(1);
    expect(nw.stderr).toContain('weights file not found: nope.safetensors');
  });

  it('bad usage: exit 2, one line', async () => {
    const cases = [
      ['frobnicate'],
      ['list', '--bogus'],
      ['predict', 'resnet18'],
      ['predict', 'resnet18', 'test/fixtures/camera.png', '--top-k', 'many'],
      ['bench'],
      ['bench', 'resnet18', '--backend', 'webgl'],
      ['bench', 'resnet18', '--threads', '0'],
      ['bench', 'resnet18', '--threads', '9'],
    ];
    const runs = await Promise.all(cases.map((args) => zoo(args)));
    runs.forEach((r, i) => {
      const args = cases[i]!.join(' ');
      expect(r.code, args).toBe(2);
      expect(isOneLineError(r), `${args}: ${r.stderr}`).toBe(true);
    });
    const negative = await zoo(['predict', 'resnet18', 'test/fixtures/camera.png', '--top-k', '-1']);
    expect(negative.code).toBe(2);
    expect(negative.stderr).toContain("--top-k must be a positive integer, got '-1'");
    expect(negative.stderr).not.toContain('ambiguous');
    const none = await zoo([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: zoo');
  });
});
