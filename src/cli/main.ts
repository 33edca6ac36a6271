/**
 * `warden` command line. Until the LDK demo lands this prints usage and runs a self-check of
 * the foundation layer (active secp256k1 backend, a BOLT 3 signature round trip).
 */

import { randomBytes } from "node:crypto";
import { sha256 } from "../crypto/hash.js";
import { activeBackendName, ecdsaSign, ecdsaVerify, publicKey } from "../crypto/secp256k1.js";

const USAGE = `warden — a validating Lightning signer

usage:
  npm start            this text and a self-check of the crypto backend
  npm test             the test suite
  npm run bench        crypto and commitment-update floor figures (last line JSON)
  warden cln replay --hsm-secret-file F [--chain chain-txs.json] [--allowlist ADDRESS]... SESSION.jsonl
                       replay a recorded Core Lightning hsmd session; last line JSON

The channel signer, the LDK demo, the hsmd drop-in and the daemon arrive in later issues.`;

function selfCheck(): void {
  const sec = randomBytes(32);
  const msg = sha256(Buffer.from("warden self-check"));
  const sig = ecdsaSign(msg, sec, { lowR: true });
  const ok = ecdsaVerify(sig, msg, publicKey(sec));
  console.log(
    `secp256k1 backend: ${activeBackendName()}; sign/verify self-check: ${ok ? "ok" : "FAILED"}`,
  );
  if (!ok) process.exitCode = 1;
}

const argv = process.argv.slice(2);
if (argv[0] === "cln" && argv[1] === "replay") {
  const { runClnReplay } = await import("./cln-replay.js");
  try {
    const summary = await runClnReplay(argv.slice(2));
    process.exitCode = summary.different === 0 ? 0 : 1;
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  }
} else {
  console.log(USAGE);
  console.log("");
  selfCheck();
}
