#!/usr/bin/python3
"""Writes the small ONNX models the scorer tests use to prove load-time refusals:
  test/fixtures/onnx/ten-features.onnx  input "features" [N, 10] float64 (the feature set has 11)
  test/fixtures/onnx/two-inputs.onnx    inputs "features" [N, 11] and "extra" [N, 1], float64
Run with Debian's Python: /usr/bin/python3 scripts/make-onnx-fixtures.py
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'onnx')


def linear(width, extra_input=False):
    inits = [numpy_helper.from_array(np.full((width, 1), 0.01), 'W')]
    nodes = [helper.make_node('MatMul', ['features', 'W'], ['z'])]
    inputs = [helper.make_tensor_value_info('features', TensorProto.DOUBLE, ['N', width])]
    if extra_input:
        inputs.append(helper.make_tensor_value_info('extra', TensorProto.DOUBLE, ['N', 1]))
        nodes.append(helper.make_node('Add', ['z', 'extra'], ['z2']))
        nodes.append(helper.make_node('Sigmoid', ['z2'], ['probability']))
    else:
        nodes.append(helper.make_node('Sigmoid', ['z'], ['probability']))
    graph = helper.make_graph(nodes, 'fixture', inputs, [helper.make_tensor_value_info('probability', TensorProto.DOUBLE, ['N', 1])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)], producer_name='scoreflow-fixture')
    model.ir_version = 7
    onnx.checker.check_model(model)
    return model.SerializeToString()


os.makedirs(OUT, exist_ok=True)
for name, data in [('ten-features.onnx', linear(10)), ('two-inputs.onnx', linear(11, True))]:
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(data)
    print(name, len(data))
