import { describeModelConformance } from '@zoo/testing';
import '@zoo/mobilevit';

// timm's model-test checks over every MobileViT architecture up to a parameter cap that keeps CI within minutes on a
// small machine: 8M keeps 7 of the 10 (mobilevit_xxs / _xs / _s, mobilevitv2_050 / _075 / _100 / _125), both block
// kinds, about 30 s here; the wider v2 rows (150 / 175 / 200) differ only in width and are held to timm by the
// structural test (every arch). Raise it with ZOO_CONFORMANCE_MAX_PARAMS (=Infinity for all); skipped names
// are printed.
await describeModelConformance({ module: 'mobilevit' }, {
  title: 'MobileViT conformance',
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 8e6),
});
