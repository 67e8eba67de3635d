#!/usr/bin/env python3
"""Writes packages/swin/test/fixtures-api/set-input-size.json: timm's Swin / Swin-V2 logits after
`set_input_size` (new image size, window size from the grid / window_ratio or given), with the parity fixtures'
hashed weights (seed 1, shared/tools/make_fixtures.py's generator) and a hashed input (seed 7).

  TIMM_SRC=/path/to/timm SHARED_TOOLS=/path/to/shared/tools /usr/bin/python3 tooling/parity/make_swin_set_input_size.py OUT.json
"""
import base64, json, os, sys
sys.path.insert(0, os.environ["TIMM_SRC"])
sys.path.insert(0, os.environ.get("SHARED_TOOLS", "../shared/tools"))  # make_fixtures.py
import numpy as np, torch, timm
import make_fixtures as mf

cases = [
    {"id": "swin_tiny_192x160", "model": "swin_tiny_patch4_window7_224", "set_input_size": {"img_size": [192, 160]}},
    {"id": "swinv2_tiny_192_w6", "model": "swinv2_tiny_window8_256", "set_input_size": {"img_size": [192, 192], "window_size": [6, 6]}},
]
out = []
for c in cases:
    m = timm.create_model(c["model"]).eval()
    sd, _ = mf.make_state_dict(m, 1)
    m.load_state_dict(sd, strict=False)
    m.set_input_size(**{k: tuple(v) for k, v in c["set_input_size"].items()})
    h, w = c["set_input_size"]["img_size"]
    x = torch.from_numpy(mf.gen_tensor(7, 0, [1, 3, h, w], -1.5, 1.5))
    with torch.no_grad():
        y = m(x)
    windows = [[list(b.window_size), list(b.shift_size)] for st in m.layers for b in st.blocks]
    out.append({**c, "input_shape": [1, 3, h, w], "logits": base64.b64encode(y.numpy().astype("<f4").tobytes()).decode(),
                "max_abs": float(y.abs().max()), "windows": windows})
json.dump(out, open(sys.argv[1], "w"), indent=1)
