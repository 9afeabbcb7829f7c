#!/usr/bin/python3
"""Trains the committed purchase-propensity models and writes their artifacts and predictions.

Run with Debian's Python and libraries (not a virtualenv):

    apt-get install -y python3-xgboost python3-sklearn python3-onnx
    /usr/bin/python3 scripts/train-models.py            # writes models/

Everything is seeded, single-threaded and timestamped with a fixed date, so a re-run rewrites the
same bytes (the registry addresses artifacts by sha256).

Outputs (paths relative to the repository root):
  models/purchase-propensity/1.0.0-logreg.json        logreg-json artifact (sklearn LogisticRegression)
  models/purchase-propensity/2.0.0-xgboost.json       XGBoost's own Booster.save_model JSON
  models/purchase-propensity/3.0.0.onnx (+ .meta.json) ONNX graph of a sklearn MLPClassifier (+ sidecar)
  models/purchase-propensity/<version>.metadata.json  training metrics and provenance per version
  models/rules/fallback-1.0.0.json                    rules policy; rule scores are training purchase rates
  models/predictions/sample-inputs.json               ~200 held-out rows (features in FEATURE_NAMES order, labels)
  models/predictions/<version>-<format>.json          the producing library's predictions for those rows

There is no Debian package of skl2onnx or onnxmltools, so the ONNX graph is assembled with onnx's helper
API from the fitted sklearn estimator (imputation happens before the graph, as the sidecar declares;
standardisation, both dense layers and the logistic output are in the graph, in float64). Debian's
onnx (1.12) has no reference evaluator, so the committed ONNX predictions are sklearn's predict_proba
of the estimator the graph was built from.
"""
import hashlib
import json
import math
import os
import sys

import numpy as np
import onnx
import xgboost as xgb
from onnx import TensorProto, helper, numpy_helper
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.neural_network import MLPClassifier

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
MODELS = os.path.join(ROOT, 'models')
MODEL_ID = 'purchase-propensity'
RULES_ID = 'rules-fallback'
FEATURE_SET_VERSION = '1.0.0'
# contracts/feature-set.ts FEATURE_NAMES, in order.
FEATURES = [
    'recency_days', 'frequency', 'monetary', 'orders', 'session_depth', 'page_views',
    'product_views', 'cart_adds', 'cart_removes', 'checkouts', 'cart_abandons',
]
TRAINED_AT = '2026-11-01T00:00:00Z'
OWNER = 'scoreflow-maintainers'
SEED = 20261101
N_ROWS = 8000
N_SAMPLE = 200


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def synthesize(rng, n):
    """Visitors over a 30-day lookback. A latent propensity u drives visit counts, depth, funnel
    progress and the 7-day purchase label; recency and session depth are sometimes missing (NaN)."""
    u = rng.normal(size=n)
    frequency = 1 + rng.poisson(np.exp(0.2 + 0.45 * u))
    hits_per_visit = 1 + rng.poisson(np.exp(1.0 + 0.25 * u))
    page_views = rng.binomial(frequency * hits_per_visit, 0.85)
    session_depth = np.round(hits_per_visit + rng.normal(0, 0.3, n).clip(-0.9, 0.9), 3)
    recency_days = np.round(np.minimum(30.0, rng.exponential(8.0 * np.exp(-0.6 * u))), 3)
    product_views = rng.poisson(0.45 * page_views * sigmoid(u + 0.3))
    cart_adds = rng.binomial(product_views, 0.18 * sigmoid(u + 0.5))
    cart_removes = rng.binomial(cart_adds, 0.2)
    checkouts = rng.binomial(cart_adds, 0.45 * sigmoid(u))
    orders = rng.binomial(checkouts, 0.6)
    monetary = np.round(np.array([rng.gamma(2.0, 45.0, k).sum() if k else 0.0 for k in orders]), 2)
    cart_abandons = rng.binomial(np.minimum(frequency, cart_adds), 0.55)
    eta = (-2.4 + 0.9 * u + 0.5 * (cart_adds > 0) + 0.35 * np.minimum(checkouts, 3)
           - 0.03 * recency_days + 0.25 * (orders > 0))
    label = (rng.random(n) < sigmoid(eta)).astype(np.int64)
    x = np.column_stack([recency_days, frequency, monetary, orders, session_depth, page_views,
                         product_views, cart_adds, cart_removes, checkouts, cart_abandons]).astype(np.float64)
    x[rng.random(n) < 0.04, FEATURES.index('recency_days')] = np.nan
    x[rng.random(n) < 0.03, FEATURES.index('session_depth')] = np.nan
    return x, label


