/**
 * One negative test per rule of the catalogue section "On-chain transactions", named by its id:
 * each starts from the valid funding request, changes one thing, expects exactly that rule,
 * and checks the store is unchanged; demotable rules are then signed under a demoting filter
 * with the warning counted.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { p2wpkh, p2wsh } from "../../src/bitcoin/outputs.js";
import { fundingScript } from "../../src/bolt3/scripts.js";
import { PolicyError } from "../../src/policy/errors.js";
import { RULE_IDS, RULES, type RuleId } from "../../src/policy/rule-ids.js";
import type { PolicyConfigOverrides } from "../../src/policy/config.js";
import { expectRefusal, snapshot } from "../signer/harness.js";
import {
  buildPsbt,
  fundingRequest,
  type FundingOptions,
  fundingSpec,
  foreignKey,
  type PsbtSpec,
  verifySignedPsbt,
  walletEnv,
  type WalletEnv,
} from "./fixtures.js";

/** How one rule is broken: environment config, and the request. */
interface Case {
  id: RuleId;
  what: string;
  config?: PolicyConfigOverrides;
  /** Builds the breaking request on `env` (may sign earlier requests first). */
  request(env: WalletEnv): Promise<Uint8Array>;
}

function spec(f: (s: PsbtSpec) => void): PsbtSpec {
  const s = fundingSpec();
  f(s);
  return s;
}

async function funding(env: WalletEnv, o: FundingOptions = {}): Promise<Uint8Array> {
  return (await fundingRequest(env, o)).psbt;
}

const CASES: Case[] = [
  {
    id: "policy-onchain-output-scriptpubkey",
    what: "the funding output pays a 2-of-2 with another peer key",
    request: (env) =>
      funding(env, {
        spec: spec((s) => {
          const ours = env.node.keys.channelKeys("chan-1").basepoints.fundingPubkey;
          s.outputs[0] = {
            kind: "funding",
            amount: 10_000_000n,
            script: p2wsh(fundingScript(ours, foreignKey("other-peer"))),
          };
        }),
      }),
  },
  {
    id: "policy-onchain-output-match-commitment",
    what: "the funding output is 1 sat short of the channel value",
    request: (env) =>
      funding(env, {
        spec: spec((s) => {
          s.outputs[0]!.amount = 9_999_999n;
          s.outputs[1]!.amount = 999_001n;
        }),
      }),
  },
  {
    id: "policy-onchain-initial-commitment-countersigned",
    what: "funding before the peer signed our commitment 0",
    request: (env) => funding(env, { countersign: false }),
  },
  {
    id: "policy-onchain-no-unknown-outputs",
    what: "the change goes to an attacker's key",
    request: (env) =>
      funding(env, {
        spec: spec((s) => {
          s.outputs[1] = {
            kind: "script",
            script: p2wpkh(foreignKey("attacker")),
            amount: 999_000n,
          };
        }),
      }),
  },
  {
    id: "policy-onchain-no-channel-push",
    what: "the channel pushes 1000 msat to the peer",
    request: (env) => funding(env, { setup: { pushMsat: 1000n } }),
  },
  {
    id: "policy-onchain-no-fund-inbound",
    what: "the channel was opened by the peer",
    request: (env) => funding(env, { setup: { isOutbound: false } }),
  },
  {
    id: "policy-onchain-fee-range",
    what: "the fee is 1.5M sat (cap 1M)",
    request: (env) =>
      funding(env, {
        spec: spec((s) => {
          s.inputs[0]!.amount = 9_499_000n;
        }),
      }),
  },
  {
    id: "policy-onchain-format-standard",
    what: "transaction version 3",
    request: (env) => funding(env, { spec: spec((s) => (s.version = 3)) }),
  },
  {
    id: "policy-onchain-funding-non-malleable",
    what: "a foreign P2PKH input joins the funding",
    request: (env) =>
      funding(env, {
        spec: spec((s) => {
          s.inputs.push({ kind: "foreign-p2pkh", amount: 100_000n });
          s.outputs[1]!.amount += 100_000n;
        }),
      }),
  },
  {
    id: "policy-onchain-input-amount-consistent",
    what: "a P2WPKH outpoint claimed at 8M sat earlier is now claimed at 8.1M sat",
    request: async (env) => {
      const earlier: PsbtSpec = {
        version: 2,
        psbtVersion: 0,
        inputs: [{ kind: "p2wpkh", path: [5], amount: 8_000_000n }],
        outputs: [{ kind: "change", walletKind: "p2wpkh", path: [9], amount: 7_999_000n }],
      };
      await env.wallet.signPsbt(buildPsbt(env, earlier, () => new Uint8Array()));
      return funding(env, {
        spec: spec((s) => {
          s.inputs[0]!.amount = 8_100_000n;
          s.outputs[1]!.amount = 1_099_000n;
        }),
      });
    },
  },
  {
    id: "policy-velocity-funding",
    what: "funding 0.1 BTC under a 0.05 BTC/day limit",
    config: { velocityFundingLimitSat: 5_000_000n },
    request: (env) => funding(env),
  },
  {
    id: "policy-velocity-l1-fees",
    what: "a 1000 sat fee under a 500 sat/day limit",
    config: { velocityL1FeesLimitSat: 500n },
    request: (env) => funding(env),
  },
];

test("every On-chain transactions rule has a negative test here", () => {
  const covered = new Set(CASES.map((c) => c.id));
  const missing = RULE_IDS.filter(
    (id) => RULES[id].section === "On-chain transactions" && !covered.has(id),
  );
  assert.deepEqual(missing, []);
});

test("the unchanged funding request is signed (baseline of every case)", async () => {
  const env = await walletEnv();
  const signed = await env.wallet.signPsbt(await funding(env));
  assert.deepEqual(signed.signedInputs, [0, 1]);
  assert.deepEqual(verifySignedPsbt(signed.psbt), { ecdsa: 1, schnorr: 1 });
});

for (const c of CASES) {
  test(`${c.id}: refuses ${c.what}`, async () => {
    const env = await walletEnv({ config: c.config ?? {} });
    const psbt = await c.request(env);
    const before = await snapshot(env.node);
    await expectRefusal(env.wallet.signPsbt(psbt), c.id);
    // Exactly this rule: every violation listed names it.
    await env.wallet.signPsbt(psbt).catch((e: unknown) => {
      assert.ok(e instanceof PolicyError);
      assert.deepEqual([...new Set(e.violations.map((v) => v.ruleId))], [c.id]);
    });
    assert.equal(await snapshot(env.node), before, "a refusal must not change the store");
  });

  if (RULES[c.id].demotable) {
    test(`${c.id}: signed with a warning when demoted`, async () => {
      const env = await walletEnv({ config: c.config ?? {}, demote: [c.id] });
      const signed = await env.wallet.signPsbt(await c.request(env));
      assert.deepEqual(
        signed.warnings.map((w) => w.ruleId),
        signed.warnings.map(() => c.id),
      );
      assert.ok(signed.warnings.length >= 1);
      assert.equal(env.node.policy.warnings()[c.id], signed.warnings.length);
      verifySignedPsbt(signed.psbt);
    });
  } else {
    test(`${c.id}: cannot be demoted`, () => {
      assert.equal(RULES[c.id].demotable, false);
    });
  }
}
