/** The age and gender net's outputs as face-api reports them. */

export type Gender = 'male' | 'female';

export interface AgeGender {
  /** Estimated age in years (a regression, not rounded). */
  age: number;
  gender: Gender;
  /** The probability of `gender` (≥ 0.5). */
  genderProbability: number;
}

/** face-api's `predictAgeAndGender`: `gender` is the softmax [male, female]; male when its probability is above 0.5. */
export function toAgeGender(age: Float32Array, gender: Float32Array): AgeGender {
  if (age.length !== 1 || gender.length !== 2) throw new Error(`age/gender: expected 1 and 2 values, got ${age.length} and ${gender.length}`);
  const male = gender[0] as number;
  return male > 0.5 ? { age: age[0] as number, gender: 'male', genderProbability: male } : { age: age[0] as number, gender: 'female', genderProbability: 1 - male };
}
