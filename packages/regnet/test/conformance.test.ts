import { describeModelConformance } from '@zoo/testing';
import '@zoo/regnet';

// timm's model-test checks over every RegNet up to a parameter cap that keeps CI within minutes on a small machine:
// the default 21M keeps 18 of the 36 (X, Y, Z, the torchvision-rounded _tv widths, the pre-activation V and the
// GroupNorm sgn), about a minute here. Raise it with ZOO_CONFORMANCE_MAX_PARAMS (=Infinity for all); skipped names
// are printed.
await describeModelConformance({ module: 'regnet' }, {
  title: 'RegNet conformance',
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 21e6),
});
