import * as tf from '@tensorflow/tfjs-core';
import { fusedCrossEntropyActive, fusedSoftmaxCrossEntropy } from './fused-cross-entropy';

export interface CrossEntropyOptions {
  /** Number of classes (the last dimension of the predictions). */
  numClasses: number;
  /** True when predictions are logits, false when they are probabilities (a softmax output). */
  fromLogits: boolean;
  /** Label smoothing epsilon in [0, 1): the target is (1-eps)*onehot + eps/numClasses. */
  labelSmoothing?: number;
  /** Label value whose positions are left out of the loss (padding in sequence outputs). */
  ignoreIndex?: number;
}

/**
 * A loss: predictions and integer labels in, scalar mean loss out. Labels have the shape of the
 * predictions minus their last (class) dimension: [batch] for classifiers, [batch, T] for sequences.
 */
export type LossFn = (pred: tf.Tensor, labels: tf.Tensor) => tf.Scalar;

/**
 * Sparse categorical cross-entropy with optional label smoothing and an ignore index, averaged over
 * the positions whose label is not `ignoreIndex` (0 when every position is ignored).
 *
 * From logits on the webgpu backend this is the fused kernel (`fusedSoftmaxCrossEntropy`: two
 * dispatches forward and one backward, no [positions, classes] one-hot or probability tensor)
 * unless `setFusedCrossEntropyEnabled(false)`; elsewhere tfjs's logSoftmax, oneHot and reductions.
 */
export function sparseCrossEntropy(pred: tf.Tensor, labels: tf.Tensor, opts: CrossEntropyOptions): tf.Scalar {
  const { numClasses, fromLogits, labelSmoothing = 0, ignoreIndex } = opts;
  if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
    throw new Error(`labelSmoothing must be in [0, 1), got ${labelSmoothing}`);
  }
  const fusable =
    fromLogits &&
    pred.size > 0 &&
    pred.shape[pred.rank - 1] === numClasses &&
    (ignoreIndex === undefined || Number.isInteger(ignoreIndex));
  if (fusable && fusedCrossEntropyActive()) {
    return fusedSoftmaxCrossEntropy(pred, labels, { labelSmoothing, ignoreIndex });
  }
  return tf.tidy(() => {
    const logp = fromLogits ? tf.logSoftmax(pred) : tf.log(tf.clipByValue(pred, 1e-7, 1));
    let ids = labels.dtype === 'int32' ? labels : tf.cast(labels, 'int32');
    let mask: tf.Tensor | undefined;
    if (ignoreIndex !== undefined) {
      mask = tf.cast(tf.notEqual(ids, tf.scalar(ignoreIndex, 'int32')), 'float32');
      ids = tf.where(tf.cast(mask, 'bool'), ids, tf.zerosLike(ids));
    }
    let target: tf.Tensor = tf.oneHot(ids, numClasses);
    if (labelSmoothing > 0) target = tf.add(tf.mul(target, 1 - labelSmoothing), labelSmoothing / numClasses);
    const perPosition = tf.neg(tf.sum(tf.mul(target, logp), -1));
    if (!mask) return tf.mean(perPosition) as tf.Scalar;
    const total = tf.sum(tf.mul(perPosition, mask));
    return tf.div(total, tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
  });
}
