/**
 * The Splicing rules as a pure function (src/policy/rules/splice.ts): whatever the amounts, an
 * accepted splice records a balance for us between the floor (we pay the whole fee when we add
 * anything) and the ceiling (our inputs minus our outputs), that the new channel can hold; and
 * the floor is exactly "before + relative" when only one side adds inputs/outputs.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { Checker } from "../../src/policy/policy.js";
import { checkSplice, type SpliceFacts } from "../../src/policy/rules/splice.js";

const sat = fc.bigInt({ min: 0n, max: 100_000_000n });

const facts = fc.record({
  holderBalanceMsat: fc.bigInt({ min: 0n, max: 100_000_000_000n }),
  htlcMsat: fc.bigInt({ min: 0n, max: 10_000_000_000n }),
  newChannelValueSat: sat,
  ourInputsSat: sat,
  ourOutputsSat: sat,
  weContribute: fc.boolean(),
  foreignOutputsSat: sat,
  feeSat: fc.bigInt({ min: -1_000n, max: 1_000_000n }),
  claimedHolderBalanceMsat: fc.option(fc.bigInt({ min: -1_000n, max: 200_000_000_000n }), {
    nil: undefined,
  }),
}) satisfies fc.Arbitrary<SpliceFacts>;

test("an accepted splice leaves us between floor and ceiling, within the new channel value", () => {
  fc.assert(
    fc.property(facts, (f) => {
      const c = new Checker();
      const after = checkSplice(f, c);
      if (c.violations.length > 0) return;
      const net = (f.ourInputsSat - f.ourOutputsSat) * 1000n;
      const fee = f.weContribute ? f.feeSat * 1000n : 0n;
      assert.ok(f.feeSat >= 0n);
      assert.ok(after >= 0n);
      assert.ok(after >= f.holderBalanceMsat + net - fee);
      assert.ok(after <= f.holderBalanceMsat + net);
      assert.ok(after + f.htlcMsat <= f.newChannelValueSat * 1000n);
    }),
    { numRuns: 2000 },
  );
});

test("every refusal names one of the two Splicing rules", () => {
  fc.assert(
    fc.property(facts, (f) => {
      const c = new Checker();
      checkSplice(f, c);
      for (const v of c.violations) {
        assert.ok(
          v.ruleId === "policy-splice-value-conserved" ||
            v.ruleId === "policy-splice-out-destination",
        );
      }
    }),
    { numRuns: 500 },
  );
});

test("the floor is our balance moved by the splice when only we add inputs/outputs", () => {
  // Splice-in: 100 000 in, 49 500 change, 500 fee → +50 000 sat, exactly the channel's growth.
  const c = new Checker();
  const after = checkSplice(
    {
      holderBalanceMsat: 700_000_000n,
      htlcMsat: 0n,
      newChannelValueSat: 1_050_000n,
      ourInputsSat: 100_000n,
      ourOutputsSat: 49_500n,
      weContribute: true,
      foreignOutputsSat: 0n,
      feeSat: 500n,
      claimedHolderBalanceMsat: undefined,
    },
    c,
  );
  assert.deepEqual(c.violations, []);
  assert.equal(after, 750_000_000n);
  // The peer splices out 100 000 to its own address: our balance is unchanged.
  const c2 = new Checker();
  const after2 = checkSplice(
    {
      holderBalanceMsat: 700_000_000n,
      htlcMsat: 0n,
      newChannelValueSat: 899_600n,
      ourInputsSat: 0n,
      ourOutputsSat: 0n,
      weContribute: false,
      foreignOutputsSat: 100_000n,
      feeSat: 400n,
      claimedHolderBalanceMsat: undefined,
    },
    c2,
  );
  assert.deepEqual(c2.violations, []);
  assert.equal(after2, 700_000_000n);
});
