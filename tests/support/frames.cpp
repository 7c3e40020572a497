#include "support/frames.hpp"

#include <cstdio>

#include "lorawan/base64.hpp"
#include "lorawan/phy_payload.hpp"
#include "lorawan/security.hpp"

namespace testsupport {

using namespace lorawan;

Bytes buildUplink(const AbpDevice& d, uint32_t fcnt, uint8_t fport, const Bytes& plain,
                  bool confirmed, const Bytes& fopts, bool adr) {
  PhyPayload phy;
  phy.mhdr.mtype = confirmed ? MType::ConfirmedDataUp : MType::UnconfirmedDataUp;
  MacPayload m;
  m.fhdr.devAddr = d.devAddr;
  m.fhdr.fcnt = uint16_t(fcnt);
  m.fhdr.fopts = fopts;
  m.fhdr.fctrl.adr = adr;
  m.fport = fport;
  const Aes128Key& k = fport == 0 ? d.nwkSKey : d.appSKey;
  m.frmPayload = cryptFrmPayload(k, Direction::Uplink, d.devAddr, fcnt, plain);
  phy.payload = m;
  Bytes bytes = serialize(phy);
  Mic mic = dataMic10(d.nwkSKey, Direction::Uplink, d.devAddr, fcnt, micInput(bytes));
  std::copy(mic.begin(), mic.end(), bytes.end() - 4);
  return bytes;
}

Bytes buildJoinRequest(const Aes128Key& key, Eui64 joinEui, Eui64 devEui, uint16_t devNonce) {
  PhyPayload phy;
  phy.mhdr.mtype = MType::JoinRequest;
  phy.payload = JoinRequestPayload{joinEui, devEui, devNonce};
  Bytes b = serialize(phy);
  Mic mic = joinRequestMic(key, micInput(b));
  std::copy(mic.begin(), mic.end(), b.end() - 4);
  return b;
}

std::string rxpkJson(const Bytes& phy, uint32_t tmst, double rssi, double snr, double freqMhz,
                     int chan) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                R"({"tmst":%u,"chan":%d,"rfch":0,"freq":%.6f,"stat":1,"modu":"LORA",)"
                R"("datr":"SF7BW125","codr":"4/5","rssi":%.0f,"lsnr":%.1f,"size":%zu,"data":")",
                tmst, chan, freqMhz, rssi, snr, phy.size());
  return std::string(buf) + base64Encode(phy) + "\"}";
}

std::string pushBody(const Bytes& phy, uint32_t tmst, double rssi, double snr) {
  return R"({"rxpk":[)" + rxpkJson(phy, tmst, rssi, snr) + "]}";
}

}  // namespace testsupport
