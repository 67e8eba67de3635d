import {
  ConvNormAct, createModel, type EmbedLayerFactory, type FeatureModel, HybridEmbed, type ModelFactory, type Module,
  type Pair, resampleAbsPosEmbed, resamplePatchEmbed, Sequential, type StateDict, toPair, type VisionModel,
} from '@zoo/core';

/** timm's ResNet-V2 conv layer as the resnetv2 family takes it (`StdConv2dSame` with eps 1e-8 for every hybrid). */
export interface HybridConvLayer {
  type: 'stdconv_same' | 'stdconv' | 'conv2d';
  eps?: number;
}

/**
 * The backbone of a hybrid, as the call timm's entrypoint makes: a ResNet-V2 (`ResNetV2(layers, preact=False, …)`),
 * its stem alone (`create_resnetv2_stem`), a timm ResNet feature extractor (`resnet26d` / `resnet50d` with
 * `features_only`) or MobileCLIP's conv stem (`ConvStem`). ResNet-V2 and ResNet come from the registry
 * (`@zoo/resnetv2`, `@zoo/resnet`).
 */
export type HybridBackbone =
  | { model: 'resnetv2'; layers: number[]; numClasses?: number; globalPool?: string; inChans?: number; preact?: boolean; stemType?: string; convLayer?: HybridConvLayer }
  | { model: 'resnetv2_stem'; inChs?: number; stemType?: string; preact?: boolean; convLayer?: HybridConvLayer }
  | { model: 'resnet26d' | 'resnet50d'; inChans?: number; featuresOnly?: boolean; outIndices?: number[] }
  | { model: 'conv_stem'; channels: number[]; stride: number[]; kernelSize: number[]; padding?: number; inChans?: number; actLayer?: string };

/** timm's `partial(HybridEmbed, backbone=…, **embed_args)`: the backbone, and `proj: false` to use its map as tokens. */
export interface HybridEmbedArgs {
  backbone: HybridBackbone;
  proj?: boolean;
}

/**
 * A hybrid's arguments: the backbone (`embedLayer`), and everything else as timm's VisionTransformer takes it (camelCase:
 * patchSize, embedDim, depth, numHeads, mlpRatio, noEmbedClass, imgSize, numClasses, …), handed to `@zoo/vit`.
 */
export interface VitHybridArgs {
  embedLayer: HybridEmbedArgs;
  imgSize?: number | Pair;
  patchSize?: number;
  inChans?: number;
  numClasses?: number;
  embedDim?: number;
  depth?: number;
  numHeads?: number;
  mlpRatio?: number;
  noEmbedClass?: boolean;
  [vitArg: string]: unknown;
}

/** The registered ViT the hybrids are built as (every argument that differs is given explicitly). */
const VIT_ARCH = 'vit_base_patch16_224';
/** The registered ResNet-V2 the backbones are built as (timm's ResNetV2 defaults: GroupNorm, ReLU, width 1). */
const RESNETV2_ARCH = 'resnetv2_50x1_bit';

/**
 * timm's `ConvStem` (MobileCLIP's patch stem): ConvNormAct (BatchNorm + act) per level, the last a plain conv with
 * bias. Keys: `<i>.conv`, `<i>.bn`.
 */
export class ConvStem extends Sequential {
  readonly reduction: number;
  readonly outChs: number;
  constructor(o: { channels: number[]; stride: number[]; kernelSize: number[]; padding?: number; inChans?: number; actLayer?: string }) {
    super();
    const { channels, stride, kernelSize } = o;
    if (channels.length !== stride.length || channels.length !== kernelSize.length) {
      throw new Error(`ConvStem: channels, stride and kernelSize need one entry per level, got ${channels.length}, ${stride.length}, ${kernelSize.length}`);
    }
    let inChs = o.inChans ?? 3;
    channels.forEach((c, i) => {
      const last = i === channels.length - 1;
      this.append(new ConvNormAct(inChs, c, kernelSize[i], {
        stride: stride[i], padding: o.padding ?? '', bias: last, applyNorm: !last, applyAct: !last, actLayer: o.actLayer ?? 'relu',
      }));
      inChs = c;
    });
    this.outChs = inChs;
    this.reduction = stride.reduce((a, b) => a * b, 1);
  }
}

interface Backbone {
  module: Module<unknown>;
  /** Output channels and total reduction (known without a forward pass). */
  dim: number;
  reduction: number;
}

async function createBackbone(spec: HybridBackbone, inChans: number): Promise<Backbone> {
  if (spec.model === 'conv_stem') {
    const stem = new ConvStem({ ...spec, inChans });
    return { module: stem, dim: stem.outChs, reduction: stem.reduction };
  }
  if (spec.model === 'resnet26d' || spec.model === 'resnet50d') {
    const { model, ...args } = spec;
    const f = (await createModel(model, { ...args, inChans, featuresOnly: true })) as FeatureModel;
    return { module: f, dim: f.featureInfo.channels().at(-1)!, reduction: f.featureInfo.reduction().at(-1)! };
  }
  const { model, ...args } = spec;
  const stemOnly = model === 'resnetv2_stem';
  const { inChs: _inChs, ...rest } = args as typeof args & { inChs?: number };
  const net = (await createModel(RESNETV2_ARCH, {
    ...rest, ...(stemOnly ? { layers: [] } : {}), inChans, numClasses: 0, globalPool: '',
  })) as VisionModel;
  if (!stemOnly) {
    const last = net.featureInfo.at(-1)!;
    return { module: net, dim: last.numChs, reduction: last.reduction };
  }
  // timm's create_resnetv2_stem: the stem Sequential alone (conv, norm, pool: stride 4), so keys are backbone.conv, …
  const stem = net.getChild('stem')!;
  return { module: stem, dim: net.numFeatures, reduction: 4 };
}