def impute(x, medians):
    out = x.copy()
    for j, m in enumerate(medians):
        out[np.isnan(out[:, j]), j] = m
    return out


def calibration(y, p, bins=10):
    """Calibration slope and intercept (logistic regression of y on logit(p), unpenalised, Newton)
    and the expected calibration error over `bins` equal-width bins. Mirrors activities/scoring/metrics.ts."""
    p = np.clip(p, 1e-15, 1 - 1e-15)
    z = np.log(p / (1 - p))
    a = np.column_stack([np.ones_like(z), z])
    w = np.zeros(2)
    for _ in range(100):
        q = sigmoid(a @ w)
        g = a.T @ (y - q)
        h = (a * (q * (1 - q))[:, None]).T @ a
        step = np.linalg.solve(h, g)
        w += step
        if np.max(np.abs(step)) < 1e-12:
            break
    idx = np.minimum((p * bins).astype(int), bins - 1)
    ece = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            ece += m.sum() / len(p) * abs(y[m].mean() - p[m].mean())
    return {'slope': float(w[1]), 'intercept': float(w[0]), 'ece': float(ece)}


def metrics(y, p):
    return {
        'auc': float(roc_auc_score(y, p)),
        'log_loss': float(log_loss(y, np.clip(p, 1e-15, 1 - 1e-15))),
        'calibration': calibration(y.astype(np.float64), p),
        'n': int(len(y)),
    }


def write_json(path, obj, compact=False):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    text = json.dumps(obj, separators=(',', ':')) if compact else json.dumps(obj, indent=2)
    with open(path, 'w') as f:
        f.write(text + '\n')
    return path


