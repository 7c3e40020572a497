#include "lorawan/device_frames.hpp"

#include <algorithm>

#include "lorawan/phy_payload.hpp"
#include "lorawan/security.hpp"

namespace lorawan {

Bytes buildDataUplink(const AbpSession& s, const UplinkSpec& u) {
  PhyPayload phy;
  phy.mhdr.mtype = u.confirmed ? MType::ConfirmedDataUp : MType::UnconfirmedDataUp;
  MacPayload m;
  m.fhdr.devAddr = s.devAddr;
  m.fhdr.fcnt = uint16_t(u.fcnt);
  m.fhdr.fopts = u.fopts;
  m.fhdr.fctrl.adr = u.adr;
  m.fport = u.fport;
  const Aes128Key& k = u.fport == 0 ? s.nwkSKey : s.appSKey;
  m.frmPayload = cryptFrmPayload(k, Direction::Uplink, s.devAddr, u.fcnt, u.payload);
  phy.payload = m;
  Bytes bytes = serialize(phy);
  const Mic mic = dataMic10(s.nwkSKey, Direction::Uplink, s.devAddr, u.fcnt, micInput(bytes));
  std::copy(mic.begin(), mic.end(), bytes.end() - 4);
  return bytes;
}

Bytes buildJoinRequest(const Aes128Key& key, Eui64 joinEui, Eui64 devEui, uint16_t devNonce) {
  PhyPayload phy;
  phy.mhdr.mtype = MType::JoinRequest;
  phy.payload = JoinRequestPayload{joinEui, devEui, devNonce};
  Bytes b = serialize(phy);
  const Mic mic = joinRequestMic(key, micInput(b));
  std::copy(mic.begin(), mic.end(), b.end() - 4);
  return b;
}

}  // namespace lorawan
