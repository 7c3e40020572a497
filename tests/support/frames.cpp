#include "support/frames.hpp"

#include <cstdio>

#include "lorawan/base64.hpp"
#include "lorawan/device_frames.hpp"
#include "lorawan/semtech_udp.hpp"

namespace testsupport {

using namespace lorawan;

Bytes buildUplink(const AbpDevice& d, uint32_t fcnt, uint8_t fport, const Bytes& plain,
                  bool confirmed, const Bytes& fopts, bool adr) {
  return buildDataUplink({d.devAddr, d.nwkSKey, d.appSKey},
                         {fcnt, fport, plain, confirmed, fopts, adr});
}

Bytes buildJoinRequest(const Aes128Key& key, Eui64 joinEui, Eui64 devEui, uint16_t devNonce) {
  return lorawan::buildJoinRequest(key, joinEui, devEui, devNonce);
}

std::string rxpkJson(const Bytes& phy, uint32_t tmst, double rssi, double snr, double freqMhz,
                     int chan) {
  semtech::RxPacket rx;
  rx.tmst = tmst;
  rx.channel = chan;
  rx.frequencyHz = uint64_t(freqMhz * 1e6 + 0.5);
  rx.dataRate = "SF7BW125";
  rx.rssi = rssi;
  rx.snr = snr;
  rx.phyPayload = phy;
  return semtech::rxpkJson(rx);
}

std::string pushBody(const Bytes& phy, uint32_t tmst, double rssi, double snr) {
  return R"({"rxpk":[)" + rxpkJson(phy, tmst, rssi, snr) + "]}";
}

}  // namespace testsupport
