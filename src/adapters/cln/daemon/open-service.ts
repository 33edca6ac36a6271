/**
 * Opens the real hsmd service for warden-hsmd at hsmd_init: the passphrase from the request,
 * hsm_secret from the working directory, the configured store, then Hsmd.open. The returned
 * service's close() closes the Hsmd and then the store.
 */
import { Hsmd } from "../hsmd.js";
import { loadHsmSecret } from "./hsm-secret-file.js";
import { initPassphrase } from "./init-passphrase.js";
import type { HsmdService } from "./service.js";
import type { StatusChannel } from "./status-channel.js";
import { openStore, type SingleStoreConfig } from "../../../store/open-store.js";
import { describeStoreSpec } from "./store-config.js";

/** Where the service comes from (the command's context). */
export interface OpenServiceContext {
  readonly cwd: string;
  readonly store: SingleStoreConfig;
  /** Allowlisted destination addresses. */
  readonly allowlist: readonly string[];
  readonly status: StatusChannel;
}

/** The Hsmd for this node; rejects (→ hsmd_init_reply_failure) when the secret or store is unusable. */
export async function openWardenHsmdService(
  init: Uint8Array,
  ctx: OpenServiceContext,
): Promise<HsmdService> {
  const loaded = await loadHsmSecret(ctx.cwd, initPassphrase(init));
  if (loaded.created) ctx.status.unusual("HSM: created new hsm_secret file");
  if (loaded.warning !== undefined) ctx.status.unusual(loaded.warning);
  const store = await openStore(ctx.store);
  try {
    const hsmd = await Hsmd.open({
      hsmSecret: loaded.secret,
      store,
      hsmSecretType: loaded.type,
      allowlist: ctx.allowlist,
    });
    ctx.status.info(
      `state in ${describeStoreSpec(ctx.store)}; ${ctx.allowlist.length} allowlisted address(es)`,
    );
    return {
      root: () => hsmd.root(),
      close: async () => {
        try {
          await hsmd.close();
        } finally {
          await store.close();
        }
      },
    };
  } catch (e) {
    await store.close();
    throw e;
  }
}
