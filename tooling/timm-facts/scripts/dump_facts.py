#!/usr/bin/env python3
"""Writes timm's facts for some timm modules, from a timm checkout, as JSON under OUT_DIR:

  registry/<module>.json   the registry's answers: listings, deprecations, per arch its tags (default first) and cfgs
  kwargs/<module>.json     per arch, what its entrypoint hands to build_model_with_cfg: the model class, the
                           constructor kwargs, feature_cfg, kwargs_filter, model_cfg (nothing is built)
  pruned/<module>.json     timm's pruned-model definitions (_pruned/<variant>.txt) of the module's archs
  arch/<module>.json.gz    per arch, state-dict keys and shapes, parameter count, num_features, head_hidden_size,
                           num_classes and the features_only feature_info (built without weights; --arch)

Values JSON cannot hold (classes, functions, functools.partial, dataclasses, enums) are written as
{"$type": "<module>.<qualname>", "args": {...}} recursively; the TypeScript generator maps them by name.

  TIMM_SRC=/path/to/pytorch-image-models /usr/bin/python3 dump_facts.py OUT_DIR [--arch] module...
"""
import dataclasses, enum, functools, gzip, inspect, json, os, sys

sys.path.insert(0, os.environ.get("TIMM_SRC", "."))
import torch  # noqa: E402
import timm  # noqa: E402
from timm.models import _registry as registry  # noqa: E402

torch.set_num_threads(1)


def qualified(obj):
    mod = getattr(obj, "__module__", None) or type(obj).__module__
    name = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    return f"{mod}.{name}"


def encode(v):
    """A kwarg value as JSON; anything JSON cannot hold as {"$type", "args"}."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if v == v and v not in (float("inf"), float("-inf")) else {"$type": "float", "args": {"value": str(v)}}
    if isinstance(v, (list, tuple)):
        return [encode(x) for x in v]
    if isinstance(v, dict):
        return {str(k): encode(x) for k, x in v.items()}
    if isinstance(v, enum.Enum):
        return {"$type": qualified(type(v)), "args": {"value": encode(v.value)}}
    if isinstance(v, functools.partial):
        args = {k: encode(x) for k, x in v.keywords.items()}
        if v.args:
            args["*"] = encode(list(v.args))
        return {"$type": qualified(v.func), "args": args}
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {"$type": qualified(type(v)), "args": {f.name: encode(getattr(v, f.name)) for f in dataclasses.fields(v)}}
    if inspect.isfunction(v) and v.__closure__:
        # a closure (timm's per-block lambdas): its captured values are its arguments
        return {"$type": qualified(v), "args": {n: encode(c.cell_contents) for n, c in zip(v.__code__.co_freevars, v.__closure__)}}
    if inspect.isclass(v) or inspect.isfunction(v) or inspect.isbuiltin(v):
        return {"$type": qualified(v)}
    if isinstance(v, torch.nn.Module):
        call = getattr(v, "_facts_call", None)
        if call is not None:  # a backbone an entrypoint built (see BACKBONE_CALLS): the call, not the module
            return {"$type": call[0], "args": encode(call[1])}
        return {"$type": qualified(type(v)), "args": {"repr": repr(v)}}
    return {"$type": qualified(type(v)), "args": {"repr": repr(v)}}


class Captured(Exception):
    pass


# Callables an entrypoint of these modules calls to make a model part it passes on as a value (the ViT hybrids'
# backbones: a ResNetV2, its stem alone, a timm ResNet entrypoint, a conv stem). While capturing, each is replaced by
# a recorder returning a placeholder module that encodes as {"$type": <callable>, "args": <its call's kwargs>}.
BACKBONE_CALLS = {
    "vision_transformer_hybrid": ["ResNetV2", "create_resnetv2_stem", "resnet26d", "resnet50d", "ConvStem"],
}


def _recorder(fn):
    params = list(inspect.signature(fn).parameters)

    def record(*args, **kwargs):
        m = torch.nn.Module()
        m._facts_call = (qualified(fn), {**dict(zip(params, args)), **kwargs})
        return m
    return record


def capture_kwargs(arch):
    """What the arch's entrypoint passes to build_model_with_cfg, without building anything."""
    seen = {}
    ep_mod = sys.modules[registry.model_entrypoint(arch).__module__]
    recorded = [(n, getattr(ep_mod, n)) for n in BACKBONE_CALLS.get(ep_mod.__name__.split(".")[-1], [])]

    def fake_build(model_cls, variant, pretrained, pretrained_cfg=None, pretrained_cfg_overlay=None, model_cfg=None,
                   feature_cfg=None, pretrained_strict=True, pretrained_filter_fn=None, cache_dir=None,
                   kwargs_filter=None, **kwargs):
        seen.update(
            model_cls=encode(model_cls), variant=variant, kwargs=encode(kwargs), model_cfg=encode(model_cfg),
            feature_cfg=encode(feature_cfg), kwargs_filter=encode(kwargs_filter), pretrained_strict=pretrained_strict,
            pretrained_filter_fn=encode(pretrained_filter_fn),
        )
        raise Captured()

    patched = []
    for name, mod in list(sys.modules.items()):
        if name.startswith("timm.models") and getattr(mod, "build_model_with_cfg", None) is not None:
            patched.append((mod, mod.build_model_with_cfg))
            mod.build_model_with_cfg = fake_build
    for n, fn in recorded:
        setattr(ep_mod, n, _recorder(fn))
    try:
        registry.model_entrypoint(arch)(pretrained=False)
    except Captured:
        pass
    finally:
        for mod, fn in patched:
            mod.build_model_with_cfg = fn
        for n, fn in recorded:
            setattr(ep_mod, n, fn)
    return seen or None


