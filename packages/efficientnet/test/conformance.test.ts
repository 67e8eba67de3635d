import { describeModelConformance } from '@zoo/testing';
import '@zoo/efficientnet';

// timm's model-test checks over the efficientnet and mobilenetv3 architectures up to a parameter cap that keeps CI
// within minutes on a small machine. Raise it with ZOO_CONFORMANCE_MAX_PARAMS (e.g. =Infinity for all); skipped
// names are printed.
const maxParams = Number(process.env.ZOO_CONFORMANCE_MAX_PARAMS ?? 6e6);
await describeModelConformance({ module: 'efficientnet' }, { title: 'EfficientNet conformance', maxParams });
await describeModelConformance({ module: 'mobilenetv3' }, { title: 'MobileNetV3 conformance', maxParams });
