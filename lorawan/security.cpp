#include "lorawan/security.hpp"

#include <cstring>

#include "lorawan/crypto.hpp"

namespace lorawan {
namespace {

using crypto::Block;

// The B0/Ai layout shared by MIC and encryption blocks: 0xXX | 4 bytes | Dir | DevAddr | FCnt.
Block counterBlock(uint8_t first, Direction dir, DevAddr addr, uint32_t fcnt) {
  Block b{};
  b[0] = first;
  b[5] = uint8_t(dir);
  addr.toLe(&b[6]);
  for (int i = 0; i < 4; ++i) b[size_t(10 + i)] = uint8_t(fcnt >> (8 * i));
  return b;
}

Mic first4(const Block& b) {
  return {b[0], b[1], b[2], b[3]};
}

Aes128Key keyFrom(const Block& b) {
  return Aes128Key(b);
}

}  // namespace

Mic dataMic10(const Aes128Key& nwkSKey, Direction dir, DevAddr addr, uint32_t fcnt,
              std::span<const uint8_t> msg) {
  crypto::Cmac mac;
  return dataMic10(mac, nwkSKey, dir, addr, fcnt, msg);
}

Mic dataMic10(crypto::Cmac& mac, const Aes128Key& nwkSKey, Direction dir, DevAddr addr,
              uint32_t fcnt, std::span<const uint8_t> msg) {
  Block b0 = counterBlock(0x49, dir, addr, fcnt);
  b0[15] = uint8_t(msg.size());
  return first4(mac.compute(nwkSKey, b0, msg));
}

Mic uplinkMic11(const Aes128Key& sNwkSIntKey, const Aes128Key& fNwkSIntKey, uint16_t confFCnt,
                uint8_t txDr, uint8_t txCh, DevAddr addr, uint32_t fcnt,
                std::span<const uint8_t> msg) {
  Block b0 = counterBlock(0x49, Direction::Uplink, addr, fcnt);
  b0[15] = uint8_t(msg.size());
  Block b1 = b0;
  b1[1] = uint8_t(confFCnt);
  b1[2] = uint8_t(confFCnt >> 8);
  b1[3] = txDr;
  b1[4] = txCh;
  Block cmacS = crypto::cmac(sNwkSIntKey, b1, msg);
  Block cmacF = crypto::cmac(fNwkSIntKey, b0, msg);
  return {cmacS[0], cmacS[1], cmacF[0], cmacF[1]};
}

Mic downlinkMic11(const Aes128Key& sNwkSIntKey, uint16_t confFCnt, DevAddr addr, uint32_t fcnt,
                  std::span<const uint8_t> msg) {
  Block b0 = counterBlock(0x49, Direction::Downlink, addr, fcnt);
  b0[1] = uint8_t(confFCnt);
  b0[2] = uint8_t(confFCnt >> 8);
  b0[15] = uint8_t(msg.size());
  return first4(crypto::cmac(sNwkSIntKey, b0, msg));
}

Bytes cryptFrmPayload(const Aes128Key& key, Direction dir, DevAddr addr, uint32_t fcnt,
                      std::span<const uint8_t> data) {
  crypto::Aes aes;
  return cryptFrmPayload(aes, key, dir, addr, fcnt, data);
}

Bytes cryptFrmPayload(crypto::Aes& aes, const Aes128Key& key, Direction dir, DevAddr addr,
                      uint32_t fcnt, std::span<const uint8_t> data) {
  Bytes out(data.begin(), data.end());
  if (out.empty()) return out;
  aes.setKey(key);
  Block a = counterBlock(0x01, dir, addr, fcnt);
  for (size_t off = 0, i = 1; off < out.size(); off += 16, ++i) {
    a[15] = uint8_t(i);
    Block s = aes.encrypt(a);
    for (size_t j = 0; j < 16 && off + j < out.size(); ++j) out[off + j] ^= s[j];
  }
  return out;
}

Bytes cryptFOpts11(const Aes128Key& nwkSEncKey, Direction dir, DevAddr addr, uint32_t fcnt,
                   std::span<const uint8_t> fopts, bool aFCntDown, FOptsScheme scheme) {
  Block a = counterBlock(0x01, dir, addr, fcnt);
  if (scheme == FOptsScheme::Errata1_1) {
    a[4] = aFCntDown ? 0x02 : 0x01;
    a[15] = 0x01;
  }
  Block s = crypto::aesEncrypt(nwkSEncKey, a);
  Bytes out(fopts.begin(), fopts.end());
  for (size_t j = 0; j < out.size() && j < 16; ++j) out[j] ^= s[j];
  return out;
}

Mic joinRequestMic(const Aes128Key& key, std::span<const uint8_t> msg) {
  return first4(crypto::cmac(key, msg));
}

Mic joinAcceptMic10(const Aes128Key& appKey, std::span<const uint8_t> msg) {
  return first4(crypto::cmac(appKey, msg));
}

Mic joinAcceptMic11(const Aes128Key& jsIntKey, uint8_t joinReqType, Eui64 joinEui,
                    uint16_t devNonce, std::span<const uint8_t> msg) {
  std::array<uint8_t, 11> prefix{};
  prefix[0] = joinReqType;
  joinEui.toLe(&prefix[1]);
  prefix[9] = uint8_t(devNonce);
  prefix[10] = uint8_t(devNonce >> 8);
  return first4(crypto::cmac(jsIntKey, prefix, msg));
}

static Bytes ecb(const Aes128Key& key, std::span<const uint8_t> in, bool encrypt) {
  if (in.size() % 16 != 0) return {};
  Bytes out(in.size());
  for (size_t off = 0; off < in.size(); off += 16) {
    Block b;
    std::memcpy(b.data(), in.data() + off, 16);
    Block r = encrypt ? crypto::aesEncrypt(key, b) : crypto::aesDecrypt(key, b);
    std::memcpy(out.data() + off, r.data(), 16);
  }
  return out;
}

Bytes encryptJoinAccept(const Aes128Key& key, std::span<const uint8_t> payloadAndMic) {
  return ecb(key, payloadAndMic, /*encrypt=*/false);
}

Bytes decryptJoinAccept(const Aes128Key& key, std::span<const uint8_t> payloadAndMic) {
  return ecb(key, payloadAndMic, /*encrypt=*/true);
}

namespace {
Block nonceBlock10(uint8_t type, uint32_t joinNonce, NetId netId, uint16_t devNonce) {
  Block b{};
  b[0] = type;
  for (int i = 0; i < 3; ++i) b[size_t(1 + i)] = uint8_t(joinNonce >> (8 * i));
  netId.toLe(&b[4]);
  b[7] = uint8_t(devNonce);
  b[8] = uint8_t(devNonce >> 8);
  return b;
}
Block nonceBlock11(uint8_t type, uint32_t joinNonce, Eui64 joinEui, uint16_t devNonce) {
  Block b{};
  b[0] = type;
  for (int i = 0; i < 3; ++i) b[size_t(1 + i)] = uint8_t(joinNonce >> (8 * i));
  joinEui.toLe(&b[4]);
  b[12] = uint8_t(devNonce);
  b[13] = uint8_t(devNonce >> 8);
  return b;
}
}  // namespace

SessionKeys10 deriveSessionKeys10(const Aes128Key& appKey, uint32_t joinNonce, NetId netId,
                                  uint16_t devNonce) {
  return {keyFrom(crypto::aesEncrypt(appKey, nonceBlock10(0x01, joinNonce, netId, devNonce))),
          keyFrom(crypto::aesEncrypt(appKey, nonceBlock10(0x02, joinNonce, netId, devNonce)))};
}

SessionKeys11 deriveSessionKeys11(const Aes128Key& nwkKey, const Aes128Key& appKey,
                                  uint32_t joinNonce, Eui64 joinEui, uint16_t devNonce) {
  auto k = [&](const Aes128Key& root, uint8_t type) {
    return keyFrom(crypto::aesEncrypt(root, nonceBlock11(type, joinNonce, joinEui, devNonce)));
  };
  return {k(nwkKey, 0x01), k(nwkKey, 0x03), k(nwkKey, 0x04), k(appKey, 0x02)};
}

static Aes128Key jsKey(const Aes128Key& nwkKey, uint8_t type, Eui64 devEui) {
  Block b{};
  b[0] = type;
  devEui.toLe(&b[1]);
  return keyFrom(crypto::aesEncrypt(nwkKey, b));
}
Aes128Key deriveJsIntKey(const Aes128Key& nwkKey, Eui64 devEui) {
  return jsKey(nwkKey, 0x06, devEui);
}
Aes128Key deriveJsEncKey(const Aes128Key& nwkKey, Eui64 devEui) {
  return jsKey(nwkKey, 0x05, devEui);
}

}  // namespace lorawan
