import { describe, expect, it } from 'vitest';
import { calibrationLine, classificationMetrics, evaluate, expectedCalibrationError, logLoss, rocAuc } from '../../activities/scoring/metrics.ts';
import { loadScorer } from '../../activities/scoring/load-scorer.ts';
import { ARTIFACTS, committedPredictions, readBytes, readJson, sampleInputs } from '../helpers/committed-models.ts';

describe('classificationMetrics', () => {
  it('matches hand-computed AUC, log loss and ECE on a tiny example', () => {
    const p = [0.1, 0.4, 0.35, 0.8];
    const y = [0, 0, 1, 1];
    // Pairs (pos, neg): (0.35, 0.1) ✓, (0.35, 0.4) ✗, (0.8, 0.1) ✓, (0.8, 0.4) ✓ → 3/4.
    expect(rocAuc(p, y)).toBe(0.75);
    // −(ln 0.9 + ln 0.6 + ln 0.35 + ln 0.8) / 4
    expect(logLoss(p, y)).toBeCloseTo(-(Math.log(0.9) + Math.log(0.6) + Math.log(0.35) + Math.log(0.8)) / 4, 15);
    // Bins: [0.1]→|0−0.1|, [0.35]→|1−0.35|, [0.4]→|0−0.4|, [0.8]→|1−0.8|, each weight 1/4.
    expect(expectedCalibrationError(p, y)).toBeCloseTo((0.1 + 0.65 + 0.4 + 0.2) / 4, 15);
  });

  it('counts tied scores as half a pair', () => {
    expect(rocAuc([0.5, 0.5, 0.5, 0.9], [0, 1, 0, 1])).toBe(0.75);
  });

  it('finds slope 1 and intercept 0 for labels drawn exactly at their probabilities', () => {
    // Grouped data whose observed rates equal p: the maximum-likelihood line is the identity.
    const p: number[] = [];
    const y: number[] = [];
    for (const [prob, n, k] of [[0.2, 10, 2], [0.5, 10, 5], [0.8, 10, 8]] as const) {
      for (let i = 0; i < n; i++) {
        p.push(prob);
        y.push(i < k ? 1 : 0);
      }
    }
    const c = calibrationLine(p, y);
    expect(c.slope).toBeCloseTo(1, 9);
    expect(c.intercept).toBeCloseTo(0, 9);
  });

  it("agrees with scikit-learn's roc_auc_score and log_loss, and the trainer's calibration, on the committed sample", () => {
    const { labels } = sampleInputs();
    for (const file of ['1.0.0-logreg-json', '2.0.0-xgboost-json', '3.0.0-onnx'] as const) {
      const e = committedPredictions(file);
      const m = classificationMetrics(e.probabilities, labels);
      expect(m.n).toBe(200);
      expect(m.auc).toBeCloseTo(e.sample_metrics.auc, 12);
      expect(m.logLoss).toBeCloseTo(e.sample_metrics.log_loss, 12);
      expect(m.calibration.slope).toBeCloseTo(e.sample_metrics.calibration.slope, 8);
      expect(m.calibration.intercept).toBeCloseTo(e.sample_metrics.calibration.intercept, 8);
      expect(m.calibration.ece).toBeCloseTo(e.sample_metrics.calibration.ece, 12);
    }
  });

  it('evaluate() scores labelled rows with a scorer', async () => {
    const { vectors, labels } = sampleInputs();
    const scorer = await loadScorer(readBytes(ARTIFACTS.onnx), 'onnx', readJson(ARTIFACTS.onnxSidecar));
    const m = await evaluate(scorer, vectors.map((features, i) => ({ features, label: labels[i]! })));
    expect(m.auc).toBeCloseTo(committedPredictions('3.0.0-onnx').sample_metrics.auc, 12);
  });

  it('refuses degenerate input', () => {
    expect(() => rocAuc([0.2, 0.3], [1, 1])).toThrow(/both positive and negative/);
    expect(() => logLoss([0.2], [1, 0])).toThrow(/1 probabilities for 2 labels/);
    expect(() => logLoss([1.2], [1])).toThrow(/\[0, 1\]/);
  });
});
