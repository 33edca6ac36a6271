/**
 * trimmedSubset: which of the HTLCs LDK did not show (trimmed) a commitment carries, found by
 * the amounts that make its balance agree with its output. Whatever it returns must fit; it
 * must find the set when the guess is off by a few HTLCs or by whole batches; and it must
 * return nothing when nothing fits.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { trimmedSubset } from "../../../src/adapters/ldk/channel-record.js";

const amounts = (n: number) =>
  fc.array(fc.bigInt({ min: 1_000n, max: 1_000_000n }), { minLength: n, maxLength: n });

/** The sum of the kept items, and the window of its sat value. */
function windowOf(items: { amountMsat: bigint }[], keep: boolean[]): [bigint, bigint] {
  const sum = items.reduce((s, h, i) => (keep[i] ? s + h.amountMsat : s), 0n);
  const lo = (sum / 1000n) * 1000n;
  return [lo, lo + 999n];
}

const sumOf = (xs: { amountMsat: bigint }[]): bigint => xs.reduce((s, h) => s + h.amountMsat, 0n);

test("what trimmedSubset returns always fits the window (fast-check, few and many items)", () => {
  fc.assert(
    fc.property(
      fc
        .integer({ min: 0, max: 40 })
        .chain((n) =>
          fc.tuple(
            amounts(n),
            fc.array(fc.boolean(), { minLength: n, maxLength: n }),
            fc.array(fc.boolean(), { minLength: n, maxLength: n }),
          ),
        ),
      ([xs, truth, guess]) => {
        const items = xs.map((amountMsat) => ({ amountMsat }));
        const [lo, hi] = windowOf(items, truth);
        const found = trimmedSubset(items, guess, lo, hi);
        if (found !== undefined) {
          const s = sumOf(found);
          assert.ok(s >= lo && s <= hi);
        }
        // Exhaustive below 13 items: a fitting set exists (the truth), so one is found.
        if (items.length <= 12) assert.ok(found !== undefined);
      },
    ),
    { numRuns: 300 },
  );
});

test("many items: found when the guess is off by up to three, or by a whole batch", () => {
  fc.assert(
    fc.property(
      amounts(40),
      fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
      fc.uniqueArray(fc.integer({ min: 0, max: 39 }), { maxLength: 3 }),
      fc.constantFrom("flips", "all-kept", "all-dropped"),
      (xs, guess, flips, kind) => {
        const items = xs.map((amountMsat) => ({ amountMsat }));
        const truth =
          kind === "flips"
            ? guess.map((g, i) => (flips.includes(i) ? !g : g))
            : guess.map(() => kind === "all-kept");
        const [lo, hi] = windowOf(items, truth);
        const found = trimmedSubset(items, guess, lo, hi);
        assert.ok(found !== undefined);
        const s = sumOf(found);
        assert.ok(s >= lo && s <= hi);
      },
    ),
    { numRuns: 200 },
  );
});

test("nothing fits: undefined", () => {
  const items = [1_000n, 2_000n, 4_000n].map((amountMsat) => ({ amountMsat }));
  assert.equal(trimmedSubset(items, [true, true, true], 8_000n, 8_999n), undefined);
  const many = Array.from({ length: 30 }, () => ({ amountMsat: 2_000n }));
  // Every sum is a multiple of 2 000 msat: none lies in [3 000, 3 999]; two items fit
  // [4 000, 4 999].
  assert.equal(
    trimmedSubset(
      many,
      many.map(() => true),
      3_000n,
      3_999n,
    ),
    undefined,
  );
  assert.equal(
    sumOf(
      trimmedSubset(
        many,
        many.map(() => true),
        4_000n,
        4_999n,
      ) ?? [],
    ),
    4_000n,
  );
});