def sha256_file(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def write_metadata(version, fmt, artifact, model_metrics, extra):
    meta = {
        'model_id': MODEL_ID, 'version': version, 'format': fmt, 'feature_set_version': FEATURE_SET_VERSION,
        'artifact': os.path.relpath(artifact, ROOT), 'sha256': sha256_file(artifact),
        'trained_at': TRAINED_AT, 'owner': OWNER, 'metrics': model_metrics, 'training': extra,
    }
    return write_json(os.path.join(MODELS, MODEL_ID, f'{version}.metadata.json'), meta)


def rows_out(x):
    return [[None if math.isnan(v) else (int(v) if float(v).is_integer() and j not in (0, 2, 4) else float(v))
             for j, v in enumerate(r)] for r in x]


def train_logreg(x_tr, y_tr, x_te, y_te, medians):
    xi = impute(x_tr, medians)
    mean = xi.mean(axis=0)
    std = xi.std(axis=0)
    std[std == 0] = 1.0
    clf = LogisticRegression(C=1.0, max_iter=2000, tol=1e-10)
    clf.fit((xi - mean) / std, y_tr)

    def predict(x):
        return clf.predict_proba((impute(x, medians) - mean) / std)[:, 1]

    artifact = {
        'format': 'logreg-json', 'model_id': MODEL_ID, 'version': '1.0.0', 'feature_set_version': FEATURE_SET_VERSION,
        'features': FEATURES, 'coefficients': [float(c) for c in clf.coef_[0]], 'intercept': float(clf.intercept_[0]),
        'imputation': {f: float(m) for f, m in zip(FEATURES, medians)},
        'standardization': {'mean': [float(v) for v in mean], 'std': [float(v) for v in std]},
    }
    path = write_json(os.path.join(MODELS, MODEL_ID, '1.0.0-logreg.json'), artifact)
    return path, predict, {'library': 'scikit-learn', 'estimator': 'LogisticRegression(C=1.0, lbfgs)'}


def train_xgboost(x_tr, y_tr, prevalence):
    params = {
        'objective': 'binary:logistic', 'max_depth': 3, 'eta': 0.3, 'base_score': prevalence,
        'tree_method': 'exact', 'nthread': 1, 'seed': SEED, 'eval_metric': 'logloss',
    }
    dtrain = xgb.DMatrix(x_tr, label=y_tr, missing=np.nan, feature_names=FEATURES)
    bst = xgb.train(params, dtrain, num_boost_round=20)
    bst.set_attr(model_id=MODEL_ID, version='2.0.0', feature_set_version=FEATURE_SET_VERSION)
    path = os.path.join(MODELS, MODEL_ID, '2.0.0-xgboost.json')
    bst.save_model(path)

    def predict(x):
        return bst.predict(xgb.DMatrix(x, missing=np.nan, feature_names=FEATURES)).astype(np.float64)

    def contribs(x):
        return bst.predict(xgb.DMatrix(x, missing=np.nan, feature_names=FEATURES), pred_contribs=True, approx_contribs=True)

    extra = {'library': f'xgboost {xgb.__version__}', 'params': params, 'num_boost_round': 20}
    return path, predict, contribs, extra


def train_onnx(x_tr, y_tr, medians):
    xi = impute(x_tr, medians)
    mean = xi.mean(axis=0)
    std = xi.std(axis=0)
    std[std == 0] = 1.0
    mlp = MLPClassifier(hidden_layer_sizes=(8,), activation='relu', alpha=1e-3, max_iter=400, random_state=SEED)
    mlp.fit((xi - mean) / std, y_tr)

    def predict(x):
        return mlp.predict_proba((impute(x, medians) - mean) / std)[:, 1]

    w1, w2 = mlp.coefs_
    b1, b2 = mlp.intercepts_
    inits = [
        numpy_helper.from_array(mean.astype(np.float64), 'mean'),
        numpy_helper.from_array(std.astype(np.float64), 'std'),
        numpy_helper.from_array(w1.astype(np.float64), 'W1'),
        numpy_helper.from_array(b1.astype(np.float64), 'B1'),
        numpy_helper.from_array(w2.astype(np.float64), 'W2'),
        numpy_helper.from_array(b2.astype(np.float64), 'B2'),
    ]
    nodes = [
        helper.make_node('Sub', ['features', 'mean'], ['centered']),
        helper.make_node('Div', ['centered', 'std'], ['scaled']),
        helper.make_node('MatMul', ['scaled', 'W1'], ['h1']),
        helper.make_node('Add', ['h1', 'B1'], ['h1b']),
        helper.make_node('Relu', ['h1b'], ['a1']),
        helper.make_node('MatMul', ['a1', 'W2'], ['logit']),
        helper.make_node('Add', ['logit', 'B2'], ['logitb']),
        helper.make_node('Sigmoid', ['logitb'], ['probability']),
    ]
    graph = helper.make_graph(
        nodes, 'purchase_propensity_mlp',
        [helper.make_tensor_value_info('features', TensorProto.DOUBLE, ['N', len(FEATURES)])],
        [helper.make_tensor_value_info('probability', TensorProto.DOUBLE, ['N', 1])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)], producer_name='scoreflow-train-models',
                              producer_version='1')
    model.ir_version = 7
    helper.set_model_props(model, {'model_id': MODEL_ID, 'version': '3.0.0', 'feature_set_version': FEATURE_SET_VERSION})
    onnx.checker.check_model(model)
    onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    path = os.path.join(MODELS, MODEL_ID, '3.0.0.onnx')
    with open(path, 'wb') as f:
        f.write(model.SerializeToString())
    sidecar = {
        'format': 'onnx', 'model_id': MODEL_ID, 'version': '3.0.0', 'feature_set_version': FEATURE_SET_VERSION,
        'features': FEATURES, 'input_name': 'features', 'input_type': 'float64', 'output_name': 'probability',
        'imputation': {f: float(m) for f, m in zip(FEATURES, medians)},
    }
    write_json(os.path.join(MODELS, MODEL_ID, '3.0.0.onnx.meta.json'), sidecar)
    extra = {'library': 'scikit-learn MLPClassifier(hidden_layer_sizes=(8,), relu) -> onnx graph (opset 13, float64)',
             'converter': 'hand-built with onnx.helper (no skl2onnx package in Debian)'}
    return path, predict, extra


# Rules: ordered, first match wins. Each rule's score is the smoothed purchase rate of the training rows
# it is the first match for; the default covers the rest. (feature, op, value) conditions all must hold.
RULES = [
    ('recent_checkout', [('checkouts', '>=', 1), ('recency_days', '<=', 3)], 'high_intent'),
    ('cart_and_recent', [('cart_adds', '>=', 1), ('recency_days', '<=', 7)], 'warm'),
    ('repeat_buyer', [('orders', '>=', 1)], 'warm'),
    ('engaged_browser', [('product_views', '>=', 5), ('frequency', '>=', 3)], 'warm'),
]


