#pragma once
// The tiny AES/CMAC wrapper: the only place that touches Crypto++.
#include <array>
#include <cstdint>
#include <memory>
#include <span>

#include "lorawan/types.hpp"

namespace lorawan::crypto {

using Block = std::array<uint8_t, 16>;

Block aesEncrypt(const Aes128Key& key, const Block& in);
Block aesDecrypt(const Aes128Key& key, const Block& in);
Block cmac(const Aes128Key& key, std::span<const uint8_t> data);
// CMAC over two parts (B0 block + message) without concatenating them first.
Block cmac(const Aes128Key& key, std::span<const uint8_t> a, std::span<const uint8_t> b);

// The same, on an object the caller keeps: a key set on it reuses its buffers, where each fresh
// Crypto++ CMAC allocates its key schedule (5% of the network thread's time under load). Not
// thread-safe: one per thread.
class Cmac {
 public:
  Cmac();
  ~Cmac();
  Cmac(const Cmac&) = delete;
  Cmac& operator=(const Cmac&) = delete;
  Block compute(const Aes128Key& key, std::span<const uint8_t> a, std::span<const uint8_t> b = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One AES-128 block encryption on a reused key schedule (FRMPayload and FOpts keystreams): a
// fresh Crypto++ cipher allocates its schedule per block. Not thread-safe: one per thread.
class Aes {
 public:
  Aes();
  ~Aes();
  Aes(const Aes&) = delete;
  Aes& operator=(const Aes&) = delete;
  void setKey(const Aes128Key& key);
  Block encrypt(const Block& in) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lorawan::crypto
