#!/usr/bin/env python3
"""Writes packages/core/test/fixtures/layers/timm-layers.json: what timm's shared building blocks compute, one case
per layer (conv with PyTorch / TF 'same' padding, mixed and dilated depthwise conv, norm + act, SE, ECA, MLP,
attention, patch embed, the classifier heads, StdConv, BlurPool, LayerNorm2d, the activations), for core's layer
tests. Every parameter and buffer is random (seeded), the layer is in eval mode, and the input is random too.

  TIMM_SRC=/path/to/timm /usr/bin/python3 tooling/parity/make_layers_fixture.py OUT.json
"""
import base64, json, os, sys
sys.path.insert(0, os.environ["TIMM_SRC"])
import torch
import timm
from timm import layers as L

torch.manual_seed(0)


def randomize(m):
    with torch.no_grad():
        for name, p in m.named_parameters():
            p.copy_(torch.randn_like(p) * 0.5)
        for name, b in m.named_buffers():
            if b.dtype != torch.float32:
                continue
            if name.endswith("running_var"):
                b.copy_(torch.rand_like(b) + 0.5)
            elif name.endswith("running_mean"):
                b.copy_(torch.randn_like(b) * 0.3)
    return m


def entry(t):
    """A float32 tensor as its shape and its little-endian float32 bytes in base64."""
    data = t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
    return {"shape": list(t.shape), "data_b64": base64.b64encode(data).decode()}


def case(cid, layer, shape, note, scale=1.0):
    layer = randomize(layer).eval()
    x = torch.randn(*shape) * scale
    with torch.no_grad():
        y = layer(x)
    sd = {k: entry(v) for k, v in layer.state_dict().items() if v.dtype == torch.float32}
    return {"id": cid, "note": note, "state_dict": sd, "input": entry(x), "output": entry(y)}


