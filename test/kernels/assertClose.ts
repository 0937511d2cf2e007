import assert from 'node:assert/strict';

/** Asserts every value is within 1e-4 of the expected one, relative to the largest expected magnitude (at least 1). */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, what);
  const scale = Math.max(1, ...Array.from(expected, Math.abs));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  }
  assert.ok(worst <= 1e-4 * scale, `${what}: max difference ${worst} (scale ${scale})`);
}

/** Asserts no value differs from the expected one by more than `tolerance` (absolute). */
export function assertWithin(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst < tolerance, `${what} differ by ${worst}`);
}
