/**
 * The four attention mechanisms (see docs/attention.md):
 * - `sdpa`: standard scaled dot-product attention with Wq, Wk, Wv, Wo.
 * - `optimised`: no value projection (Wv folded into Wo).
 * - `efficient`: no value or key projection (Wq Wkᵀ folded into one map).
 * - `super`: efficient plus one learned token-mixing matrix Wa (S×S) applied to the values.
 */
export const ATTENTION_VARIANTS = ['sdpa', 'optimised', 'efficient', 'super'] as const;
export type AttentionVariant = (typeof ATTENTION_VARIANTS)[number];

export function assertAttentionVariant(value: unknown): asserts value is AttentionVariant {
  if (!(ATTENTION_VARIANTS as readonly unknown[]).includes(value)) {
    throw new Error(
      `Unknown attention variant ${JSON.stringify(value)}: use one of ${ATTENTION_VARIANTS.join(', ')}.`,
    );
  }
}

/** Which projections a variant owns. */
export function projectionsOf(variant: AttentionVariant): { key: boolean; value: boolean; mixing: boolean } {
  return {
    key: variant === 'sdpa' || variant === 'optimised',
    value: variant === 'sdpa',
    mixing: variant === 'super',
  };
}
