// The adversarial suite's random seed: fresh each run, fixed with ADVERSARIAL_SEED to replay a failure.
export function adversarialSeed(): number {
  const fixed = process.env.ADVERSARIAL_SEED;
  if (fixed === undefined || fixed === '') return Date.now() % 2 ** 31;
  const seed = Number(fixed);
  if (!Number.isSafeInteger(seed)) throw new Error(`ADVERSARIAL_SEED must be an integer, not "${fixed}"`);
  return seed;
}
