/*
 * Warden's N-API binding for UNIX-domain socket plumbing that Node cannot do itself:
 * socketpair(2), passing a file descriptor with SCM_RIGHTS (one 0x00 data byte, the convention
 * Core Lightning's daemons use after hsmd_client_hsmfd_reply), receiving one, and reading or
 * changing O_NONBLOCK. Used by warden-hsmd (src/adapters/cln/daemon/) and by the test harness
 * that plays lightningd.
 *
 * Every function checks its arguments (non-negative int32 fds) and throws a JS Error whose
 * code is "fdpass/<reason>" on failure; "would block" is reported as a return value, never
 * as an error. EINTR is retried. No function ever aborts the process.
 */
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif
#ifndef MSG_CMSG_CLOEXEC
#define MSG_CMSG_CLOEXEC 0
#endif

/* Throws Error(code "fdpass/<what>", message "<what>: strerror(err)"); returns NULL. */
static napi_value throw_errno(napi_env env, const char *what, int err) {
  char code[96];
  char msg[256];
  snprintf(code, sizeof(code), "fdpass/%s", what);
  snprintf(msg, sizeof(msg), "%s: %s (errno %d)", what, strerror(err), err);
  napi_throw_error(env, code, msg);
  return NULL;
}

static napi_value throw_plain(napi_env env, const char *code, const char *msg) {
  napi_throw_error(env, code, msg);
  return NULL;
}

/* Reads argument i as a non-negative int32 file descriptor; -1 with a pending TypeError otherwise. */
static int arg_fd(napi_env env, napi_value *argv, size_t argc, size_t i) {
  napi_valuetype t;
  double d = -1;
  if (i >= argc || napi_typeof(env, argv[i], &t) != napi_ok || t != napi_number ||
      napi_get_value_double(env, argv[i], &d) != napi_ok || d < 0 || d > 2147483647.0 ||
      d != (double)(int32_t)d) {
    napi_throw_type_error(env, "fdpass/arg", "file descriptor must be a non-negative integer");
    return -1;
  }
  return (int)d;
}

static napi_value js_int(napi_env env, int v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

static napi_value js_bool(napi_env env, bool b) {
  napi_value v;
  napi_get_boolean(env, b, &v);
  return v;
}

static napi_value js_null(napi_env env) {
  napi_value v;
  napi_get_null(env, &v);
  return v;
}

#define ARGS(N)                                                                    \
  size_t argc = (N);                                                               \
  napi_value argv[(N) > 0 ? (N) : 1];                                              \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;

#define FD(var, i)                           \
  int var = arg_fd(env, argv, argc, (i));    \
  if (var < 0) return NULL;

/* socketpair(): [fd, fd] of a new AF_UNIX SOCK_STREAM pair, both blocking and close-on-exec. */
static napi_value SocketPair(napi_env env, napi_callback_info info) {
  (void)info;
  int fds[2];
#ifdef SOCK_CLOEXEC
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return throw_errno(env, "socketpair", errno);
  }
#else
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return throw_errno(env, "socketpair", errno);
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
#endif
  napi_value arr;
  if (napi_create_array_with_length(env, 2, &arr) != napi_ok ||
      napi_set_element(env, arr, 0, js_int(env, fds[0])) != napi_ok ||
      napi_set_element(env, arr, 1, js_int(env, fds[1])) != napi_ok) {
    close(fds[0]);
    close(fds[1]);
    return NULL;
  }
  return arr;
}

/*
 * sendFd(sock, fd): sends one 0x00 byte carrying `fd` as SCM_RIGHTS on `sock`.
 * true = sent; false = the socket is non-blocking and full (nothing sent, try again later).
 */
static napi_value SendFd(napi_env env, napi_callback_info info) {
  ARGS(2);
  FD(sock, 0);
  FD(fd, 1);
  char byte = 0;
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof(control));
  struct msghdr msg;
  memset(&msg, 0, sizeof(msg));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof(control.buf);
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  for (;;) {
    ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (n == 1) return js_bool(env, true);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return js_bool(env, false);
    if (n < 0) return throw_errno(env, "sendmsg", errno);
    return throw_plain(env, "fdpass/sendmsg", "sendmsg: short write");
  }
}

