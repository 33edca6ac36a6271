import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { addressToScript, scriptToAddress } from "../../src/bitcoin/address.js";
import { p2pkh, p2wpkh } from "../../src/bitcoin/outputs.js";
import { sha256 } from "../../src/crypto/hash.js";
import { publicKey } from "../../src/crypto/secp256k1.js";
import { ExtendedPrivateKey, HARDENED, TESTNET_VERSIONS } from "../../src/keys/bip32.js";
import { StoreConflictError } from "../../src/store/store.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { hexToBytes } from "../../src/util/bytes.js";
import { Allowlist, AllowlistAdmin, allowlistKey } from "../../src/state/allowlist.js";
import { ExtendedPublicKey, bip86Script } from "../../src/keys/xpub.js";

const MASTER = ExtendedPrivateKey.fromSeed(sha256(Buffer.from("allowlist tests")));
const ACCOUNT = MASTER.derivePath("m/84'/0'/0'");
const XPUB = ACCOUNT.toXpub();
const KEY = allowlistKey(publicKey(sha256(Buffer.from("node"))));

test("xpub: public child derivation equals the private derivation's public key", () => {
  const xpub = ExtendedPublicKey.parse(XPUB, "bitcoin");
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: HARDENED - 1 }), { minLength: 1, maxLength: 3 }),
      (path) => {
        const pub = xpub.derivePath(path);
        const priv = ACCOUNT.derivePath(path);
        assert.deepEqual(pub.publicKey, priv.publicKey);
        assert.deepEqual(pub.chainCode, priv.chainCode);
        assert.equal(pub.toBase58("bitcoin"), priv.toXpub());
      },
    ),
    { numRuns: 50 },
  );
});

test("xpub: BIP 32 test vector 1, m/0H/1/2H → public child 2 = m/0H/1/2H/2", () => {
  const parent = ExtendedPublicKey.parse(
    "xpub6D4BDPcP2GT577Vvch3R8wDkScZWzQzMMUm3PWbmWvVJrZwQY4VUNgqFJPMM3No2dFDFGTsxxpG5uJh7n7epu4trkrX7x7DogT5Uv6fcLW5",
    "bitcoin",
  );
  assert.equal(
    parent.deriveChild(2).toBase58("bitcoin"),
    "xpub6FHa3pjLCk84BayeJxFW2SP4XRrFd1JYnxeLeU8EqN3vDfZmbqBqaGJAyiLjTAwm6ZLRQUMv1ZACTj37sR62cfN7fe5JnJ7dh8zL4fiyLHV",
  );
});

test("xpub: wrong network, bad checksum, hardened public derivation are refused", () => {
  assert.throws(() => ExtendedPublicKey.parse(XPUB, "testnet"), { code: "wallet/xpub" });
  assert.throws(() => ExtendedPublicKey.parse(ACCOUNT.toXpub(TESTNET_VERSIONS), "bitcoin"), {
    code: "wallet/xpub",
  });
  assert.throws(() => ExtendedPublicKey.parse(`${XPUB.slice(0, -1)}x`, "bitcoin"), {
    code: "wallet/xpub",
  });
  assert.throws(() => ExtendedPublicKey.parse(ACCOUNT.toXprv(), "bitcoin"), {
    code: "wallet/xpub",
  });
  assert.throws(() => ExtendedPublicKey.parse(XPUB, "bitcoin").deriveChild(HARDENED), {
    code: "keys/bip32-index",
  });
});

