#!/usr/bin/env python3
"""Convert a TensorFlow.js graph model of plain convolutions and dense layers to ONNX.

    tools/models/tfjs_to_onnx.py DIR/model.json OUT.onnx

Handles the ops the 2019 Overcooked-AI agents use (Placeholder, Const, Conv2D with SAME or
VALID padding, BiasAdd, LeakyRelu, Relu, Reshape, MatMul, Add, Softmax, Identity) and
nothing else: anything more is refused by name. The ONNX model takes the same input as the
graph model, [batch, x, y, channels] (NHWC), with a free batch, and gives the same output.
cohort uses it to build the ONNX test fixture (tests/fixtures/models/) from a shipped agent,
so the ONNX path is checked against TensorFlow.js on the very same weights.
Needs Debian's python3-onnx and python3-numpy.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

DTYPES = {"float32": np.float32, "int32": np.int32}


def load(model_json):
    with open(model_json) as f:
        m = json.load(f)
    base = os.path.dirname(model_json)
    weights = {}
    for group in m["weightsManifest"]:
        blob = b"".join(open(os.path.join(base, p), "rb").read() for p in group["paths"])
        off = 0
        for w in group["weights"]:
            if "quantization" in w:
                sys.exit(f"{w['name']}: quantized weights are not supported")
            dt = DTYPES[w["dtype"]]
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            weights[w["name"]] = np.frombuffer(blob, dt, n, off).reshape(w["shape"])
            off += n * 4
    return m["modelTopology"]["node"], weights


def attr_s(node, key):
    return bytes(node.get("attr", {}).get(key, {}).get("s", [])).decode() or None


def convert(nodes, weights):
    inits, onnx_nodes = [], []
    names = {}  # tfjs node name -> (onnx value name, layout "nhwc" | "nchw" | "flat")
    inputs, output = [], None

    def const(name, value):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def nchw(name):
        v, layout = names[name]
        if layout == "nchw":
            return v
        out = v + "_nchw"
        onnx_nodes.append(helper.make_node("Transpose", [v], [out], perm=[0, 3, 1, 2]))
        names[name] = (out, "nchw")
        return out

    for n in nodes:
        op, name, ins = n["op"], n["name"], n.get("input", [])
        if op == "Const":
            continue
        if op == "Placeholder":
            dims = [int(d["size"]) for d in n["attr"]["shape"]["shape"]["dim"]]
            inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch"] + dims[1:]))
            names[name] = (name, "nhwc")
        elif op == "Conv2D":
            if attr_s(n, "data_format") not in (None, "NHWC"):
                sys.exit(f"{name}: only NHWC convolutions are supported")
            k = weights[ins[1]]  # [kh, kw, cin, cout]
            pad = attr_s(n, "padding")
            kh, kw = k.shape[0], k.shape[1]
            pads = [kh // 2, kw // 2, kh - 1 - kh // 2, kw - 1 - kw // 2] if pad == "SAME" else [0, 0, 0, 0]
            w = const(name + "_w", k.transpose(3, 2, 0, 1).astype(np.float32))
            onnx_nodes.append(helper.make_node("Conv", [nchw(ins[0]), w], [name], pads=pads))
            names[name] = (name, "nchw")
        elif op in ("BiasAdd", "Add"):
            v, layout = names[ins[0]]
            b = weights[ins[1]].astype(np.float32)
            if layout == "nchw":
                b = b.reshape(1, -1, 1, 1)
            onnx_nodes.append(helper.make_node("Add", [v, const(name + "_b", b)], [name]))
            names[name] = (name, layout)
        elif op in ("LeakyRelu", "Relu"):
            v, layout = names[ins[0]]
            if op == "LeakyRelu":
                onnx_nodes.append(helper.make_node("LeakyRelu", [v], [name], alpha=n["attr"]["alpha"]["f"]))
            else:
                onnx_nodes.append(helper.make_node("Relu", [v], [name]))
            names[name] = (name, layout)
        elif op == "Reshape":
            v, layout = names[ins[0]]
            if layout == "nchw":  # TensorFlow flattens in NHWC order
                onnx_nodes.append(helper.make_node("Transpose", [v], [name + "_nhwc"], perm=[0, 2, 3, 1]))
                v = name + "_nhwc"
            shape = weights[ins[1]].astype(np.int64).copy()
            if shape[0] > 1:
                shape[0] = -1 if -1 not in shape[1:] else 0
            if -1 in shape[1:] and shape[0] == 0:
                shape = np.array([0, -1], np.int64)
            onnx_nodes.append(helper.make_node("Reshape", [v, const(name + "_shape", shape)], [name]))
            names[name] = (name, "flat")
        elif op == "MatMul":
            v, _ = names[ins[0]]
            w = const(name + "_w", weights[ins[1]].astype(np.float32))
            onnx_nodes.append(helper.make_node("MatMul", [v, w], [name]))
            names[name] = (name, "flat")
        elif op == "Softmax":
            v, layout = names[ins[0]]
            onnx_nodes.append(helper.make_node("Softmax", [v], [name], axis=-1))
            names[name] = (name, layout)
        elif op == "Identity":
            names[name] = names[ins[0]]
            output = name
        else:
            sys.exit(f"{name}: op {op} is not supported by this converter")
    last = output or nodes[-1]["name"]
    v, _ = names[last]
    onnx_nodes.append(helper.make_node("Identity", [v], ["probs"]))
    out = helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", None])
    graph = helper.make_graph(onnx_nodes, "tfjs_graph", inputs, [out], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="cohort tfjs_to_onnx")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    nodes, weights = load(sys.argv[1])
    onnx.save(convert(nodes, weights), sys.argv[2])


if __name__ == "__main__":
    main()
