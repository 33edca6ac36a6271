/**
 * Core Lightning hsmd permission bits (hsmd/permissions.h) and, for every request type of
 * hsmd_wire.csv, its name, the permission a connection needs to send it
 * (hsmd_check_client_capabilities in hsmd/libhsmd.c) and the reply type hsmd answers with.
 */

/** Permission bits a client connection is created with (hsmd_client_hsmfd.permissions). */
export const HSM_PERM = {
  ECDH: 1,
  SIGN_GOSSIP: 2,
  SIGN_ONCHAIN_TX: 4,
  COMMITMENT_POINT: 8,
  SIGN_REMOTE_TX: 16,
  SIGN_CLOSING_TX: 32,
  SIGN_WILL_FUND_OFFER: 64,
  SIGN_SPLICE_TX: 128,
  LOCK_OUTPOINT: 256,
  MASTER: 1024,
} as const;

/** Permissions of lightningd's own connection (fd 3): MASTER | SIGN_GOSSIP | ECDH. */
export const ROOT_PERMISSIONS = HSM_PERM.MASTER | HSM_PERM.SIGN_GOSSIP | HSM_PERM.ECDH;

/** One request type. `reply` is null for hsmd_dev_preinit (no reply). */
export interface RequestSpec {
  readonly name: string;
  readonly permission: number;
  readonly reply: number | null;
}

const P = HSM_PERM;