cases = [
    case("conv_same_s2", L.create_conv2d(4, 6, 3, stride=2, padding="same"), (2, 4, 9, 10), "TF 'same' padding at stride 2 on an odd map (Conv2dSame)"),
    case("conv_torch_k5_s2", L.create_conv2d(4, 6, 5, stride=2, padding=""), (2, 4, 9, 10), "PyTorch symmetric padding ((k - 1) // 2)"),
    case("conv_dw_dilated", L.create_conv2d(6, 6, 3, dilation=2, depthwise=True), (1, 6, 9, 9), "depthwise, dilation 2"),
    case("conv_mixed", L.create_conv2d(6, 6, [3, 5, 7], stride=2, depthwise=True), (1, 6, 11, 11), "MixedConv2d: channels split over kernel sizes"),
    case("std_conv", L.StdConv2d(4, 6, 3, padding=1), (1, 4, 7, 7), "weight standardization, eps 1e-6"),
    case("batchnorm_act_defaults", L.BatchNormAct2d(6), (2, 6, 5, 5), "BatchNormAct2d's defaults (eps 1e-5, ReLU)"),
    case("batchnorm_act_silu", L.BatchNormAct2d(6, act_layer="silu"), (2, 6, 5, 5), "BatchNorm (running stats) + SiLU"),
    case("groupnorm_act_gelu", L.GroupNormAct(8, num_groups=2, act_layer="gelu"), (2, 8, 4, 5), "GroupNorm, 2 groups, + exact GELU"),
    case("layernorm2d", L.LayerNorm2d(8), (2, 8, 3, 4), "LayerNorm over channels; input ~0.003 so the eps (1e-6) shows", scale=0.003),
    case("norm_layer_layernorm2d", L.get_norm_layer("layernorm2d")(8), (2, 8, 3, 4), "get_norm_layer('layernorm2d'): eps 1e-6", scale=0.003),
    case("norm_act_layer_layernorm2d", L.get_norm_act_layer("layernorm2d")(8), (2, 8, 3, 4), "get_norm_act_layer('layernorm2d'): LayerNormAct2d, eps 1e-5, ReLU", scale=0.003),
    case("norm_layer_layernorm", L.get_norm_layer("layernorm")(8), (2, 5, 8), "get_norm_layer('layernorm') on tokens: timm's LayerNorm, eps 1e-6", scale=0.003),
    case("conv_norm_act", L.ConvNormAct(4, 6, 3, stride=2), (2, 4, 9, 9), "conv → BatchNorm → ReLU, timm's defaults"),
    case("evonorm_s0", L.EvoNorm2dS0(16, groups=4), (2, 16, 4, 5), "EvoNorm S0, 4 groups"),
    case("evonorm_s0a", L.EvoNorm2dS0a(16, groups=4), (2, 16, 4, 5), "EvoNorm S0a (eps 1e-3)"),
    case("frn_tlu", L.FilterResponseNormTlu2d(8), (2, 8, 4, 5), "filter response norm + TLU"),
    case("frn_act", L.FilterResponseNormAct2d(8), (2, 8, 4, 5), "filter response norm + ReLU"),
    case("rms_norm", L.RmsNorm(8), (2, 5, 8), "RMS norm on tokens; input ~0.003 so the eps (1e-6) shows", scale=0.003),
    case("simple_norm", L.SimpleNorm(8), (2, 5, 8), "SimpleNorm on tokens; input ~0.003", scale=0.003),
    case("se_defaults", L.SEModule(32), (2, 32, 3, 3), "SEModule's defaults (rd_ratio 1/16, divisor 8)"),
    case("se", L.SEModule(16, rd_ratio=0.25), (2, 16, 4, 4), "squeeze-excite, ReLU, sigmoid gate"),
    case("global_context", L.GlobalContext(16), (2, 16, 5, 5), "GCNet block: attention pool, LayerNorm2d MLP, sigmoid scale"),
    case("eca", L.EcaModule(16), (2, 16, 4, 4), "efficient channel attention (kernel from the channel count)"),
    case("blur_pool", L.BlurPool2d(6, filt_size=3, stride=2), (1, 6, 8, 9), "anti-aliased downsampling, reflect pad"),
    case("mlp_gelu", L.Mlp(8, hidden_features=16), (2, 5, 8), "fc1 → GELU → fc2 on tokens"),
    case("glu_mlp", L.GluMlp(8, hidden_features=16), (2, 5, 8), "GLU MLP, sigmoid gate last"),
    case("swiglu", L.SwiGLU(8, hidden_features=16), (2, 5, 8), "SwiGLU (separate gate / value fc1)"),
    case("conv_mlp", L.ConvMlp(8, hidden_features=16), (2, 8, 3, 4), "1×1 conv MLP, ReLU"),
    case("layer_scale", L.LayerScale(8), (2, 5, 8), "per-channel scale on tokens"),
    case("attention_defaults", L.Attention(16), (2, 5, 16), "Attention's defaults (8 heads, no qkv bias)"),
    case("attention", L.Attention(16, num_heads=2, qkv_bias=True), (2, 5, 16), "multi-head self-attention, qkv bias"),
    case("attention_qk_norm", L.Attention(16, num_heads=2, qk_norm=True, norm_layer=torch.nn.LayerNorm), (2, 5, 16), "q / k nn.LayerNorm (eps 1e-5)"),
    case("patch_embed", L.PatchEmbed(img_size=16, patch_size=4, in_chans=3, embed_dim=8), (2, 3, 16, 16), "4×4 patches → tokens"),
    case("classifier_head_defaults", L.ClassifierHead(8, 5), (2, 8, 3, 4), "ClassifierHead's defaults"),
    case("classifier_head_avg", L.ClassifierHead(8, 5, pool_type="avg"), (2, 8, 3, 4), "avg pool → fc"),
    case("classifier_head_catavgmax", L.ClassifierHead(8, 5, pool_type="catavgmax"), (2, 8, 3, 4), "[avg, max] pool → fc over 2× channels"),
    case("norm_mlp_head", L.NormMlpClassifierHead(8, 5, hidden_size=6), (2, 8, 3, 4), "pool → LayerNorm2d → fc + tanh → fc"),
]

acts = ["relu", "relu6", "silu", "gelu", "gelu_tanh", "quick_gelu", "hard_swish", "hard_sigmoid", "mish", "sigmoid", "tanh", "elu", "leaky_relu"]
x = torch.linspace(-6, 6, 97)
with torch.no_grad():
    act_out = {a: entry(L.get_act_layer(a)()(x)) for a in acts}

out = {"timm_version": timm.__version__, "torch_version": torch.__version__, "cases": cases,
       "activations": {"input": entry(x), "outputs": act_out}}
os.makedirs(os.path.dirname(os.path.abspath(sys.argv[1])), exist_ok=True)
with open(sys.argv[1], "w") as f:
    json.dump(out, f)
print(len(cases), "cases,", len(acts), "activations")
