#include "lorawan/join_accept.hpp"

#include <algorithm>

#include "lorawan/byte_reader.hpp"
#include "lorawan/security.hpp"

namespace lorawan {

Bytes serialize(const JoinAcceptPayload& ja) {
  Bytes out;
  out.reserve(28);
  for (int i = 0; i < 3; ++i) out.push_back(uint8_t(ja.joinNonce >> (8 * i)));
  uint8_t b[4];
  ja.netId.toLe(b);
  out.insert(out.end(), b, b + 3);
  ja.devAddr.toLe(b);
  out.insert(out.end(), b, b + 4);
  out.push_back(ja.dlSettings.toByte());
  out.push_back(ja.rxDelay);
  if (ja.cfList) out.insert(out.end(), ja.cfList->begin(), ja.cfList->end());
  return out;
}

std::expected<JoinAcceptPayload, ParseError> parseJoinAcceptPayload(std::span<const uint8_t> b) {
  if (b.size() != 12 && b.size() != 28)
    return std::unexpected(
        ParseError{"JoinAccept", "payload length " + std::to_string(b.size()) + ", want 12 or 28"});
  ByteReader r(b);
  JoinAcceptPayload ja;
  ja.joinNonce = *r.u24le();
  ja.netId = NetId::fromLe(r.bytes(3)->first<3>());
  ja.devAddr = DevAddr::fromLe(r.bytes(4)->first<4>());
  ja.dlSettings = DlSettings::fromByte(*r.u8());
  ja.rxDelay = *r.u8();
  if (r.remaining() == 16) {
    std::array<uint8_t, 16> cf;
    auto s = r.bytes(16);
    std::copy(s->begin(), s->end(), cf.begin());
    ja.cfList = cf;
  }
  return ja;
}

namespace {
constexpr uint8_t kJoinAcceptMhdr = uint8_t(MType::JoinAccept) << 5;

Bytes seal(const Bytes& clear, const Mic& mic, const Aes128Key& encKey) {
  Bytes payloadAndMic(clear.begin() + 1, clear.end());
  payloadAndMic.insert(payloadAndMic.end(), mic.begin(), mic.end());
  Bytes out{kJoinAcceptMhdr};
  Bytes enc = encryptJoinAccept(encKey, payloadAndMic);
  out.insert(out.end(), enc.begin(), enc.end());
  return out;
}
}  // namespace

Bytes buildJoinAccept10(const JoinAcceptPayload& ja, const Aes128Key& appKey) {
  Bytes clear{kJoinAcceptMhdr};
  Bytes p = serialize(ja);
  clear.insert(clear.end(), p.begin(), p.end());
  return seal(clear, joinAcceptMic10(appKey, clear), appKey);
}

Bytes buildJoinAccept11(const JoinAcceptPayload& ja, const Aes128Key& jsIntKey,
                        const Aes128Key& encKey, uint8_t joinReqType, Eui64 joinEui,
                        uint16_t devNonce) {
  Bytes clear{kJoinAcceptMhdr};
  Bytes p = serialize(ja);
  clear.insert(clear.end(), p.begin(), p.end());
  return seal(clear, joinAcceptMic11(jsIntKey, joinReqType, joinEui, devNonce, clear), encKey);
}

std::expected<DecryptedJoinAccept, ParseError> openJoinAccept(std::span<const uint8_t> phy,
                                                              const Aes128Key& key) {
  if (phy.size() != 17 && phy.size() != 33)
    return std::unexpected(ParseError{
        "JoinAccept", "length " + std::to_string(phy.size()) + ", want 17 or 33 (with CFList)"});
  if (Mhdr::fromByte(phy[0]).mtype != MType::JoinAccept)
    return std::unexpected(ParseError{"MHDR", "not a JoinAccept"});
  Bytes clear = decryptJoinAccept(key, phy.subspan(1));
  DecryptedJoinAccept d;
  auto ja = parseJoinAcceptPayload(std::span(clear).first(clear.size() - 4));
  if (!ja) return std::unexpected(ja.error());
  d.payload = *ja;
  std::copy(clear.end() - 4, clear.end(), d.mic.begin());
  d.micInput.push_back(phy[0]);
  d.micInput.insert(d.micInput.end(), clear.begin(), clear.end() - 4);
  return d;
}

}  // namespace lorawan
