/* ChaCha20-Poly1305 for WireGuard's transport messages, through the OpenSSL that Node itself links (EVP),
 * with one cipher context per direction of a keypair made once and reused for every packet: only the nonce
 * changes between packets, so the per-packet cost is the cipher itself, not creating a context, importing
 * the key and two Buffers (what createCipheriv costs). Seal writes straight into the caller's send buffer;
 * open writes into the caller's buffer. No primitive is implemented here: it is all EVP.
 *
 *   aeadKey(key: Uint8Array(32)) -> handle
 *   aeadSeal(handle, counterLo, counterHi, plaintext, padding, out, offset) -> bytes written (ciphertext‖tag)
 *   aeadOpen(handle, counterLo, counterHi, sealed, out) -> plaintext length, or -1 when the tag fails
 *
 * The nonce is WireGuard's: 4 zero bytes and the 64-bit counter little-endian. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <node_api.h>

#include "nv.h"

#define TAG_LEN 16
#define KEY_LEN 32

napi_value nv_aead_init(napi_env env, napi_value exports);

static const napi_type_tag aead_tag = { 0x6e796d6165616421ULL, 0x51c2e7a90b3d4f66ULL };

typedef struct {
  EVP_CIPHER_CTX *seal;
  EVP_CIPHER_CTX *open;
} aead_keys;

static void aead_free(napi_env env, void *data, void *hint) {
  aead_keys *k = data;
  if (k == NULL) return;
  EVP_CIPHER_CTX_free(k->seal);
  EVP_CIPHER_CTX_free(k->open);
  free(k);
}

static napi_value fail(napi_env env, const char *msg) {
  napi_throw_error(env, "ERR_NYM_AEAD", msg);
  return NULL;
}

static napi_value js_aead_key(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  uint8_t *key;
  size_t key_len;
  if (!nv_get_args(env, info, 1, argv) || !nv_get_bytes(env, argv[0], "key", &key, &key_len)) return NULL;
  if (key_len != KEY_LEN) return nv_type_error(env, "key must be 32 bytes");
  aead_keys *k = calloc(1, sizeof *k);
  if (k == NULL) return fail(env, "out of memory");
  k->seal = EVP_CIPHER_CTX_new();
  k->open = EVP_CIPHER_CTX_new();
  if (k->seal == NULL || k->open == NULL ||
      EVP_EncryptInit_ex(k->seal, EVP_chacha20_poly1305(), NULL, key, NULL) != 1 ||
      EVP_DecryptInit_ex(k->open, EVP_chacha20_poly1305(), NULL, key, NULL) != 1 ||
      EVP_CIPHER_CTX_ctrl(k->seal, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1 ||
      EVP_CIPHER_CTX_ctrl(k->open, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1) {
    aead_free(env, k, NULL);
    return fail(env, "EVP chacha20-poly1305 could not be set up");
  }
  napi_value obj;
  if (napi_create_object(env, &obj) != napi_ok || napi_type_tag_object(env, obj, &aead_tag) != napi_ok ||
      napi_wrap(env, obj, k, aead_free, NULL, NULL) != napi_ok) {
    aead_free(env, k, NULL);
    return fail(env, "cannot wrap the cipher contexts");
  }
  return obj;
}

static int unwrap(napi_env env, napi_value v, aead_keys **out) {
  bool ok = false;
  if (napi_check_object_type_tag(env, v, &aead_tag, &ok) != napi_ok || !ok ||
      napi_unwrap(env, v, (void **)out) != napi_ok || *out == NULL) {
    nv_type_error(env, "not an AEAD key handle (from aeadKey)");
    return 0;
  }
  return 1;
}

static void make_nonce(uint8_t nonce[12], uint32_t lo, uint32_t hi) {
  memset(nonce, 0, 4);
  for (int i = 0; i < 4; i++) nonce[4 + i] = (uint8_t)(lo >> (8 * i));
  for (int i = 0; i < 4; i++) nonce[8 + i] = (uint8_t)(hi >> (8 * i));
}

static napi_value number(napi_env env, int32_t v) {
  napi_value out;
  return napi_create_int32(env, v, &out) == napi_ok ? out : NULL;
}

static napi_value js_aead_seal(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  aead_keys *k;
  uint32_t lo, hi, padding, offset;
  uint8_t *pt, *out;
  size_t pt_len, out_len;
  if (!nv_get_args(env, info, 7, argv) || !unwrap(env, argv[0], &k) ||
      !nv_get_u32(env, argv[1], "counterLo", 0, UINT32_MAX, &lo) || !nv_get_u32(env, argv[2], "counterHi", 0, UINT32_MAX, &hi) ||
      !nv_get_bytes(env, argv[3], "plaintext", &pt, &pt_len) || !nv_get_u32(env, argv[4], "padding", 0, 15, &padding) ||
      !nv_get_bytes(env, argv[5], "out", &out, &out_len) || !nv_get_u32(env, argv[6], "offset", 0, UINT32_MAX, &offset))
    return NULL;
  size_t total = pt_len + padding + TAG_LEN;
  if (pt_len > NV_MAX_PACKET || offset > out_len || out_len - offset < total) return nv_type_error(env, "out is too small for ciphertext and tag");
  uint8_t nonce[12];
  make_nonce(nonce, lo, hi);
  int n = 0, m = 0;
  uint8_t *dst = out + offset;
  static const uint8_t zeros[16] = {0};
  if (EVP_EncryptInit_ex(k->seal, NULL, NULL, NULL, nonce) != 1 ||
      (pt_len > 0 && EVP_EncryptUpdate(k->seal, dst, &n, pt, (int)pt_len) != 1) ||
      (padding > 0 && EVP_EncryptUpdate(k->seal, dst + n, &m, zeros, (int)padding) != 1))
    return fail(env, "EVP seal failed");
  int f = 0;
  if (EVP_EncryptFinal_ex(k->seal, dst + n + m, &f) != 1 ||
      EVP_CIPHER_CTX_ctrl(k->seal, EVP_CTRL_AEAD_GET_TAG, TAG_LEN, dst + n + m + f) != 1)
    return fail(env, "EVP seal final failed");
  return number(env, n + m + f + TAG_LEN);
}

static napi_value js_aead_open(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  aead_keys *k;
  uint32_t lo, hi;
  uint8_t *ct, *out;
  size_t ct_len, out_len;
  if (!nv_get_args(env, info, 5, argv) || !unwrap(env, argv[0], &k) ||
      !nv_get_u32(env, argv[1], "counterLo", 0, UINT32_MAX, &lo) || !nv_get_u32(env, argv[2], "counterHi", 0, UINT32_MAX, &hi) ||
      !nv_get_bytes(env, argv[3], "sealed", &ct, &ct_len) || !nv_get_bytes(env, argv[4], "out", &out, &out_len))
    return NULL;
  if (ct_len < TAG_LEN) return number(env, -1);
  size_t body = ct_len - TAG_LEN;
  if (body > NV_MAX_PACKET || out_len < body) return nv_type_error(env, "out is too small for the plaintext");
  uint8_t nonce[12], tag[TAG_LEN];
  make_nonce(nonce, lo, hi);
  /* The tag is copied first: out may be the same memory as sealed (in-place open). */
  memcpy(tag, ct + body, TAG_LEN);
  int n = 0, f = 0;
  if (EVP_DecryptInit_ex(k->open, NULL, NULL, NULL, nonce) != 1 ||
      EVP_CIPHER_CTX_ctrl(k->open, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, tag) != 1 ||
      (body > 0 && EVP_DecryptUpdate(k->open, out, &n, ct, (int)body) != 1))
    return fail(env, "EVP open failed");
  if (EVP_DecryptFinal_ex(k->open, out + n, &f) != 1) {
    /* Never hand out plaintext that did not authenticate. */
    memset(out, 0, body);
    return number(env, -1);
  }
  return number(env, n + f);
}

napi_value nv_aead_init(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "aeadKey", NAPI_AUTO_LENGTH, js_aead_key, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "aeadKey", fn) != napi_ok ||
      napi_create_function(env, "aeadSeal", NAPI_AUTO_LENGTH, js_aead_seal, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "aeadSeal", fn) != napi_ok ||
      napi_create_function(env, "aeadOpen", NAPI_AUTO_LENGTH, js_aead_open, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "aeadOpen", fn) != napi_ok)
    return NULL;
  return exports;
}
