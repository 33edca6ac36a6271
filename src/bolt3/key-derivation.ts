/**
 * BOLT 3 "Key Derivation": per-commitment public and private keys from basepoints, and the
 * blinded revocation key. All inputs are checked (FormatError for wrong lengths, CryptoError
 * for non-points / invalid scalars).
 */
import { sha256 } from "../crypto/hash.js";
import {
  pointAdd,
  pointMul,
  pubkeyTweakAdd,
  publicKey,
  seckeyTweakAdd,
  seckeyTweakMul,
} from "../crypto/secp256k1.js";
import { assertBytes } from "../util/bytes.js";
import { assertPoint } from "./validate.js";

function sha256Pair(a: Uint8Array, b: Uint8Array): Uint8Array {
  const buf = new Uint8Array(a.length + b.length);
  buf.set(a, 0);
  buf.set(b, a.length);
  return sha256(buf);
}

/**
 * pubkey = basepoint + SHA256(per_commitment_point || basepoint) * G (BOLT 3 localpubkey,
 * local_htlcpubkey, remote_htlcpubkey, local_delayedpubkey, remote_delayedpubkey Derivation).
 */
export function derivePubkey(basepoint: Uint8Array, perCommitmentPoint: Uint8Array): Uint8Array {
  assertPoint(basepoint, "basepoint");
  assertPoint(perCommitmentPoint, "per-commitment point");
  return pubkeyTweakAdd(basepoint, sha256Pair(perCommitmentPoint, basepoint));
}

/**
 * privkey = basepoint_secret + SHA256(per_commitment_point || basepoint) mod n, the secret of
 * derivePubkey(basepoint_secret * G, per_commitment_point) (BOLT 3 Key Derivation). A caller
 * that holds the basepoint (basepoint_secret * G) may pass it to skip recomputing it.
 */
export function derivePrivkey(
  basepointSecret: Uint8Array,
  perCommitmentPoint: Uint8Array,
  knownBasepoint?: Uint8Array,
): Uint8Array {
  assertBytes(basepointSecret, 32, "basepoint secret");
  assertPoint(perCommitmentPoint, "per-commitment point");
  const basepoint = knownBasepoint ?? publicKey(basepointSecret);
  return seckeyTweakAdd(basepointSecret, sha256Pair(perCommitmentPoint, basepoint));
}

/**
 * revocationpubkey = revocation_basepoint * SHA256(revocation_basepoint || per_commitment_point)
 * + per_commitment_point * SHA256(per_commitment_point || revocation_basepoint)
 * (BOLT 3 revocationpubkey Derivation).
 */
export function deriveRevocationPubkey(
  revocationBasepoint: Uint8Array,
  perCommitmentPoint: Uint8Array,
): Uint8Array {
  assertPoint(revocationBasepoint, "revocation basepoint");
  assertPoint(perCommitmentPoint, "per-commitment point");
  const a = pointMul(revocationBasepoint, sha256Pair(revocationBasepoint, perCommitmentPoint));
  const b = pointMul(perCommitmentPoint, sha256Pair(perCommitmentPoint, revocationBasepoint));
  return pointAdd(a, b);
}

/**
 * revocationprivkey = revocation_basepoint_secret * SHA256(revocation_basepoint || per_commitment_point)
 * + per_commitment_secret * SHA256(per_commitment_point || revocation_basepoint) mod n, the secret
 * of deriveRevocationPubkey once the counterparty revealed per_commitment_secret (BOLT 3).
 */
export function deriveRevocationPrivkey(
  revocationBasepointSecret: Uint8Array,
  perCommitmentSecret: Uint8Array,
): Uint8Array {
  assertBytes(revocationBasepointSecret, 32, "revocation basepoint secret");
  assertBytes(perCommitmentSecret, 32, "per-commitment secret");
  const revocationBasepoint = publicKey(revocationBasepointSecret);
  const perCommitmentPoint = publicKey(perCommitmentSecret);
  const a = seckeyTweakMul(
    revocationBasepointSecret,
    sha256Pair(revocationBasepoint, perCommitmentPoint),
  );
  const b = seckeyTweakMul(
    perCommitmentSecret,
    sha256Pair(perCommitmentPoint, revocationBasepoint),
  );
  return seckeyTweakAdd(a, b);
}