def clean_cfg(v):
    return list(v) if isinstance(v, tuple) else v


def registry_facts(mod):
    archs = {}
    for a in timm.list_models(module=mod):
        default = registry._model_default_cfgs.get(a)
        cfgs = registry.get_arch_pretrained_cfgs(a)
        archs[a] = {
            "default_tag": default.tags[0] if default and default.tags else None,
            "is_pretrained": registry.is_model_pretrained(a),
            "tags": {k: {kk: clean_cfg(vv) for kk, vv in c.to_dict().items() if not callable(vv)} for k, c in cfgs.items()},
        }
    return {
        "timm_version": timm.__version__,
        "module": mod,
        "list_models": timm.list_models(module=mod),
        "list_models_include_tags": timm.list_models(module=mod, include_tags=True),
        "list_models_pretrained": timm.list_models(module=mod, pretrained=True),
        "deprecations": registry.get_deprecated_models(mod),
        "archs": archs,
    }


def arch_facts(mod):
    # Keys and shapes only: skip random init, so large models build fast.
    for fill in ("uniform_", "normal_", "erfinv_", "exponential_", "geometric_", "log_normal_"):
        setattr(torch.Tensor, fill, lambda self, *a, **k: self)
    out = {"timm_version": timm.__version__, "module": mod, "archs": {}, "skipped": []}
    for a in timm.list_models(module=mod):
        if any(s in f"{a}_" for s in ("giant", "gigantic", "_1b_", "_3b_", "_5b_", "_6b_", "_7b_")):
            out["skipped"].append(a)
            continue
        e = {"module": mod}
        with torch.no_grad():
            m = timm.create_model(a, pretrained=False)
            e["keys"] = [[k, list(v.shape)] for k, v in m.state_dict().items()]
            e["params"] = sum(p.numel() for p in m.parameters())
            e["num_features"] = getattr(m, "num_features", None)
            e["head_hidden_size"] = getattr(m, "head_hidden_size", None)
            e["num_classes"] = getattr(m, "num_classes", None)
            del m
            f = timm.create_model(a, pretrained=False, features_only=True)
            e["feature_info"] = {"channels": f.feature_info.channels(), "reduction": f.feature_info.reduction(),
                                 "module": f.feature_info.module_name(), "cls": type(f).__name__}
            del f
        out["archs"][a] = e
    return out


def write_json(path, obj, gz=False, per_arch=False):
    """Registry and pruned facts one value a line (as diffs read best), kwargs one arch a line, arch dumps gzipped."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if gz:
        with gzip.GzipFile(path, "wb", mtime=0) as f:
            f.write((json.dumps(obj) + "\n").encode())
        return
    if per_arch:
        head = {k: v for k, v in obj.items() if k != "archs"}
        lines = [json.dumps(head)[:-1] + ', "archs": {']
        items = list(obj["archs"].items())
        for i, (k, v) in enumerate(items):
            lines.append(f"{json.dumps(k)}: {json.dumps(v)}{',' if i < len(items) - 1 else ''}")
        lines.append("}}")
        text = "\n".join(lines) + "\n"
    else:
        text = json.dumps(obj, indent=0)
    with open(path, "w") as f:
        f.write(text)


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    out, with_arch = args[0], "--arch" in args
    for mod in [a for a in args[1:] if not a.startswith("--")]:
        archs = timm.list_models(module=mod)
        if not archs:
            sys.exit(f"timm has no module '{mod}'")
        write_json(os.path.join(out, "registry", f"{mod}.json"), registry_facts(mod))
        write_json(os.path.join(out, "kwargs", f"{mod}.json"),
                   {"timm_version": timm.__version__, "module": mod, "archs": {a: capture_kwargs(a) for a in archs}}, per_arch=True)
        pruned_dir = os.path.join(os.path.dirname(timm.models.__file__), "_pruned")
        pruned = {}
        for a in archs:
            p = os.path.join(pruned_dir, f"{a}.txt")
            if os.path.exists(p):
                with open(p) as f:
                    pruned[a] = f.read()
        if pruned:
            write_json(os.path.join(out, "pruned", f"{mod}.json"), {"timm_version": timm.__version__, "module": mod, "archs": pruned})
        if with_arch:
            write_json(os.path.join(out, "arch", f"{mod}.json.gz"), arch_facts(mod), gz=True)
        print(mod, len(archs), "archs", flush=True)


main()
