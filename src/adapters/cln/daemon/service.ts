/**
 * What warden-hsmd needs from the hsmd service (src/adapters/cln/hsmd.ts, see CLN-INTERFACES.md):
 * a root connection that answers lightningd, and client connections it creates on
 * hsmd_client_hsmfd. Declared structurally here so the socket layer depends on the shape only;
 * the real Hsmd satisfies it.
 */

/** Identity and permissions of one hsmd connection (root: peerId null, dbid 0, permissions 1027). */
export interface HsmdClientContext {
  readonly peerId: Uint8Array | null;
  readonly dbid: bigint;
  readonly permissions: number;
}

/** The answer to one request. */
export interface HsmdReply {
  /** Reply message (2-byte type first, no length prefix), or null when the request has none. */
  readonly message: Uint8Array | null;
  /** For hsmd_client_hsmfd: the connection whose socket end is passed after `message`. */
  readonly newClient?: HsmdConnection;
}

/** One hsmd connection; `handle` rejects when the client must be disconnected. */
export interface HsmdConnection {
  readonly context: HsmdClientContext;
  handle(request: Uint8Array): Promise<HsmdReply>;
}

/** An opened hsmd service. */
export interface HsmdService {
  root(): HsmdConnection;
  close(): Promise<void>;
}