/** Every request type hsmd accepts, by wire type. */
export const REQUESTS: ReadonlyMap<number, RequestSpec> = new Map<number, RequestSpec>([
  [1, { name: "hsmd_ecdh_req", permission: P.ECDH, reply: 100 }],
  [2, { name: "hsmd_cannouncement_sig_req", permission: P.SIGN_GOSSIP, reply: 102 }],
  [3, { name: "hsmd_cupdate_sig_req", permission: P.SIGN_GOSSIP, reply: 103 }],
  [4, { name: "hsmd_sign_any_cannouncement_req", permission: P.MASTER, reply: 104 }],
  [5, { name: "hsmd_sign_commitment_tx", permission: P.MASTER, reply: 105 }],
  [6, { name: "hsmd_node_announcement_sig_req", permission: P.SIGN_GOSSIP, reply: 106 }],
  [7, { name: "hsmd_sign_withdrawal", permission: P.MASTER, reply: 107 }],
  [8, { name: "hsmd_sign_invoice", permission: P.MASTER, reply: 108 }],
  [9, { name: "hsmd_client_hsmfd", permission: P.MASTER, reply: 109 }],
  [10, { name: "hsmd_get_channel_basepoints", permission: P.MASTER, reply: 110 }],
  [11, { name: "hsmd_init", permission: P.MASTER, reply: 114 }],
  [12, { name: "hsmd_sign_delayed_payment_to_us", permission: P.SIGN_ONCHAIN_TX, reply: 112 }],
  [13, { name: "hsmd_sign_remote_htlc_to_us", permission: P.SIGN_ONCHAIN_TX, reply: 112 }],
  [14, { name: "hsmd_sign_penalty_to_us", permission: P.SIGN_ONCHAIN_TX, reply: 112 }],
  [18, { name: "hsmd_get_per_commitment_point", permission: P.COMMITMENT_POINT, reply: 118 }],
  [19, { name: "hsmd_sign_remote_commitment_tx", permission: P.SIGN_REMOTE_TX, reply: 112 }],
  [20, { name: "hsmd_sign_remote_htlc_tx", permission: P.SIGN_REMOTE_TX, reply: 112 }],
  [21, { name: "hsmd_sign_mutual_close_tx", permission: P.SIGN_CLOSING_TX, reply: 112 }],
  [22, { name: "hsmd_check_future_secret", permission: P.COMMITMENT_POINT, reply: 122 }],
  [23, { name: "hsmd_sign_message", permission: P.MASTER, reply: 123 }],
  [24, { name: "hsmd_get_output_scriptpubkey", permission: P.MASTER, reply: 124 }],
  [25, { name: "hsmd_sign_bolt12", permission: P.MASTER, reply: 125 }],
  [
    26,
    { name: "hsmd_sign_option_will_fund_offer", permission: P.SIGN_WILL_FUND_OFFER, reply: 126 },
  ],
  [27, { name: "hsmd_derive_secret", permission: P.MASTER, reply: 127 }],
  [28, { name: "hsmd_check_pubkey", permission: P.MASTER, reply: 128 }],
  [29, { name: "hsmd_sign_splice_tx", permission: P.SIGN_SPLICE_TX, reply: 112 }],
  [30, { name: "hsmd_new_channel", permission: P.MASTER, reply: 130 }],
  [31, { name: "hsmd_setup_channel", permission: P.COMMITMENT_POINT, reply: 131 }],
  [32, { name: "hsmd_check_outpoint", permission: P.LOCK_OUTPOINT, reply: 132 }],
  [33, { name: "hsmd_dev_memleak", permission: P.MASTER, reply: 133 }],
  [34, { name: "hsmd_forget_channel", permission: P.MASTER, reply: 134 }],
  [35, { name: "hsmd_validate_commitment_tx", permission: P.SIGN_REMOTE_TX, reply: 135 }],
  [36, { name: "hsmd_validate_revocation", permission: P.SIGN_REMOTE_TX, reply: 136 }],
  [37, { name: "hsmd_lock_outpoint", permission: P.LOCK_OUTPOINT, reply: 137 }],
  [38, { name: "hsmd_preapprove_invoice", permission: P.MASTER, reply: 138 }],
  [39, { name: "hsmd_preapprove_keysend", permission: P.MASTER, reply: 139 }],
  [40, { name: "hsmd_revoke_commitment_tx", permission: P.SIGN_REMOTE_TX, reply: 140 }],
  [41, { name: "hsmd_sign_bolt12_2", permission: P.MASTER, reply: 141 }],
  [45, { name: "hsmd_bip137_sign_message", permission: P.MASTER, reply: 145 }],
  // hsmd answers both *_check variants with the plain replies (138 / 139), not 151 / 152.
  [51, { name: "hsmd_preapprove_invoice_check", permission: P.MASTER, reply: 138 }],
  [52, { name: "hsmd_preapprove_keysend_check", permission: P.MASTER, reply: 139 }],
  [56, { name: "hsmd_check_bip86_pubkey", permission: P.MASTER, reply: 156 }],
  [99, { name: "hsmd_dev_preinit", permission: P.MASTER, reply: null }],
  [142, { name: "hsmd_sign_any_delayed_payment_to_us", permission: P.MASTER, reply: 112 }],
  [143, { name: "hsmd_sign_any_remote_htlc_to_us", permission: P.MASTER, reply: 112 }],
  [144, { name: "hsmd_sign_any_penalty_to_us", permission: P.MASTER, reply: 112 }],
  [146, { name: "hsmd_sign_any_local_htlc_tx", permission: P.MASTER, reply: 112 }],
  [147, { name: "hsmd_sign_anchorspend", permission: P.MASTER, reply: 148 }],
  [149, { name: "hsmd_sign_htlc_tx_mingle", permission: P.MASTER, reply: 150 }],
]);

/**
 * The capabilities hsmd v26.06 advertises in hsmd_init_reply_v4 (in its order): message types a
 * client may send beyond the base protocol. 147 (anchor spend) and 29 (splice) are required by
 * Core Lightning v26.04+.
 */
export const CAPABILITIES: readonly number[] = [28, 56, 142, 147, 149, 29, 32, 34, 40, 41, 45];
/** Appended unless hsmd_dev_preinit set no_preapprove_check. */
export const PREAPPROVE_CHECK_CAPABILITIES: readonly number[] = [51, 52];

/** hsm_version this implementation speaks (no old secret in get_per_commitment_point_reply). */
export const HSM_VERSION = 6;