/*
 * recvFd(sock): receives one data byte and the fd passed with it (close-on-exec in this process).
 * Returns { fd, byte }, or null when the socket is non-blocking and nothing is there yet.
 * Throws fdpass/eof at end of stream and fdpass/no-fd when the byte came without exactly one fd
 * (any fds that did come are closed).
 */
static napi_value RecvFd(napi_env env, napi_callback_info info) {
  ARGS(1);
  FD(sock, 0);
  unsigned char byte = 0xff;
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  union {
    char buf[CMSG_SPACE(sizeof(int) * 8)];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof(control));
  struct msghdr msg;
  ssize_t n;
  for (;;) {
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof(control.buf);
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return js_null(env);
  if (n < 0) return throw_errno(env, "recvmsg", errno);
  if (n == 0) return throw_plain(env, "fdpass/eof", "recvmsg: end of stream before the fd");
  int got = -1;
  int extra = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; i++) {
      int f;
      memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      if (got < 0) {
        got = f;
      } else {
        close(f);
        extra++;
      }
    }
  }
  if (got < 0 || extra > 0 || (msg.msg_flags & MSG_CTRUNC)) {
    if (got >= 0) close(got);
    return throw_plain(env, "fdpass/no-fd", "recvmsg: expected exactly one SCM_RIGHTS fd");
  }
  napi_value obj;
  if (napi_create_object(env, &obj) != napi_ok ||
      napi_set_named_property(env, obj, "fd", js_int(env, got)) != napi_ok ||
      napi_set_named_property(env, obj, "byte", js_int(env, byte)) != napi_ok) {
    close(got);
    return NULL;
  }
  return obj;
}

/* isBlocking(fd): true when O_NONBLOCK is clear on the open file description. */
static napi_value IsBlocking(napi_env env, napi_callback_info info) {
  ARGS(1);
  FD(fd, 0);
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) return throw_errno(env, "fcntl", errno);
  return js_bool(env, (fl & O_NONBLOCK) == 0);
}

/* setBlocking(fd, blocking): sets or clears O_NONBLOCK. */
static napi_value SetBlocking(napi_env env, napi_callback_info info) {
  ARGS(2);
  FD(fd, 0);
  bool blocking = true;
  if (argc < 2 || napi_get_value_bool(env, argv[1], &blocking) != napi_ok) {
    return throw_plain(env, "fdpass/arg", "blocking must be a boolean");
  }
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) return throw_errno(env, "fcntl", errno);
  int want = blocking ? (fl & ~O_NONBLOCK) : (fl | O_NONBLOCK);
  if (want != fl && fcntl(fd, F_SETFL, want) != 0) return throw_errno(env, "fcntl", errno);
  return js_bool(env, true);
}

/* waitReadable(fd, timeoutMs): true once fd is readable (data, EOF or error), false on timeout. */
static napi_value WaitReadable(napi_env env, napi_callback_info info) {
  ARGS(2);
  FD(fd, 0);
  int32_t timeout = 0;
  if (argc < 2 || napi_get_value_int32(env, argv[1], &timeout) != napi_ok || timeout < 0) {
    return throw_plain(env, "fdpass/arg", "timeoutMs must be a non-negative integer");
  }
  struct pollfd p = {.fd = fd, .events = POLLIN, .revents = 0};
  for (;;) {
    int r = poll(&p, 1, timeout);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return throw_errno(env, "poll", errno);
    return js_bool(env, r > 0);
  }
}

/* close(fd): closes the descriptor (EINTR is not retried: POSIX leaves the fd closed). */
static napi_value Close(napi_env env, napi_callback_info info) {
  ARGS(1);
  FD(fd, 0);
  if (close(fd) != 0 && errno != EINTR) return throw_errno(env, "close", errno);
  return js_bool(env, true);
}

static napi_value ModuleInit(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"socketpair", NULL, SocketPair, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendFd", NULL, SendFd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"recvFd", NULL, RecvFd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"isBlocking", NULL, IsBlocking, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setBlocking", NULL, SetBlocking, NULL, NULL, NULL, napi_enumerable, NULL},
      {"waitReadable", NULL, WaitReadable, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, Close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) {
    return NULL;
  }
  return exports;
}

NAPI_MODULE_INIT() {
  return ModuleInit(env, exports);
}
