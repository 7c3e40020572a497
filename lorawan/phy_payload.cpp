#include "lorawan/phy_payload.hpp"

#include <string>

#include "lorawan/byte_reader.hpp"

namespace lorawan {
namespace {

std::unexpected<ParseError> fail(std::string field, std::string message) {
  return std::unexpected(ParseError{std::move(field), std::move(message)});
}

std::string n(size_t v) {
  return std::to_string(v);
}

void putU16(Bytes& out, uint16_t v) {
  out.push_back(uint8_t(v));
  out.push_back(uint8_t(v >> 8));
}

void putEui(Bytes& out, Eui64 e) {
  uint8_t b[8];
  e.toLe(b);
  out.insert(out.end(), b, b + 8);
}

uint8_t fctrlByte(const FCtrl& f, bool uplink, size_t foptsLen) {
  uint8_t b = uint8_t(foptsLen & 0x0F);
  if (f.adr) b |= 0x80;
  if (f.ack) b |= 0x20;
  if (uplink) {
    if (f.adrAckReq) b |= 0x40;
    if (f.classB) b |= 0x10;
  } else {
    if (f.rfu) b |= 0x40;
    if (f.fPending) b |= 0x10;
  }
  return b;
}

FCtrl parseFCtrl(uint8_t b, bool uplink) {
  FCtrl f;
  f.adr = b & 0x80;
  f.ack = b & 0x20;
  if (uplink) {
    f.adrAckReq = b & 0x40;
    f.classB = b & 0x10;
  } else {
    f.rfu = b & 0x40;
    f.fPending = b & 0x10;
  }
  return f;
}

std::expected<MacPayload, ParseError> parseMacPayload(ByteReader& r, bool uplink) {
  MacPayload m;
  auto addr = r.bytes(4);
  auto fctrl = r.u8();
  auto fcnt = r.u16le();
  if (!addr || !fctrl || !fcnt) return fail("FHDR", "truncated: need 7 bytes");
  m.fhdr.devAddr = DevAddr::fromLe(addr->first<4>());
  m.fhdr.fctrl = parseFCtrl(*fctrl, uplink);
  m.fhdr.fcnt = *fcnt;
  size_t foptsLen = *fctrl & 0x0F;
  if (r.remaining() < foptsLen + 4)
    return fail("FOpts", "length " + n(foptsLen) + " exceeds remaining " +
                             n(r.remaining() >= 4 ? r.remaining() - 4 : 0) + " bytes");
  auto fopts = r.bytes(foptsLen);
  m.fhdr.fopts.assign(fopts->begin(), fopts->end());
  if (r.remaining() > 4) {
    m.fport = *r.u8();
    auto frm = r.bytes(r.remaining() - 4);
    m.frmPayload.assign(frm->begin(), frm->end());
    if (*m.fport == 0 && foptsLen > 0)
      return fail("FPort", "0 (MAC commands in FRMPayload) while FOpts also carries " +
                               n(foptsLen) + " bytes");
  }
  return m;
}

}  // namespace

const char* toString(MType t) {
  switch (t) {
    case MType::JoinRequest:
      return "JoinRequest";
    case MType::JoinAccept:
      return "JoinAccept";
    case MType::UnconfirmedDataUp:
      return "UnconfirmedDataUp";
    case MType::UnconfirmedDataDown:
      return "UnconfirmedDataDown";
    case MType::ConfirmedDataUp:
      return "ConfirmedDataUp";
    case MType::ConfirmedDataDown:
      return "ConfirmedDataDown";
    case MType::RejoinRequest:
      return "RejoinRequest";
    case MType::Proprietary:
      return "Proprietary";
  }
  return "?";
}

bool isUplink(MType t) {
  return t == MType::JoinRequest || t == MType::UnconfirmedDataUp || t == MType::ConfirmedDataUp ||
         t == MType::RejoinRequest;
}

bool isDataFrame(MType t) {
  return t == MType::UnconfirmedDataUp || t == MType::UnconfirmedDataDown ||
         t == MType::ConfirmedDataUp || t == MType::ConfirmedDataDown;
}

std::expected<PhyPayload, ParseError> parsePhyPayload(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return fail("MHDR", "frame is empty");
  if (bytes.size() > kMaxPhyPayloadSize)
    return fail("PHYPayload",
                n(bytes.size()) + " bytes exceeds the " + n(kMaxPhyPayloadSize) + "-byte maximum");
  ByteReader r(bytes);
  PhyPayload phy;
  phy.mhdr = Mhdr::fromByte(*r.u8());
  const MType t = phy.mhdr.mtype;
  if (t == MType::Proprietary) {
    auto rest = r.rest();
    phy.payload = ProprietaryPayload{Bytes(rest.begin(), rest.end())};
    return phy;
  }
  if (phy.mhdr.major != 0)
    return fail("MHDR", "major version " + n(phy.mhdr.major) + ", want 0 (LoRaWAN R1)");

  auto readMic = [&]() -> bool {
    auto m = r.bytes(4);
    if (!m) return false;
    std::copy(m->begin(), m->end(), phy.mic.begin());
    return true;
  };

  switch (t) {
    case MType::JoinRequest: {
      if (bytes.size() != 23) return fail("JoinRequest", "length " + n(bytes.size()) + ", want 23");
      JoinRequestPayload j;
      j.joinEui = Eui64::fromLe(r.bytes(8)->first<8>());
      j.devEui = Eui64::fromLe(r.bytes(8)->first<8>());
      j.devNonce = *r.u16le();
      readMic();
      phy.payload = j;
      return phy;
    }
    case MType::JoinAccept: {
      if (bytes.size() != 17 && bytes.size() != 33)
        return fail("JoinAccept", "length " + n(bytes.size()) + ", want 17 or 33 (with CFList)");
      auto rest = r.rest();
      phy.payload = EncryptedJoinAccept{Bytes(rest.begin(), rest.end())};
      return phy;
    }
    case MType::RejoinRequest: {
      auto type = r.u8();
      if (!type) return fail("RejoinType", "truncated");
      RejoinRequestPayload j;
      j.type = *type;
      if (j.type == 0 || j.type == 2) {
        if (bytes.size() != 19)
          return fail("RejoinRequest",
                      "type " + n(j.type) + " length " + n(bytes.size()) + ", want 19");
        j.netId = NetId::fromLe(r.bytes(3)->first<3>());
      } else if (j.type == 1) {
        if (bytes.size() != 24)
          return fail("RejoinRequest", "type 1 length " + n(bytes.size()) + ", want 24");
        j.joinEui = Eui64::fromLe(r.bytes(8)->first<8>());
      } else {
        return fail("RejoinType", n(j.type) + ", want 0, 1 or 2");
      }
      j.devEui = Eui64::fromLe(r.bytes(8)->first<8>());
      j.rjCount = *r.u16le();
      readMic();
      phy.payload = j;
      return phy;
    }
    default: {
      if (bytes.size() < 12)
        return fail("PHYPayload", "data frame of " + n(bytes.size()) + " bytes, need at least 12");
      auto m = parseMacPayload(r, isUplink(t));
      if (!m) return std::unexpected(m.error());
      readMic();
      phy.payload = std::move(*m);
      return phy;
    }
  }
}

Bytes serialize(const PhyPayload& phy) {
  Bytes out;
  out.reserve(64);
  out.push_back(phy.mhdr.toByte());
  bool withMic = true;
  std::visit(
      [&](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, JoinRequestPayload>) {
          putEui(out, p.joinEui);
          putEui(out, p.devEui);
          putU16(out, p.devNonce);
        } else if constexpr (std::is_same_v<T, EncryptedJoinAccept>) {
          out.insert(out.end(), p.ciphertext.begin(), p.ciphertext.end());
          withMic = false;
        } else if constexpr (std::is_same_v<T, RejoinRequestPayload>) {
          out.push_back(p.type);
          if (p.type == 1) {
            putEui(out, p.joinEui);
          } else {
            uint8_t b[3];
            p.netId.toLe(b);
            out.insert(out.end(), b, b + 3);
          }
          putEui(out, p.devEui);
          putU16(out, p.rjCount);
        } else if constexpr (std::is_same_v<T, ProprietaryPayload>) {
          out.insert(out.end(), p.data.begin(), p.data.end());
          withMic = false;
        } else {
          uint8_t a[4];
          p.fhdr.devAddr.toLe(a);
          out.insert(out.end(), a, a + 4);
          out.push_back(fctrlByte(p.fhdr.fctrl, isUplink(phy.mhdr.mtype), p.fhdr.fopts.size()));
          putU16(out, p.fhdr.fcnt);
          out.insert(out.end(), p.fhdr.fopts.begin(), p.fhdr.fopts.end());
          if (p.fport) {
            out.push_back(*p.fport);
            out.insert(out.end(), p.frmPayload.begin(), p.frmPayload.end());
          }
        }
      },
      phy.payload);
  if (withMic) out.insert(out.end(), phy.mic.begin(), phy.mic.end());
  return out;
}

std::expected<RoutingPeek, ParseError> peekRouting(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return fail("MHDR", "frame is empty");
  if (bytes.size() > kMaxPhyPayloadSize)
    return fail("PHYPayload",
                n(bytes.size()) + " bytes exceeds the " + n(kMaxPhyPayloadSize) + "-byte maximum");
  RoutingPeek p{MType(bytes[0] >> 5), std::nullopt, std::nullopt};
  if (isDataFrame(p.mtype)) {
    if (bytes.size() < 12)
      return fail("PHYPayload", "data frame of " + n(bytes.size()) + " bytes, need at least 12");
    p.devAddr = DevAddr::fromLe(bytes.subspan(1).first<4>());
  } else if (p.mtype == MType::JoinRequest) {
    if (bytes.size() != 23) return fail("JoinRequest", "length " + n(bytes.size()) + ", want 23");
    p.devEui = Eui64::fromLe(bytes.subspan(9).first<8>());
  }
  return p;
}

}  // namespace lorawan
