#!/usr/bin/env python3
"""Writes packages/core/test/fixtures/window/timm-window.json: what timm's window helpers compute (relative position
index, shifted-window masks over padded maps, SwinV2's log-spaced coordinates, resize_rel_pos_bias_table on flat,
extra-token and [heads, H, W] tables, square and not), for core's window layer tests.

  TIMM_SRC=/path/to/timm /usr/bin/python3 tooling/parity/make_window_fixture.py OUT.json
"""
import json, math, os, sys
sys.path.insert(0, os.environ["TIMM_SRC"])
import torch
from timm.layers import resize_rel_pos_bias_table
from timm.models import swin_transformer as s1, swin_transformer_v2 as s2

torch.manual_seed(0)
out = {"index": [], "mask": [], "coords": [], "resize": []}
for wh, ww in [(3, 4), (7, 7)]:
    out["index"].append({"window": [wh, ww], "index": s1.get_relative_position_index(wh, ww).flatten().tolist()})

# v1 masks: the block's own get_attn_mask (ceil-padded resolution)
for res, win, shift in [((7, 7), (7, 7), (3, 3)), ((10, 12), (7, 7), (3, 3)), ((5, 6), (3, 4), (1, 2))]:
    blk = s1.SwinTransformerBlock(dim=4, input_resolution=res, num_heads=1, window_size=win, shift_size=shift, always_partition=True)
    m = blk.get_attn_mask(device=None, dtype=torch.float32)
    out["mask"].append({"resolution": list(res), "window": list(win), "shift": list(shift), "shape": list(m.shape), "mask": m.flatten().tolist()})

for win, pre in [((4, 4), (0, 0)), ((3, 5), (0, 0)), ((8, 8), (6, 6))]:
    att = s2.WindowAttention(dim=4, window_size=win, num_heads=1, pretrained_window_size=pre)
    out["coords"].append({"window": list(win), "pretrained": list(pre), "table": att.relative_coords_table.flatten().tolist()})

def case(src_shape, new_window, new_shape):
    t = torch.randn(*src_shape)
    r = resize_rel_pos_bias_table(t, new_window_size=new_window, new_bias_shape=new_shape)
    out["resize"].append({"src_shape": list(src_shape), "src": t.flatten().tolist(), "window": list(new_window), "new_shape": list(new_shape), "out_shape": list(r.shape), "out": r.flatten().tolist()})

case((169, 3), (5, 5), (81, 3))          # Swin: 7 -> 5
case((49, 2), (6, 6), (121, 2))          # 4 -> 6 (upsampling)
case((169, 2), (5, 7), (9 * 13, 2))      # square table to a non-square window
case((49 + 3, 2), (6, 6), (121 + 3, 2))  # BEiT: three extra (class token) rows kept at the end
case((2, 13, 13), (5, 5), (2, 9, 9))     # MaxViT's [heads, H, W] form
json.dump(out, open(sys.argv[1], "w"))
