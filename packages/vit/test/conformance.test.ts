import { describeModelConformance } from '@zoo/testing';
import '@zoo/vit';

// timm's model-test checks over every ViT architecture up to a parameter cap that keeps CI within minutes on a
// small machine. Raise it with ZOO_CONFORMANCE_MAX_PARAMS (e.g. =Infinity for all); skipped names are printed.
await describeModelConformance({ module: ['vision_transformer', 'deit'] }, {
  title: 'ViT conformance',
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 6e6),
  // DeiT's distilled head always pools its two tokens, as timm's does: no unpooled output to check.
  earlyPool: ['deit_*distilled*'],
});
