// The registry's compact form must give back exactly the interfaces it was given, find them by
// every key after removals and slot reuse, and keep a million devices small.
#include "bridge/network/session_registry.hpp"

#include <gtest/gtest.h>

#include <set>

#include "bridge/store/sqlite_store.hpp"
#include "support/devices.hpp"
#include "support/temp_dir.hpp"

namespace bridge {
namespace {

using lorawan::Aes128Key;
using lorawan::DevAddr;
using lorawan::Eui64;

std::string uuid(uint32_t i) {
  char buf[40];
  snprintf(buf, sizeof buf, "%08x-0000-4000-8000-000000000000", i);
  return buf;
}

Aes128Key key(uint32_t i) {
  std::array<uint8_t, 16> b{};
  for (int k = 0; k < 4; ++k) b[size_t(k)] = uint8_t(i >> (8 * k));
  b[15] = 0x5A;
  return Aes128Key(b);
}

config::Interface abp(uint32_t i, const std::string& device, DevAddr addr) {
  return testsupport::abpInterface(uuid(i), device, {addr, key(i), key(i + 1)});
}

config::Interface otaa(uint32_t i, const std::string& device, Eui64 devEui) {
  config::Interface itf;
  itf.id = uuid(i);
  itf.deviceIdOrSlug = device;
  itf.opts.deviceType = config::DeviceType::Otaa;
  itf.opts.deviceEui = devEui;
  itf.opts.joinEui = Eui64(0x70B3D57ED0000000);
  itf.opts.deviceKey = key(i);
  itf.opts.macVersion = "1.1";
  itf.opts.networkKey = key(i + 7);
  return itf;
}

class RegistryTest : public ::testing::Test {
 protected:
  testsupport::TempDir dir;
  std::unique_ptr<SqliteStore> store = SqliteStore::open(dir.file("state.db")).value();
  SessionRegistry sessions;
};

TEST_F(RegistryTest, GivesBackTheInterfacesItWasGiven) {
  config::Interface a = abp(1, "cellar", DevAddr(0x26000001));
  a.driverInstanceId = "driver-7";
  a.tags = {"north", "basement"};
  a.opts.enabled = false;
  a.opts.managed = false;
  a.opts.adr = true;
  a.opts.macVersion = "1.0.4";
  a.opts.duplicateFramecounterAllowed = true;
  a.opts.deviceEui = Eui64(0x0102030405060708);
  a.codec.type = "cayenne_lpp";
  a.origin = "bridge.yaml:12";
  config::Interface o = otaa(2, "door", Eui64(0xAABBCCDDEEFF0011));
  o.opts.deviceAddress = DevAddr(0x26000099);  // configured on an OTAA one: kept, never a session
  o.origin = "api";
  sessions.load({a, o}, *store);

  const config::Interface back = sessions.find(a.id)->toInterface();
  EXPECT_EQ(back.id, a.id);
  EXPECT_EQ(back.deviceIdOrSlug, "cellar");
  EXPECT_EQ(back.driverInstanceId, "driver-7");
  EXPECT_EQ(back.tags, a.tags);
  EXPECT_EQ(back.codec, a.codec);
  EXPECT_FALSE(back.opts.enabled);
  EXPECT_FALSE(back.opts.managed);
  EXPECT_TRUE(back.opts.adr);
  EXPECT_TRUE(back.opts.duplicateFramecounterAllowed);
  EXPECT_EQ(back.opts.macVersion, "1.0.4");
  EXPECT_EQ(back.opts.deviceEui, a.opts.deviceEui);
  EXPECT_EQ(back.opts.deviceAddress, a.opts.deviceAddress);
  EXPECT_EQ(back.opts.networkSessionKey, a.opts.networkSessionKey);
  EXPECT_EQ(back.opts.appSessionKey, a.opts.appSessionKey);
  EXPECT_NE(back.origin, "api");

  const config::Interface ob = sessions.find(o.id)->toInterface();
  EXPECT_EQ(ob.opts.deviceType, config::DeviceType::Otaa);
  EXPECT_EQ(ob.opts.deviceKey, o.opts.deviceKey);
  EXPECT_EQ(ob.opts.networkKey, o.opts.networkKey);
  EXPECT_EQ(ob.opts.joinEui, o.opts.joinEui);
  EXPECT_EQ(ob.opts.deviceAddress, o.opts.deviceAddress);
  EXPECT_FALSE(ob.opts.networkSessionKey);
  EXPECT_EQ(ob.origin, "api");
  EXPECT_EQ(sessions.size(), 1u);  // the OTAA one has not joined
  EXPECT_EQ(sessions.interfaceCount(), 2u);
  EXPECT_TRUE(sessions.byDevAddr(DevAddr(0x26000099)).empty());
  EXPECT_EQ(sessions.otaaByDevEui(Eui64(0xAABBCCDDEEFF0011)), sessions.find(o.id));
}

TEST_F(RegistryTest, FindsEveryKeyAfterRemovalsAndReuse) {
  std::vector<config::Interface> all;
  // 3000 interfaces on 1000 devices; every DevAddr shared by three of them.
  for (uint32_t i = 0; i < 3000; ++i)
    all.push_back(abp(i, "dev-" + std::to_string(i % 1000), DevAddr(0x26000000 + i % 1000)));
  sessions.load(all, *store);
  for (uint32_t i = 0; i < 3000; i += 2) sessions.remove(uuid(i));  // every other one
  for (uint32_t i = 3000; i < 4500; ++i)                            // reuse the slots
    sessions.upsert(abp(i, "new-" + std::to_string(i), DevAddr(0x27000000 + i)), *store);

  for (uint32_t i = 0; i < 3000; ++i) {
    Session* s = sessions.find(uuid(i));
    if (i % 2 == 0) {
      EXPECT_EQ(s, nullptr) << i;
      continue;
    }
    ASSERT_NE(s, nullptr) << i;
    EXPECT_EQ(s->device, "dev-" + std::to_string(i % 1000));
    EXPECT_EQ(s->nwkSKey, key(i));
    auto c = sessions.byDevAddr(DevAddr(0x26000000 + i % 1000));
    EXPECT_NE(std::find(c.begin(), c.end(), s), c.end()) << i;
    for (Session* other : c) EXPECT_EQ(other->devAddr, s->devAddr);
  }
  for (uint32_t i = 3000; i < 4500; ++i) {
    Session* s = sessions.find(uuid(i));
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(sessions.anyOfDevice("new-" + std::to_string(i)), s);
    ASSERT_EQ(sessions.byDevAddr(DevAddr(0x27000000 + i)).size(), 1u);
  }
  // dev-1 had interfaces 1, 1001 and 2001 (all odd: kept), sorted by id.
  auto of = sessions.ofDevice("dev-1");
  ASSERT_EQ(of.size(), 3u);
  EXPECT_TRUE(std::is_sorted(of.begin(), of.end(),
                             [](Session* a, Session* b) { return a->id.view() < b->id.view(); }));
  // dev-0 had 0, 1000 and 2000: all gone, and so is the device.
  EXPECT_TRUE(sessions.ofDevice("dev-0").empty());
  EXPECT_EQ(sessions.anyOfDevice("dev-0"), nullptr);
  EXPECT_EQ(sessions.interfaceCount(), 3000u);
  std::set<std::string> seen;
  sessions.forEach([&](const Session& s) { seen.insert(s.id.str()); });
  EXPECT_EQ(seen.size(), 3000u);
}

TEST_F(RegistryTest, AJoinMovesTheSessionToItsNewDevAddr) {
  sessions.load({otaa(5, "door", Eui64(0x1122))}, *store);
  Session& s = *sessions.otaaByDevEui(Eui64(0x1122));
  JoinedSession k{DevAddr(0x26AA0001), true, key(1), key(2), key(3), key(4)};
  sessions.join(s, k);
  ASSERT_EQ(sessions.byDevAddr(DevAddr(0x26AA0001)).size(), 1u);
  EXPECT_EQ(s.sNwkSIntKey(), key(2));
  EXPECT_EQ(s.nwkSEncKey(), key(3));
  s.fcnt = FCntState{s.devAddr, 9, 0, 0};
  k.devAddr = DevAddr(0x26AA0002);
  sessions.join(s, k);
  EXPECT_TRUE(sessions.byDevAddr(DevAddr(0x26AA0001)).empty());
  EXPECT_EQ(sessions.byDevAddr(DevAddr(0x26AA0002)).size(), 1u);
  EXPECT_FALSE(s.fcnt);  // a new session counts from scratch
  EXPECT_EQ(sessions.size(), 1u);
}

TEST_F(RegistryTest, ASessionOverAnAbpInterfaceLeavesItsConfiguredKeysAsTheyWere) {
  const config::Interface a = abp(7, "cellar", DevAddr(0x26000007));
  sessions.load({a}, *store);
  Session& s = *sessions.find(a.id);
  sessions.join(s, JoinedSession{DevAddr(0x26BB0001), false, key(50), key(50), key(50), key(51)});
  EXPECT_EQ(s.nwkSKey, key(50));
  const config::Interface back = s.toInterface();
  EXPECT_EQ(back.opts.deviceAddress, a.opts.deviceAddress);
  EXPECT_EQ(back.opts.networkSessionKey, a.opts.networkSessionKey);
  EXPECT_EQ(back.opts.appSessionKey, a.opts.appSessionKey);
}

TEST_F(RegistryTest, InterfacesOfOneFileShareOneProfile) {
  std::vector<config::Interface> all;
  for (uint32_t i = 0; i < 100; ++i) {
    all.push_back(abp(i, "d" + std::to_string(i), DevAddr(0x26000000 + i)));
    all.back().origin = "fleet.json interfaces[" + std::to_string(i) + "]";
  }
  sessions.load(all, *store);
  EXPECT_EQ(sessions.find(uuid(0))->profile, sessions.find(uuid(99))->profile);
}

TEST(SlotIndex, ProbesPastErasedSlotsAndGrows) {
  SlotIndex idx;
  std::vector<uint64_t> hashes;
  auto hashOf = [&](uint32_t slot) { return hashes[slot]; };
  for (uint32_t i = 0; i < 10000; ++i) {
    hashes.push_back(i % 7 == 0 ? 42 : i * 0x9E3779B97F4A7C15ULL);  // one long chain
    idx.insert(hashes.back(), i, hashOf);
  }
  for (uint32_t i = 0; i < 10000; i += 3) ASSERT_TRUE(idx.erase(hashes[i], i));
  EXPECT_FALSE(idx.erase(hashes[0], 0));
  for (uint32_t i = 0; i < 10000; ++i) {
    bool found = false;
    idx.probe(hashes[i], [&](uint32_t s) {
      found = found || s == i;
      return true;
    });
    EXPECT_EQ(found, i % 3 != 0) << i;
  }
  EXPECT_EQ(idx.size(), 10000u - 3334u);
}

}  // namespace
}  // namespace bridge
