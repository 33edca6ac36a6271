/**
 * `warden` command line (npm start). Default: the LDK demo (see demo.ts). Options: --help,
 * --self-check (the crypto backend check), --state-dir, --static-remotekey, --payments,
 * --verbose.
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { sha256 } from "../crypto/hash.js";
import { activeBackendName, ecdsaSign, ecdsaVerify, publicKey } from "../crypto/secp256k1.js";
import { runDemo } from "./demo.js";

const USAGE = `warden — a validating Lightning signer

usage: npm start [-- options]

With no option, runs the demo: two LDK nodes (lightningdevkit 0.1, in process, on a fake
chain), Alice signed by Warden over the embedded SQLite store, Bob by LDK's KeysManager. Alice
opens a channel, pays Bob (each payment put to an approver), receives keysends, tips and is
tipped below the dust limit, a compromised Alice node tries to steal (refused, with rule ids),
and the channel closes cooperatively to an allowlisted address. The last line of output is one
JSON object.

options:
  --state-dir <dir>     where the SQLite store lives (default: a fresh temporary directory)
  --static-remotekey    open a static_remotekey channel (default: anchors_zero_fee_htlc_tx)
  --payments <n>        invoices Alice pays (default 6; Bob sends a keysend every second one)
  --verbose             print LDK's own log lines too
  --self-check          only check the secp256k1 backend (sign/verify round trip)
  --help                this text

other commands:
  npm test             the test suite
  npm run bench        figures (last line JSON)
  warden cln replay --hsm-secret-file F [--chain chain-txs.json] [--allowlist ADDRESS]... SESSION.jsonl
                       replay a recorded Core Lightning hsmd session; last line JSON
                       (npm start -- cln replay ... or node dist/src/cli/main.js cln replay ...)`;

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

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      help: { type: "boolean", short: "h" },
      "self-check": { type: "boolean" },
      "state-dir": { type: "string" },
      "static-remotekey": { type: "boolean" },
      payments: { type: "string" },
      verbose: { type: "boolean" },
    },
  });
  if (values.help === true) {
    console.log(USAGE);
    return;
  }
  if (values["self-check"] === true) {
    selfCheck();
    return;
  }
  const payments = values.payments === undefined ? 6 : Number(values.payments);
  if (!Number.isInteger(payments) || payments < 1 || payments > 40) {
    throw new Error("--payments must be an integer from 1 to 40");
  }
  const result = await runDemo(
    {
      ...(values["state-dir"] === undefined ? {} : { stateDir: values["state-dir"] }),
      anchors: values["static-remotekey"] !== true,
      payments,
      verbose: values.verbose === true,
    },
    (line) => console.log(line),
  );
  console.log(JSON.stringify(result));
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
  main().catch((e: unknown) => {
    console.error(`warden: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  });
}
