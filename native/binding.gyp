{
  "targets": [
    {
      "target_name": "warden_fdpass",
      "sources": ["fdpass_addon.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"]
    },
    {
      "target_name": "warden_secp256k1",
      "sources": ["secp256k1_addon.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"],
      "libraries": ["-lsecp256k1"],
      "xcode_settings": { "OTHER_LDFLAGS": ["-lsecp256k1"] }
    }
  ]
}