test("allowlist: admin changes are persisted, versioned, and seen by a reader after refresh", async () => {
  const store = new MemoryStore();
  const reader = await Allowlist.open(store, KEY, { network: "bitcoin", gapLimit: 10 });
  const admin = AllowlistAdmin.open(store, KEY, "bitcoin");
  assert.equal(reader.version, 0);
  const dest = p2wpkh(publicKey(sha256(Buffer.from("dest"))));
  const payee = publicKey(sha256(Buffer.from("payee")));
  await admin.addAddress(scriptToAddress(dest, "bitcoin"));
  await admin.addXpub(XPUB, [0]);
  await admin.addPayee(payee);
  await admin.addPayee(payee); // idempotent
  assert.equal(reader.matchScript(dest), undefined, "not seen before refresh");
  await reader.refresh();
  assert.ok(reader.version > 0);
  assert.equal(reader.entries().length, 3);
  assert.deepEqual(reader.matchScript(dest), { kind: "script" });
  assert.ok(reader.hasPayee(payee));
  assert.ok(!reader.hasPayee(dest.subarray(0, 33)));

  // A second reader opened later reads the same record.
  const later = await Allowlist.open(store, KEY, { network: "bitcoin" });
  assert.equal(later.version, reader.version);
  assert.equal(later.entries().length, 3);

  await admin.remove((e) => e.kind === "payee");
  await reader.refresh();
  assert.ok(!reader.hasPayee(payee));
});

test("allowlist: xpub children by claimed path (re-derived), by gap-limited scan, per output type", async () => {
  const store = new MemoryStore();
  const admin = AllowlistAdmin.open(store, KEY, "bitcoin");
  await admin.addXpub(XPUB, [0]);
  const reader = await Allowlist.open(store, KEY, { network: "bitcoin", gapLimit: 10 });
  const child = (i: number): Uint8Array => ACCOUNT.derivePath([0, i]).publicKey;
  for (const [script, kind] of [
    [p2wpkh(child(9)), "p2wpkh"],
    [p2pkh(child(4)), "p2pkh"],
    [bip86Script(child(0)), "p2tr"],
  ] as const) {
    const m = reader.matchScript(script);
    assert.equal(m?.kind, "xpub");
    assert.equal(m?.kind === "xpub" ? m.outputKind : undefined, kind);
  }
  // Beyond the gap limit: only with a claimed path, which is re-derived.
  const far = p2wpkh(child(10));
  assert.equal(reader.matchScript(far), undefined);
  const full = [84 + HARDENED, HARDENED, HARDENED, 0, 10];
  assert.deepEqual(reader.matchScript(far, [full]), {
    kind: "xpub",
    xpub: XPUB,
    path: [0, 10],
    outputKind: "p2wpkh",
  });
  // A claimed path that does not re-derive to the script matches nothing.
  assert.equal(reader.matchScript(far, [[84 + HARDENED, HARDENED, HARDENED, 0, 11]]), undefined);
  // Hardened steps below the xpub cannot be derived publicly: ignored.
  assert.equal(
    reader.matchScript(far, [[84 + HARDENED, HARDENED, HARDENED, HARDENED, 10]]),
    undefined,
  );
  // A P2WSH or unknown script never matches an xpub.
  assert.equal(reader.matchScript(hexToBytes("0020" + "11".repeat(32))), undefined);
});

test("allowlist admin: bad entries are refused; a racing admin gets a conflict, nothing lost", async () => {
  const store = new MemoryStore();
  const a = AllowlistAdmin.open(store, KEY, "bitcoin");
  const b = AllowlistAdmin.open(store, KEY, "bitcoin");
  await assert.rejects(a.addPayee(new Uint8Array(33)), { code: "state/allowlist" });
  await assert.rejects(a.addScript(hexToBytes("6a00")), { code: "format/address-nonstandard" });
  await assert.rejects(a.addAddress("tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"), {
    code: "format/address-network",
  });
  await assert.rejects(a.addXpub(XPUB, [HARDENED]), { code: "state/allowlist" });
  const s1 = addressToScript("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "bitcoin");
  const s2 = p2wpkh(publicKey(sha256(Buffer.from("other"))));
  const results = await Promise.allSettled([a.addScript(s1), b.addScript(s2)]);
  const rejected = results.filter((r) => r.status === "rejected");
  for (const r of rejected)
    assert.ok((r as PromiseRejectedResult).reason instanceof StoreConflictError);
  const entries = await a.entries();
  assert.equal(entries.length, 2 - rejected.length);
  if (rejected.length > 0) {
    await b.addScript(s2);
    assert.equal((await a.entries()).length, 2);
  }
});
