#include "lorawan/crypto.hpp"

#include <cryptopp/aes.h>
#include <cryptopp/cmac.h>

namespace lorawan::crypto {

Block aesEncrypt(const Aes128Key& key, const Block& in) {
  CryptoPP::AES::Encryption aes(key.bytes().data(), 16);
  Block out;
  aes.ProcessBlock(in.data(), out.data());
  return out;
}

Block aesDecrypt(const Aes128Key& key, const Block& in) {
  CryptoPP::AES::Decryption aes(key.bytes().data(), 16);
  Block out;
  aes.ProcessBlock(in.data(), out.data());
  return out;
}

Block cmac(const Aes128Key& key, std::span<const uint8_t> data) {
  return cmac(key, data, {});
}

Block cmac(const Aes128Key& key, std::span<const uint8_t> a, std::span<const uint8_t> b) {
  CryptoPP::CMAC<CryptoPP::AES> mac(key.bytes().data(), 16);
  mac.Update(a.data(), a.size());
  if (!b.empty()) mac.Update(b.data(), b.size());
  Block out;
  mac.Final(out.data());
  return out;
}

struct Cmac::Impl {
  CryptoPP::CMAC<CryptoPP::AES> mac;
};

Cmac::Cmac() : impl_(std::make_unique<Impl>()) {}
Cmac::~Cmac() = default;

Block Cmac::compute(const Aes128Key& key, std::span<const uint8_t> a, std::span<const uint8_t> b) {
  impl_->mac.SetKey(key.bytes().data(), 16);
  impl_->mac.Update(a.data(), a.size());
  if (!b.empty()) impl_->mac.Update(b.data(), b.size());
  Block out;
  impl_->mac.Final(out.data());
  return out;
}

struct Aes::Impl {
  CryptoPP::AES::Encryption aes;
};

Aes::Aes() : impl_(std::make_unique<Impl>()) {}
Aes::~Aes() = default;

void Aes::setKey(const Aes128Key& key) {
  impl_->aes.SetKey(key.bytes().data(), 16);
}

Block Aes::encrypt(const Block& in) const {
  Block out;
  impl_->aes.ProcessBlock(in.data(), out.data());
  return out;
}

}  // namespace lorawan::crypto
