import { describe, expect, it } from 'vitest';
import { describeModelConformance, runModelConformance, selectModels } from '@zoo/testing';
import { registerToys } from './toy.ts';

registerToys();

// The kit on a correct model: every check is a passing test.
const sel = await describeModelConformance(['zoo_toy', 'zoo_toy_huge'], { title: 'conformance of a correct toy model', maxParams: 1e5 });

describe('the kit itself', () => {
  it('leaves out architectures above the parameter cap, saying why', () => {
    expect(sel.names).toEqual(['zoo_toy']);
    expect(sel.skipped).toEqual([{ name: 'zoo_toy_huge', reason: expect.stringMatching(/parameters > cap 100\.0K/) }]);
  });

  it('selects by filter, module and exclude patterns', async () => {
    expect((await selectModels('zoo_toy_bad*')).names).toEqual(['zoo_toy_bad_dead', 'zoo_toy_bad_features', 'zoo_toy_bad_final', 'zoo_toy_bad_info']);
    const s = await selectModels({ module: 'zoo_testing_toy' }, { exclude: { '*_bad_*': 'known broken' }, maxParams: 1e5 });
    expect(s.names).toEqual(['zoo_toy', 'zoo_toy_leaky']);
    expect(s.skipped.map((x) => x.reason)).toContain("known broken (pattern '*_bad_*')");
    await expect(selectModels('no_such_model*')).rejects.toThrow(/no registered architecture matches/);
  });

  it('catches a wrong numFeatures', async () => {
    const r = await runModelConformance('zoo_toy_bad_features');
    expect(r.failed.map((f) => f.check)).toContain('forwardFeatures');
    expect(r.failed.find((f) => f.check === 'forwardFeatures')!.message).toMatch(/channels \(numFeatures\): got 24, expected 25/);
  });

  it('catches featureInfo that does not describe the features', async () => {
    const r = await runModelConformance('zoo_toy_bad_info', { checks: ['featuresOnly', 'forwardIntermediates'] });
    expect(r.failed.map((f) => f.check).sort()).toEqual(['featuresOnly', 'forwardIntermediates']);
  });

  it('catches a tensor leak and a final intermediate that is not forwardFeatures', async () => {
    const leak = await runModelConformance('zoo_toy_leaky', { checks: ['forward'] });
    expect(leak.failed[0]?.message).toMatch(/leaked 2 tensor/);
    const fin = await runModelConformance('zoo_toy_bad_final', { checks: ['forwardIntermediates'] });
    expect(fin.failed[0]?.message).toMatch(/final differs from forwardFeatures/);
  });

  it('reads every tensor forwardIntermediates returns: a disposed one fails, an aliased final does not', async () => {
    const dead = await runModelConformance('zoo_toy_bad_dead', { checks: ['forwardIntermediates'] });
    expect(dead.failed[0]?.message).toMatch(/intermediatesOnly\[0\] cannot be read/);
    // zoo_toy returns its last map as `final` too: core hands the caller separately owned tensors.
    const ok = await runModelConformance('zoo_toy', { checks: ['forwardIntermediates'] });
    expect(ok.failed).toEqual([]);
    expect(ok.passed).toEqual(['forwardIntermediates']);
  });

  it('skips checks per pattern, with the reason', async () => {
    const r = await runModelConformance('zoo_toy', { checks: ['forward', 'cfg'], skipChecks: { 'zoo_*': ['cfg'] } });
    expect(r.passed).toEqual(['forward']);
    expect(r.notes).toEqual(["cfg skipped: skipChecks 'zoo_*'"]);
  });
});
