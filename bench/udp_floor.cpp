// The UDP floor of the end-to-end benchmark: receives datagrams with recvmmsg and answers each
// PUSH_DATA with its PUSH_ACK (PULL_DATA with PULL_ACK) by sendmmsg — nothing else. What a
// bridge could reach on this machine if it did no work. Counts go to stdout when it ends.
// Run: build/udp_floor PORT [SECONDS=30]   (127.0.0.1; PORT 0 prints the one it took)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>

namespace {
volatile std::sig_atomic_t gStop = 0;
void onSignal(int) {
  gStop = 1;
}
}  // namespace

int main(int argc, char** argv) {
  const int port = argc > 1 ? std::atoi(argv[1]) : 0;
  const double seconds = argc > 2 ? std::atof(argv[2]) : 30;
  std::signal(SIGTERM, onSignal);
  std::signal(SIGINT, onSignal);
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  int buf = 8 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::perror("bind");
    return 1;
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::printf("udp_floor: listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));
  std::fflush(stdout);

  constexpr unsigned kBatch = 64;
  static std::array<std::array<uint8_t, 2048>, kBatch> bufs;
  std::array<sockaddr_in, kBatch> from{};
  std::array<std::array<uint8_t, 4>, kBatch> acks{};
  unsigned long long datagrams = 0, answered = 0;
  const auto end = std::chrono::steady_clock::now() +
                   std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                       std::chrono::duration<double>(seconds));
  while (!gStop && std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    std::array<mmsghdr, kBatch> in{};
    std::array<iovec, kBatch> iov{};
    for (unsigned i = 0; i < kBatch; ++i) {
      iov[i] = {bufs[i].data(), bufs[i].size()};
      in[i].msg_hdr.msg_iov = &iov[i];
      in[i].msg_hdr.msg_iovlen = 1;
      in[i].msg_hdr.msg_name = &from[i];
      in[i].msg_hdr.msg_namelen = sizeof from[i];
    }
    const int n = ::recvmmsg(fd, in.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) continue;
    datagrams += unsigned(n);
    std::array<mmsghdr, kBatch> out{};
    std::array<iovec, kBatch> oiov{};
    unsigned m = 0;
    for (int i = 0; i < n; ++i) {
      const uint8_t* d = bufs[size_t(i)].data();
      if (in[size_t(i)].msg_len < 4 || (d[3] != 0 && d[3] != 2)) continue;  // PUSH/PULL_DATA
      acks[m] = {d[0], d[1], d[2], uint8_t(d[3] == 0 ? 1 : 4)};
      oiov[m] = {acks[m].data(), 4};
      out[m].msg_hdr.msg_iov = &oiov[m];
      out[m].msg_hdr.msg_iovlen = 1;
      out[m].msg_hdr.msg_name = &from[size_t(i)];
      out[m].msg_hdr.msg_namelen = in[size_t(i)].msg_hdr.msg_namelen;
      ++m;
    }
    if (m && ::sendmmsg(fd, out.data(), m, 0) > 0) answered += m;
  }
  std::printf("udp_floor: %llu datagrams, %llu answered\n", datagrams, answered);
  return 0;
}
