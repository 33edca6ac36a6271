/**
 * BOLT 7 chain_hash values: each network's genesis block hash in Bitcoin's internal byte order
 * (the reverse of the hex block explorers show), as gossip messages carry it.
 */
import type { Network } from "../bitcoin/address.js";
import { hexToBytes } from "../util/bytes.js";

const CHAIN_HASH_HEX: Readonly<Record<Network, string>> = Object.freeze({
  bitcoin: "6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000",
  testnet: "43497fd7f826957108f4a30fd9cec3aeba79972084e90ead01ea330900000000",
  signet: "f61eee3b63a380a477a063af32b2bbc97c9ff9f01f2c4225e973988108000000",
  regtest: "06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f",
});

/** The 32-byte chain_hash of `network` (a fresh copy). */
export function chainHash(network: Network): Uint8Array {
  return hexToBytes(CHAIN_HASH_HEX[network]);
}
