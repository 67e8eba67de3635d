import { describeModelConformance } from '@zoo/testing';
import '@zoo/hrnet';

// timm's model-test checks over every HRNet up to a parameter cap that keeps CI within minutes on a small machine:
// 22M keeps 4 of the 11 (hrnet_w18_small 13.2M, hrnet_w18_small_v2 15.6M, hrnet_w18 21.3M, hrnet_w18_ssld 21.3M);
// W30 … W64 (37.7M … 128M) repeat the same modules wider. Raise it with ZOO_CONFORMANCE_MAX_PARAMS (=Infinity for
// all); skipped names are printed.
await describeModelConformance({ module: 'hrnet' }, {
  title: 'HRNet conformance',
  maxParams: Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 22e6),
});
