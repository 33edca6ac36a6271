/**
 * What warden-hsmd needs from the hsmd service: the connection types of src/adapters/cln/hsmd.ts
 * (a root connection answering lightningd, client connections made on hsmd_client_hsmfd) and a
 * way to close it. The real Hsmd (plus its store) is wired in open-service.ts; tests may give a
 * double of the same shape.
 */
export type { HsmdClientContext, HsmdConnection, HsmdReply } from "../hsmd.js";
import type { HsmdConnection } from "../hsmd.js";

/** An opened hsmd service. */
export interface HsmdService {
  root(): HsmdConnection;
  close(): Promise<void>;
}
