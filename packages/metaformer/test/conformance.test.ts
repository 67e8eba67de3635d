import { describeModelConformance } from '@zoo/testing';
import '@zoo/metaformer';

// timm's model-test checks over every MetaFormer architecture within a 30M-parameter cap (which keeps the suite to
// about a minute on a small machine): poolformer_s12/s24, poolformerv2_s12/s24, convformer_s18, caformer_s18 (every
// token mixer, norm and head kind). Raise it with ZOO_CONFORMANCE_MAX_PARAMS (e.g. =Infinity for all); skipped
// names are printed.
await describeModelConformance({ module: 'metaformer' }, {
  title: 'MetaFormer conformance',
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 30e6),
});
