/** The expression net's seven classes, in its output order. */
export const EXPRESSION_LABELS = ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'] as const;
export type ExpressionName = (typeof EXPRESSION_LABELS)[number];
export type Expressions = Record<ExpressionName, number>;

/** The softmax output `[7]` as a record of probabilities. */
export function toExpressions(output: Float32Array): Expressions {
  if (output.length !== EXPRESSION_LABELS.length) throw new Error(`expressions: expected 7 values, got ${output.length}`);
  return Object.fromEntries(EXPRESSION_LABELS.map((name, i) => [name, output[i] as number])) as Expressions;
}

/** The most probable expression. */
export function topExpression(expressions: Expressions): ExpressionName {
  let best: ExpressionName = 'neutral';
  for (const name of EXPRESSION_LABELS) if (expressions[name] > expressions[best]) best = name;
  return best;
}
