/**
 * policy-message-prefix: the node key signs free-form messages (CLN signmessage, LND
 * signmessage) only as sha256d("Lightning Signed Message:" || message), and only when the
 * message does not look like something else the key could be tricked into endorsing: a Bitcoin
 * transaction (parseTx succeeds), a PSBT (binary magic "psbt\xff" or its base64 form
 * "cHNidP8"), or a signed gossip message (type 256/257/258 that decodes with the bolt7 codec).
 * A message of even-length hex text is also checked after hex decoding, since that is how
 * transactions and gossip travel through RPC.
 */
import { parseTx } from "../../bitcoin/tx.js";
import { isGossipMessage } from "../../bolt7/gossip.js";
import { FormatError } from "../../errors.js";
import type { Checker } from "../policy.js";

/** The prefix CLN and LND hash in front of a signed message. */
export const SIGNED_MESSAGE_PREFIX = "Lightning Signed Message:";

const PSBT_MAGIC = Uint8Array.of(0x70, 0x73, 0x62, 0x74, 0xff);
const PSBT_BASE64_MAGIC = new TextEncoder().encode("cHNidP8");
const HEX_TEXT = /^(?:[0-9a-fA-F]{2})+$/;

function startsWith(msg: Uint8Array, prefix: Uint8Array): boolean {
  if (msg.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (msg[i] !== prefix[i]) return false;
  return true;
}

function parsesAsTx(msg: Uint8Array): boolean {
  try {
    parseTx(msg);
    return true;
  } catch (e) {
    if (e instanceof FormatError) return false;
    throw e;
  }
}

/** What `bytes` would be mistaken for, or undefined when it is none of the refused kinds. */
function lookalike(bytes: Uint8Array): string | undefined {
  if (startsWith(bytes, PSBT_MAGIC) || startsWith(bytes, PSBT_BASE64_MAGIC)) return "a PSBT";
  if (isGossipMessage(bytes)) return "a Lightning gossip message";
  if (parsesAsTx(bytes)) return "a Bitcoin transaction";
  return undefined;
}

/** The message's bytes after hex decoding, when the whole message is even-length hex text. */
function hexDecoded(msg: Uint8Array): Uint8Array | undefined {
  if (msg.length === 0 || msg.length % 2 !== 0) return undefined;
  const text = Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength).toString("latin1");
  return HEX_TEXT.test(text) ? Buffer.from(text, "hex") : undefined;
}

/** Records a policy-message-prefix violation when `msg` (raw or hex-decoded) is a transaction, PSBT or gossip message. */
export function checkSignMessage(msg: Uint8Array, c: Checker): void {
  const raw = lookalike(msg);
  if (raw !== undefined) {
    c.fail("policy-message-prefix", `the message parses as ${raw}`);
    return;
  }
  const decoded = hexDecoded(msg);
  const hex = decoded === undefined ? undefined : lookalike(decoded);
  c.check(hex === undefined, "policy-message-prefix", () => `the message is the hex of ${hex}`);
}
