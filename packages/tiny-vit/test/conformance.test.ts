import { describeModelConformance } from '@zoo/testing';
import '@zoo/tiny-vit';

// timm's model-test checks over every TinyViT architecture up to a parameter cap that keeps CI within minutes on a
// small machine: tiny_vit_5m_224 and tiny_vit_11m_224 (12.1M and 20.4M with their default tags' 21841-class heads) by
// default; the 21M models (21.2M–33.2M: 224, 384 and 512) run with ZOO_CONFORMANCE_MAX_PARAMS raised (e.g. =Infinity
// for all); skipped names are printed. Measured: 85 s on the shared 2-core machine under load.
await describeModelConformance({ module: 'tiny_vit' }, {
  title: 'TinyViT conformance',
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 21e6),
});