def rule_matches(row, conds):
    for feat, op, val in conds:
        v = row[FEATURES.index(feat)]
        if math.isnan(v):
            return False
        if not {'>=': v >= val, '>': v > val, '<=': v <= val, '<': v < val, '==': v == val}[op]:
            return False
    return True


def write_rules(x_tr, y_tr):
    counts = {r[0]: [0, 0] for r in RULES}
    counts['default'] = [0, 0]
    for row, y in zip(x_tr, y_tr):
        rid = next((r[0] for r in RULES if rule_matches(row, r[1])), 'default')
        counts[rid][0] += 1
        counts[rid][1] += int(y)
    prior = float(y_tr.mean())

    def rate(rid):
        n, k = counts[rid]
        return round((k + 10 * prior) / (n + 10), 4)  # smoothed toward the base rate

    policy = {
        'format': 'rules', 'model_id': RULES_ID, 'version': '1.0.0', 'feature_set_version': FEATURE_SET_VERSION,
        'description': 'Deterministic fallback when no model can score: ordered rules, first match wins.',
        'rules': [
            {'id': rid, 'when': [{'feature': f, 'op': op, 'value': v} for f, op, v in conds], 'score': rate(rid), 'segment': seg}
            for rid, conds, seg in RULES
        ],
        'default': {'id': 'default', 'score': rate('default'), 'segment': 'cold'},
    }
    return write_json(os.path.join(MODELS, 'rules', 'fallback-1.0.0.json'), policy), counts


def main():
    rng = np.random.default_rng(SEED)
    x, y = synthesize(rng, N_ROWS)
    n_tr = int(N_ROWS * 0.75)
    x_tr, y_tr, x_te, y_te = x[:n_tr], y[:n_tr], x[n_tr:], y[n_tr:]
    medians = np.nanmedian(x_tr, axis=0)
    prevalence = float(round(y_tr.mean(), 4))
    sample = x_te[:N_SAMPLE]
    sample_y = y_te[:N_SAMPLE]
    pred_dir = os.path.join(MODELS, 'predictions')
    write_json(os.path.join(pred_dir, 'sample-inputs.json'),
               {'feature_set_version': FEATURE_SET_VERSION, 'features': FEATURES, 'rows': rows_out(sample),
                'labels': [int(v) for v in sample_y]}, compact=True)
    data = {'rows_train': n_tr, 'rows_test': N_ROWS - n_tr, 'seed': SEED, 'prevalence_train': prevalence}

    def record(version, fmt, path, predict, extra, more=None):
        p_te = predict(x_te)
        write_metadata(version, fmt, path, metrics(y_te, p_te), {**data, **extra})
        p = predict(sample)
        out = {'model_id': MODEL_ID, 'version': version, 'format': fmt, 'sha256': sha256_file(path),
               'source': extra['library'], 'probabilities': [float(v) for v in p],
               'sample_metrics': metrics(sample_y, p)}
        out.update(more or {})
        write_json(os.path.join(pred_dir, f'{version}-{fmt}.json'), out, compact=True)
        return p_te

    path, predict, extra = train_logreg(x_tr, y_tr, x_te, y_te, medians)
    record('1.0.0', 'logreg-json', path, predict, extra)

    path, predict, contribs, extra = train_xgboost(x_tr, y_tr, prevalence)
    c = contribs(sample)
    record('2.0.0', 'xgboost-json', path, predict, extra,
           {'approx_contributions': [[float(v) for v in row[:-1]] for row in c], 'approx_bias': [float(row[-1]) for row in c]})

    path, predict, extra = train_onnx(x_tr, y_tr, medians)
    record('3.0.0', 'onnx', path, predict, extra)

    rules_path, counts = write_rules(x_tr, y_tr)
    print(json.dumps({'rules_counts': counts}, indent=None), file=sys.stderr)
    for root, _, files in os.walk(MODELS):
        for name in sorted(files):
            p = os.path.join(root, name)
            print(f'{sha256_file(p)}  {os.path.getsize(p):>7}  {os.path.relpath(p, ROOT)}')


if __name__ == '__main__':
    main()
