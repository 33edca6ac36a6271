/*
 * Warden's N-API binding to the system libsecp256k1.
 *
 * One context per Node environment (main thread or worker), created by init(seed32) and
 * randomized with the 32 bytes the JS side supplies. Every function validates the type and
 * length of its buffer arguments and throws a JS TypeError (code "crypto/native-arg") on a
 * mismatch; invalid keys, tweaks and points yield null (or false), never a crash. The
 * library's illegal-argument callback is replaced so that API misuse cannot abort().
 * Secret material copied to the stack is wiped before returning.
 */
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  secp256k1_context *ctx;
} addon_state;

/* Wipes memory in a way the optimiser may not elide. */
static void wipe(void *p, size_t n) {
  volatile unsigned char *v = (volatile unsigned char *)p;
  while (n--) *v++ = 0;
}

static void ignore_callback(const char *msg, void *data) {
  (void)msg;
  (void)data;
}

static void state_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  addon_state *st = (addon_state *)data;
  if (st == NULL) return;
  if (st->ctx != NULL) secp256k1_context_destroy(st->ctx);
  wipe(st, sizeof(*st));
  free(st);
}

/* Context of this environment, or NULL with a pending JS error if init() was never called. */
static const secp256k1_context *get_ctx(napi_env env) {
  addon_state *st = NULL;
  if (napi_get_instance_data(env, (void **)&st) != napi_ok || st == NULL || st->ctx == NULL) {
    napi_throw_error(env, "crypto/native-uninitialized", "addon init() not called");
    return NULL;
  }
  return st->ctx;
}

