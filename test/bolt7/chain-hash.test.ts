import assert from "node:assert/strict";
import { test } from "node:test";
import { sha256 } from "@noble/hashes/sha2.js";
import { chainHash } from "../../src/bolt7/chain-hash.js";

/** Genesis header fields per network (the merkle root is the same coinbase everywhere). */
const GENESIS = {
  bitcoin: { time: 1231006505, bits: 0x1d00ffff, nonce: 2083236893 },
  testnet: { time: 1296688602, bits: 0x1d00ffff, nonce: 414098458 },
  regtest: { time: 1296688602, bits: 0x207fffff, nonce: 2 },
  signet: { time: 1598918400, bits: 0x1e0377ae, nonce: 52613770 },
} as const;
const MERKLE_ROOT_DISPLAY = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b";

test("chain_hash of each network is sha256d of its genesis header (internal byte order)", () => {
  for (const [network, g] of Object.entries(GENESIS)) {
    const header = Buffer.alloc(80);
    header.writeUInt32LE(1, 0);
    Buffer.from(MERKLE_ROOT_DISPLAY, "hex").reverse().copy(header, 36);
    header.writeUInt32LE(g.time, 68);
    header.writeUInt32LE(g.bits, 72);
    header.writeUInt32LE(g.nonce, 76);
    const hash = sha256(sha256(header));
    assert.deepEqual(
      Buffer.from(chainHash(network as keyof typeof GENESIS)).toString("hex"),
      Buffer.from(hash).toString("hex"),
      network,
    );
  }
});