/**
 * timm's `_create_vision_transformer_hybrid`: the backbone (through the registry), then `@zoo/vit`'s VisionTransformer
 * (through the registry) with a HybridEmbed over it as `embedLayer`. State-dict keys are timm's: patch_embed.backbone.*,
 * patch_embed.proj, cls_token, pos_embed, blocks.*, norm, head.
 */
export const VitHybrid: ModelFactory = {
  name: 'VitHybrid',
  async construct(kwargs: Record<string, unknown>): Promise<VisionModel> {
    const { embedLayer, ...vitArgs } = kwargs as VitHybridArgs;
    if (!embedLayer || typeof embedLayer !== 'object' || !('backbone' in embedLayer)) {
      throw new TypeError(`VitHybrid: embedLayer must be { backbone, proj? }, got ${JSON.stringify(embedLayer)}`);
    }
    const inChans = vitArgs.inChans ?? 3;
    const bb = await createBackbone(embedLayer.backbone, inChans);
    const factory: EmbedLayerFactory = (o) => {
      const img = toPair(o.imgSize);
      // The map size is img / reduction when that divides; otherwise HybridEmbed measures it with one forward pass, as timm.
      const divides = img[0] % bb.reduction === 0 && img[1] % bb.reduction === 0;
      return new HybridEmbed(bb.module, {
        ...o, proj: embedLayer.proj, featureDim: bb.dim, featureRatio: bb.reduction,
        featureSize: divides ? [img[0] / bb.reduction, img[1] / bb.reduction] : null,
      });
    };
    try {
      return (await createModel(VIT_ARCH, { patchSize: 1, ...vitArgs, embedLayer: factory })) as VisionModel;
    } catch (e) {
      bb.module.dispose();
      throw e;
    }
  },
};

interface HybridVit {
  posEmbed: { shape: readonly number[] } | null;
  noEmbedClass: boolean;
  numPrefixTokens: number;
  gridSize: Pair;
  patchEmbed: { proj: Module & { weight?: { shape: readonly number[] } } };
}

/** MobileCLIP's image-encoder names → timm's, in timm's order (`_convert_mobileclip`). */
const MOBILECLIP_RENAMES: [string, string][] = [
  ['patch_emb.', 'patch_embed.backbone.'], ['block.conv', 'conv'], ['block.norm', 'bn'], ['post_transformer_norm.', 'norm.'],
  ['pre_norm_mha.0', 'norm1'], ['pre_norm_mha.1', 'attn'], ['pre_norm_ffn.0', 'norm2'], ['pre_norm_ffn.1', 'mlp.fc1'],
  ['pre_norm_ffn.4', 'mlp.fc2'], ['qkv_proj.', 'qkv.'], ['out_proj.', 'proj.'], ['transformer.', 'blocks.'],
];

/**
 * timm's `_convert_mobileclip`: Apple's MobileCLIP checkpoint (`image_encoder.model.*`) in timm's names; the
 * `pos_embed.pos_embed.pos_embed` of shape `[1, 1, N, C]` squeezed, the `classifier.proj` matrix `[C, D]` transposed
 * into `head.weight` with a zero `head.bias`. Other keys (text encoder) are dropped.
 */
export function convertMobileclip(sd: StateDict, prefix = 'image_encoder.model.'): StateDict {
  const out: StateDict = {};
  for (const [key, v] of Object.entries(sd)) {
    if (!key.startsWith(prefix)) continue;
    let k = key.slice(prefix.length);
    for (const [a, b] of MOBILECLIP_RENAMES) k = k.replaceAll(a, b);
    if (k === 'pos_embed.pos_embed.pos_embed') {
      out.pos_embed = v.shape[0] === 1 ? { ...v, shape: v.shape.slice(1) } : v;
    } else if (k.includes('classifier.proj')) {
      const [rows, cols] = v.shape as [number, number];
      const src = v.data as Float32Array;
      const t = new Float32Array(rows * cols);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = src[r * cols + c]!;
      out[k.replace('classifier.proj', 'head.weight')] = { dtype: 'float32', shape: [cols, rows], data: t };
      out[k.replace('classifier.proj', 'head.bias')] = { dtype: 'float32', shape: [cols], data: new Float32Array(cols) };
    } else {
      out[k] = v;
    }
  }
  return out;
}

/**
 * timm's hybrid `checkpoint_filter_fn`: a MobileCLIP checkpoint converted, then ViT's: a position embedding of
 * another grid resampled (bicubic, antialiased), a projection of another patch size resampled (pseudo-inverse),
 * `pre_logits` dropped.
 */
export function checkpointFilterFn(sd: StateDict, model: VisionModel): StateDict {
  if ('image_encoder.model.patch_emb.0.block.conv.weight' in sd) sd = convertMobileclip(sd);
  const vit = model as unknown as HybridVit;
  const out: StateDict = {};
  const projShape = vit.patchEmbed.proj.weight?.shape;
  for (const [k, v] of Object.entries(sd)) {
    if (k.includes('pre_logits')) continue;
    const posResize = k === 'pos_embed' && vit.posEmbed && v.shape[1] !== vit.posEmbed.shape[1];
    const projResize = k === 'patch_embed.proj.weight' && projShape && (v.shape[2] !== projShape[2] || v.shape[3] !== projShape[3]);
    out[k] = posResize ? resampleAbsPosEmbed(v, vit.gridSize, null, vit.noEmbedClass ? 0 : vit.numPrefixTokens, 'bicubic', true)
      : projResize ? resamplePatchEmbed(v, [projShape[2]!, projShape[3]!], 'bicubic', true)
      : v;
  }
  return out;
}
