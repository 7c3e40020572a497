#pragma once
// Opens, binds and listens an acceptor on host:port (port 0 picks a free one), address reuse on:
// the API server's and the platform double's. Throws boost::system::system_error naming the
// failure (address in use, not an IP address).
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <string>

namespace bridge {

inline void listenOn(boost::asio::ip::tcp::acceptor& acceptor, const std::string& host,
                     uint16_t port) {
  const boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address(host), port);
  acceptor.open(ep.protocol());
  acceptor.set_option(boost::asio::socket_base::reuse_address(true));
  acceptor.bind(ep);
  acceptor.listen();
}

}  // namespace bridge
