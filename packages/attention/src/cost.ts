import type { LayersModel } from '@tensorflow/tfjs-layers';
import { MultiHeadAttention } from './multi-head-attention';
import { type AttentionVariant, projectionsOf } from './variants';

export interface AttentionShape {
  variant: AttentionVariant;
  /** Model width d (query width; the context width is equal for all but sdpa cross-attention). */
  width: number;
  /** Query length L. */
  queryLength: number;
  /** Key/value length S (defaults to L). */
  keyLength?: number;
  /** Super: the fixed maximum key length (Wa is maxLength²). Defaults to S. */
  maxLength?: number;
  /** Context width for cross-attention (defaults to width). */
  contextWidth?: number;
  useBias?: boolean;
  mixingBias?: boolean;
}

export interface AttentionCost {
  parameters: number;
  /** Multiply-adds for one example, by stage. */
  multiplyAdds: {
    projections: number;
    mixing: number;
    scores: number;
    weightedSum: number;
    total: number;
  };
}

/**
 * Parameters and multiply-adds of one attention layer (docs/attention.md, "Cost per layer"):
 * 4d², 3d², 2d², 2d² + Lmax² weights, plus d per dense bias.
 */
export function attentionCost(shape: AttentionShape): AttentionCost {
  const d = shape.width;
  const dc = shape.contextWidth ?? d;
  const L = shape.queryLength;
  const S = shape.keyLength ?? L;
  const p = projectionsOf(shape.variant);
  const bias = (shape.useBias ?? true) ? d : 0;
  const Lmax = shape.maxLength ?? S;
  let parameters = 2 * (d * d + bias); // Wq and Wo, every variant
  if (p.key) parameters += dc * d + bias;
  if (p.value) parameters += dc * d + bias;
  if (p.mixing) parameters += Lmax * Lmax + (shape.mixingBias ? Lmax : 0);

  const projections = 2 * L * d * d + (p.key ? S * dc * d : 0) + (p.value ? S * dc * d : 0);
  const mixing = p.mixing ? S * S * d : 0;
  const scores = L * S * d;
  const weightedSum = L * S * d;
  return {
    parameters,
    multiplyAdds: {
      projections,
      mixing,
      scores,
      weightedSum,
      total: projections + mixing + scores + weightedSum,
    },
  };
}

export interface ModelCost {
  totalParameters: number;
  attentionParameters: number;
  /**
   * Multiply-adds of one example's forward pass: attention layers (projections, mixing, scores,
   * weighted sums) plus dense layers (tokens × inputs × units). Element-wise work (norms,
   * activations, softmax) and embedding lookups are not counted.
   */
  multiplyAdds: { attention: number; dense: number; total: number };
  /** Per attention layer: its name, variant and cost for the model's own input length. */
  attentionLayers: { name: string; variant: AttentionVariant; cost: AttentionCost }[];
}

/** Parameter counts of a model, with the attention layers' share and per-layer cost. */
export function modelCost(model: LayersModel): ModelCost {
  const attentionLayers: ModelCost['attentionLayers'] = [];
  let attentionParameters = 0;
  let attentionMacs = 0;
  let denseMacs = 0;
  for (const layer of model.layers) {
    if (layer instanceof MultiHeadAttention) {
      const cost = attentionCost(layer.costShape());
      attentionParameters += layer.countParams();
      attentionMacs += cost.multiplyAdds.total;
      attentionLayers.push({ name: layer.name, variant: layer.variant, cost });
    } else if (layer.getClassName() === 'Dense') {
      const inShape = (layer.getInputAt(nodeIndexIn(model, layer)) as { shape: (number | null)[] }).shape;
      const kernel = (layer.getWeights()[0]?.shape ?? [0, 0]) as number[];
      // Every leading dimension except the batch is a token that the dense layer processes.
      const tokens = inShape.slice(1, -1).reduce<number>((n, dim) => n * (dim ?? 1), 1);
      denseMacs += tokens * kernel[0] * kernel[1];
    }
  }
  return {
    totalParameters: model.countParams(),
    attentionParameters,
    multiplyAdds: { attention: attentionMacs, dense: denseMacs, total: attentionMacs + denseMacs },
    attentionLayers,
  };
}

/**
 * Which of a layer's calls belongs to this model: a layer shared with other models (an
 * incremental decoder's step model, say) has one inbound node per call. tfjs keys a model's
 * nodes as `<layer name>_ib-<index>`.
 */
function nodeIndexIn(model: LayersModel, layer: LayersModel['layers'][number]): number {
  const nodes = (model as unknown as { containerNodes?: Set<string> }).containerNodes;
  const count = (layer as unknown as { inboundNodes: unknown[] }).inboundNodes.length;
  for (let i = 0; i < count; i++) if (nodes?.has(`${layer.name}_ib-${i}`)) return i;
  return 0;
}
