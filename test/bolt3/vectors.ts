/** Loads the shared BOLT 3 JSON vectors (../shared/vectors beside the repo root). */
import { readFileSync } from "node:fs";

/** Repo root, from dist/test/bolt3/ (compiled location of this file). */
const repoRoot = new URL("../../../", import.meta.url);

/** Parsed JSON of `<repoRoot>/../shared/vectors/<name>`. */
export function loadVector<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../shared/vectors/${name}`, repoRoot), "utf8")) as T;
}

export interface KeyDerivationVectors {
  tests: Array<{
    name: string;
    function: string;
    inputs: Record<string, string>;
    expected: Record<string, string>;
  }>;
}

export interface SecretVectors {
  generation_tests: Array<{ name: string; seed: string; I: number; output: string }>;
  storage_tests: Array<{
    name: string;
    inserts: Array<{ index: number; secret: string; output: "OK" | "ERROR" }>;
    expected_failure_at: number | null;
  }>;
}

export interface VectorHtlc {
  id: number;
  direction: string;
  amount_msat: number;
  expiry: number;
  payment_preimage: string;
  type: "offered" | "received";
}

export interface VectorHtlcTx {
  output_index: number;
  type: "htlc-success" | "htlc-timeout";
  htlc_id: number;
  remote_htlc_signature: string;
  local_htlc_signature: string;
  tx: string;
}

export interface VectorCase {
  name: string;
  local_dust_limit_satoshi: number;
  to_local_msat: number;
  to_remote_msat: number;
  local_feerate_per_kw: number;
  htlcs_in_channel: number[];
  base_commitment_transaction_fee?: number;
  actual_commitment_transaction_fee?: number;
  untrimmed_outputs?: Array<{
    type: string;
    amount_sat: number;
    wscript?: string;
    htlc_id?: number;
  }>;
  remote_signature: string;
  local_signature: string;
  output_commit_tx: string;
  htlc_txs: VectorHtlcTx[];
}

export interface CommitmentVectors {
  funding: {
    local_funding_pubkey: string;
    remote_funding_pubkey: string;
    funding_witness_script: string;
    funding_tx: string;
    funding_txid: string;
    funding_output: number;
    funding_satoshis: number;
  };
  common: {
    funding_tx_id: string;
    funding_output_index: number;
    funding_amount_satoshi: number;
    commitment_number: number;
    local_delay: number;
    local_payment_basepoint: string;
    remote_payment_basepoint: string;
    local_htlc_basepoint: string;
    remote_htlc_basepoint: string;
    local_funding_privkey: string;
    local_funding_pubkey: string;
    remote_funding_pubkey: string;
    local_privkey: string;
    local_htlcpubkey: string;
    remote_htlcpubkey: string;
    local_delayedpubkey: string;
    local_revocation_pubkey: string;
    obscuring_factor: string;
    funding_wscript: string;
    htlcs: VectorHtlc[];
    internal: Record<string, string>;
  };
  variants: Array<{ id: string; cases: VectorCase[] }>;
}