/* Reads argument `i` as a Uint8Array (or Buffer) of exactly `len` bytes; NULL + TypeError otherwise. */
static const unsigned char *arg_bytes(napi_env env, napi_value *argv, size_t argc, size_t i,
                                      size_t len) {
  bool is_ta = false;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (i >= argc || napi_is_typedarray(env, argv[i], &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, argv[i], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array || length != len || (len > 0 && data == NULL)) {
    napi_throw_type_error(env, "crypto/native-arg", "argument has the wrong type or length");
    return NULL;
  }
  return (const unsigned char *)data;
}

static napi_value js_null(napi_env env) {
  napi_value v;
  napi_get_null(env, &v);
  return v;
}

static napi_value js_bool(napi_env env, bool b) {
  napi_value v;
  napi_get_boolean(env, b, &v);
  return v;
}

static napi_value js_buffer(napi_env env, const unsigned char *data, size_t len) {
  napi_value v;
  void *copy = NULL;
  if (napi_create_buffer_copy(env, len, data, &copy, &v) != napi_ok) return NULL;
  return v;
}

/* Parses a 33-byte compressed public key. */
static int parse_pub(const secp256k1_context *ctx, secp256k1_pubkey *pk, const unsigned char *in) {
  return secp256k1_ec_pubkey_parse(ctx, pk, in, 33);
}

static napi_value ser_pub(napi_env env, const secp256k1_context *ctx, const secp256k1_pubkey *pk) {
  unsigned char out[33];
  size_t outlen = sizeof(out);
  if (!secp256k1_ec_pubkey_serialize(ctx, out, &outlen, pk, SECP256K1_EC_COMPRESSED)) {
    return js_null(env);
  }
  return js_buffer(env, out, outlen);
}

/* Boilerplate: fetch up to N args and the context, returning NULL (pending exception) on failure. */
#define PROLOGUE(N)                                              \
  size_t argc = (N);                                             \
  napi_value argv[(N) > 0 ? (N) : 1];                            \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL; \
  const secp256k1_context *ctx = get_ctx(env);                   \
  if (ctx == NULL) return NULL;

#define BYTES(var, i, len)                                       \
  const unsigned char *var = arg_bytes(env, argv, argc, (i), (len)); \
  if (var == NULL) return NULL;

/* init(seed32): creates (once) and randomizes this environment's context. */
static napi_value Init_(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  BYTES(seed, 0, 32);
  addon_state *st = NULL;
  if (napi_get_instance_data(env, (void **)&st) != napi_ok) return NULL;
  if (st == NULL) {
    st = (addon_state *)calloc(1, sizeof(*st));
    if (st == NULL) {
      napi_throw_error(env, "crypto/native-oom", "out of memory");
      return NULL;
    }
    if (napi_set_instance_data(env, st, state_finalize, NULL) != napi_ok) {
      free(st);
      return NULL;
    }
  }
  if (st->ctx == NULL) {
    st->ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (st->ctx == NULL) {
      napi_throw_error(env, "crypto/native-context", "cannot create secp256k1 context");
      return NULL;
    }
    secp256k1_context_set_illegal_callback(st->ctx, ignore_callback, NULL);
    secp256k1_context_set_error_callback(st->ctx, ignore_callback, NULL);
  }
  if (!secp256k1_context_randomize(st->ctx, seed)) {
    napi_throw_error(env, "crypto/native-context", "cannot randomize secp256k1 context");
    return NULL;
  }
  return js_null(env);
}

static napi_value IsValidSeckey(napi_env env, napi_callback_info info) {
  PROLOGUE(1);
  BYTES(sec, 0, 32);
  return js_bool(env, secp256k1_ec_seckey_verify(ctx, sec) == 1);
}

static napi_value IsValidPublicKey(napi_env env, napi_callback_info info) {
  PROLOGUE(1);
  BYTES(pub, 0, 33);
  secp256k1_pubkey pk;
  return js_bool(env, parse_pub(ctx, &pk, pub) == 1);
}

static napi_value PublicKey(napi_env env, napi_callback_info info) {
  PROLOGUE(1);
  BYTES(sec, 0, 32);
  secp256k1_pubkey pk;
  if (!secp256k1_ec_pubkey_create(ctx, &pk, sec)) return js_null(env);
  return ser_pub(env, ctx, &pk);
}

/* Low-R grinding: retry with a 32-byte little-endian counter as extra nonce data until the
 * compact r's top bit is clear. Bitcoin Core (key.cpp) makes its first attempt with no extra
 * data and then counts 1, 2, ...; Core Lightning (bitcoin/signature.c sign_hash) passes the
 * 32 zero bytes already on its first attempt (counter 0), so its nonces differ from Core's. */
enum grind_mode { GRIND_NONE = 0, GRIND_CORE = 1, GRIND_CLN = 2 };

static int sign_ground(const secp256k1_context *ctx, const unsigned char *msg,
                       const unsigned char *sec, enum grind_mode mode, unsigned char compact[64]) {
  secp256k1_ecdsa_signature sig;
  unsigned char extra[32] = {0};
  uint32_t counter = 0;
  int ok = secp256k1_ecdsa_sign(ctx, &sig, msg, sec, secp256k1_nonce_function_rfc6979,
                                mode == GRIND_CLN ? extra : NULL);
  ok = ok && secp256k1_ecdsa_signature_serialize_compact(ctx, compact, &sig);
  while (ok && mode != GRIND_NONE && compact[0] >= 0x80) {
    counter++;
    extra[0] = (unsigned char)(counter & 0xff);
    extra[1] = (unsigned char)((counter >> 8) & 0xff);
    extra[2] = (unsigned char)((counter >> 16) & 0xff);
    extra[3] = (unsigned char)((counter >> 24) & 0xff);
    ok = secp256k1_ecdsa_sign(ctx, &sig, msg, sec, secp256k1_nonce_function_rfc6979, extra);
    ok = ok && secp256k1_ecdsa_signature_serialize_compact(ctx, compact, &sig);
  }
  return ok;
}

/* ecdsaSign(msg32, sec32, lowR): RFC 6979, low-S; lowR grinds like Bitcoin Core. */
static napi_value EcdsaSign(napi_env env, napi_callback_info info) {
  PROLOGUE(3);
  BYTES(msg, 0, 32);
  BYTES(sec, 1, 32);
  bool low_r = false;
  if (argc < 3 || napi_get_value_bool(env, argv[2], &low_r) != napi_ok) {
    napi_throw_type_error(env, "crypto/native-arg", "lowR must be a boolean");
    return NULL;
  }
  unsigned char compact[64];
  if (!sign_ground(ctx, msg, sec, low_r ? GRIND_CORE : GRIND_NONE, compact)) return js_null(env);
  return js_buffer(env, compact, 64);
}

/* ecdsaSignCln(msg32, sec32): RFC 6979, low-S, low-R ground the way Core Lightning does. */
static napi_value EcdsaSignCln(napi_env env, napi_callback_info info) {
  PROLOGUE(2);
  BYTES(msg, 0, 32);
  BYTES(sec, 1, 32);
  unsigned char compact[64];
  if (!sign_ground(ctx, msg, sec, GRIND_CLN, compact)) return js_null(env);
  return js_buffer(env, compact, 64);
}

/* ecdsaVerify(sig64, msg32, pub33): strict, high-S rejected by libsecp256k1. */
static napi_value EcdsaVerify(napi_env env, napi_callback_info info) {
  PROLOGUE(3);
  BYTES(sig64, 0, 64);
  BYTES(msg, 1, 32);
  BYTES(pub, 2, 33);
  secp256k1_ecdsa_signature sig;
  secp256k1_pubkey pk;
  if (!secp256k1_ecdsa_signature_parse_compact(ctx, &sig, sig64)) return js_bool(env, false);
  if (!parse_pub(ctx, &pk, pub)) return js_bool(env, false);
  return js_bool(env, secp256k1_ecdsa_verify(ctx, &sig, msg, &pk) == 1);
}

static napi_value PubkeyTweakAdd(napi_env env, napi_callback_info info) {
  PROLOGUE(2);
  BYTES(pub, 0, 33);
  BYTES(tweak, 1, 32);
  secp256k1_pubkey pk;
  if (!parse_pub(ctx, &pk, pub) || !secp256k1_ec_pubkey_tweak_add(ctx, &pk, tweak)) {
    return js_null(env);
  }
  return ser_pub(env, ctx, &pk);
}

typedef int (*seckey_op)(const secp256k1_context *, unsigned char *, const unsigned char *);

static napi_value seckey_tweak(napi_env env, napi_callback_info info, seckey_op op) {
  PROLOGUE(2);
  BYTES(sec, 0, 32);
  BYTES(tweak, 1, 32);
  unsigned char out[32];
  memcpy(out, sec, 32);
  napi_value result = op(ctx, out, tweak) ? js_buffer(env, out, 32) : js_null(env);
  wipe(out, sizeof(out));
  return result;
}

static napi_value SeckeyTweakAdd(napi_env env, napi_callback_info info) {
  return seckey_tweak(env, info, secp256k1_ec_seckey_tweak_add);
}

static napi_value SeckeyTweakMul(napi_env env, napi_callback_info info) {
  return seckey_tweak(env, info, secp256k1_ec_seckey_tweak_mul);
}

static napi_value SeckeyNegate(napi_env env, napi_callback_info info) {
  PROLOGUE(1);
  BYTES(sec, 0, 32);
  unsigned char out[32];
  memcpy(out, sec, 32);
  napi_value result = secp256k1_ec_seckey_negate(ctx, out) ? js_buffer(env, out, 32) : js_null(env);
  wipe(out, sizeof(out));
  return result;
}

static napi_value PointAdd(napi_env env, napi_callback_info info) {
  PROLOGUE(2);
  BYTES(a, 0, 33);
  BYTES(b, 1, 33);
  secp256k1_pubkey pa, pb, sum;
  const secp256k1_pubkey *ins[2] = {&pa, &pb};
  if (!parse_pub(ctx, &pa, a) || !parse_pub(ctx, &pb, b) ||
      !secp256k1_ec_pubkey_combine(ctx, &sum, ins, 2)) {
    return js_null(env);
  }
  return ser_pub(env, ctx, &sum);
}

static napi_value PointMul(napi_env env, napi_callback_info info) {
  PROLOGUE(2);
  BYTES(pub, 0, 33);
  BYTES(scalar, 1, 32);
  secp256k1_pubkey pk;
  if (!parse_pub(ctx, &pk, pub) || !secp256k1_ec_pubkey_tweak_mul(ctx, &pk, scalar)) {
    return js_null(env);
  }
  return ser_pub(env, ctx, &pk);
}

/* ecdh(sec32, pub33): libsecp256k1's default hash, SHA256(compressed shared point) = BOLT 8. */
static napi_value Ecdh(napi_env env, napi_callback_info info) {
  PROLOGUE(2);
  BYTES(sec, 0, 32);
  BYTES(pub, 1, 33);
  secp256k1_pubkey pk;
  unsigned char out[32];
  napi_value result;
  if (parse_pub(ctx, &pk, pub) && secp256k1_ecdh(ctx, out, &pk, sec, NULL, NULL)) {
    result = js_buffer(env, out, 32);
  } else {
    result = js_null(env);
  }
  wipe(out, sizeof(out));
  return result;
}

static napi_value XonlyPublicKey(napi_env env, napi_callback_info info) {
  PROLOGUE(1);
  BYTES(sec, 0, 32);
  secp256k1_keypair kp;
  secp256k1_xonly_pubkey xpk;
  unsigned char out[32];
  napi_value result = js_null(env);
  if (secp256k1_keypair_create(ctx, &kp, sec) && secp256k1_keypair_xonly_pub(ctx, &xpk, NULL, &kp) &&
      secp256k1_xonly_pubkey_serialize(ctx, out, &xpk)) {
    result = js_buffer(env, out, 32);
  }
  wipe(&kp, sizeof(kp));
  return result;
}

static napi_value SchnorrSign(napi_env env, napi_callback_info info) {
  PROLOGUE(3);
  BYTES(msg, 0, 32);
  BYTES(sec, 1, 32);
  BYTES(aux, 2, 32);
  secp256k1_keypair kp;
  unsigned char sig[64];
  napi_value result = js_null(env);
  if (secp256k1_keypair_create(ctx, &kp, sec) &&
      secp256k1_schnorrsig_sign32(ctx, sig, msg, &kp, aux)) {
    result = js_buffer(env, sig, 64);
  }
  wipe(&kp, sizeof(kp));
  return result;
}

static napi_value SchnorrVerify(napi_env env, napi_callback_info info) {
  PROLOGUE(3);
  BYTES(sig, 0, 64);
  BYTES(msg, 1, 32);
  BYTES(xonly, 2, 32);
  secp256k1_xonly_pubkey xpk;
  if (!secp256k1_xonly_pubkey_parse(ctx, &xpk, xonly)) return js_bool(env, false);
  return js_bool(env, secp256k1_schnorrsig_verify(ctx, sig, msg, 32, &xpk) == 1);
}

/* xonlyTweakAdd(xonly32, tweak32) -> 33 bytes: parity || x(Q), or null. */
static napi_value XonlyTweakAdd(napi_env env, napi_callback_info info) {
  PROLOGUE(2);
  BYTES(xonly, 0, 32);
  BYTES(tweak, 1, 32);
  secp256k1_xonly_pubkey xpk;
  secp256k1_pubkey out_pk;
  int parity = 0;
  unsigned char out[33];
  if (!secp256k1_xonly_pubkey_parse(ctx, &xpk, xonly) ||
      !secp256k1_xonly_pubkey_tweak_add(ctx, &out_pk, &xpk, tweak) ||
      !secp256k1_xonly_pubkey_from_pubkey(ctx, &xpk, &parity, &out_pk) ||
      !secp256k1_xonly_pubkey_serialize(ctx, out + 1, &xpk)) {
    return js_null(env);
  }
  out[0] = (unsigned char)(parity ? 1 : 0);
  return js_buffer(env, out, 33);
}

static napi_value ModuleInit(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"init", NULL, Init_, NULL, NULL, NULL, napi_enumerable, NULL},
      {"isValidSeckey", NULL, IsValidSeckey, NULL, NULL, NULL, napi_enumerable, NULL},
      {"isValidPublicKey", NULL, IsValidPublicKey, NULL, NULL, NULL, napi_enumerable, NULL},
      {"publicKey", NULL, PublicKey, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ecdsaSign", NULL, EcdsaSign, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ecdsaSignCln", NULL, EcdsaSignCln, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ecdsaVerify", NULL, EcdsaVerify, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pubkeyTweakAdd", NULL, PubkeyTweakAdd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"seckeyTweakAdd", NULL, SeckeyTweakAdd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"seckeyTweakMul", NULL, SeckeyTweakMul, NULL, NULL, NULL, napi_enumerable, NULL},
      {"seckeyNegate", NULL, SeckeyNegate, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pointAdd", NULL, PointAdd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pointMul", NULL, PointMul, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ecdh", NULL, Ecdh, NULL, NULL, NULL, napi_enumerable, NULL},
      {"xonlyPublicKey", NULL, XonlyPublicKey, NULL, NULL, NULL, napi_enumerable, NULL},
      {"schnorrSign", NULL, SchnorrSign, NULL, NULL, NULL, napi_enumerable, NULL},
      {"schnorrVerify", NULL, SchnorrVerify, NULL, NULL, NULL, napi_enumerable, NULL},
      {"xonlyTweakAdd", NULL, XonlyTweakAdd, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) {
    return NULL;
  }
  return exports;
}

NAPI_MODULE_INIT() {
  return ModuleInit(env, exports);
}
