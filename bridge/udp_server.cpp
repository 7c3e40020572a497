#include "bridge/udp_server.hpp"

#include "bridge/log.hpp"

namespace bridge {

namespace asio = boost::asio;
using asio::ip::udp;
using namespace lorawan;

UdpServer::UdpServer(asio::io_context& ioc, const udp::endpoint& listen, GatewayRegistry& gateways,
                     Metrics& metrics, RxHandler onRx, AfterDatagram after, TxAckHandler onTxAck)
    : socket_(ioc),
      gateways_(gateways),
      metrics_(metrics),
      onRx_(std::move(onRx)),
      after_(std::move(after)),
      onTxAck_(std::move(onTxAck)) {
  socket_.open(listen.protocol());
  socket_.bind(listen);
  // Bursts from many gateways: a larger kernel buffer absorbs them instead of dropping.
  boost::system::error_code ec;
  socket_.set_option(asio::socket_base::receive_buffer_size(4 << 20), ec);
}

void UdpServer::close() {
  boost::system::error_code ec;
  socket_.close(ec);
}

void UdpServer::receive() {
  socket_.async_receive_from(asio::buffer(buffer_), from_, [this](boost::system::error_code ec, size_t n) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) handle(std::span<const uint8_t>(buffer_.data(), n));
    else metrics_.inc("udp_receive_errors_total");
    receive();
  });
}

void UdpServer::sendTo(const udp::endpoint& to, std::span<const uint8_t> bytes) {
  boost::system::error_code ec;
  socket_.send_to(asio::buffer(bytes.data(), bytes.size()), to, 0, ec);
  if (ec) {
    metrics_.inc("udp_send_errors_total");
    log::warn("udp_send_failed", {{"to", to.address().to_string() + ":" + std::to_string(to.port())},
                                  {"error", ec.message()}});
  }
}

void UdpServer::invalid(const std::string& reason, const std::string& detail) {
  metrics_.inc("udp_datagrams_invalid_total{reason=\"" + reason + "\"}");
  log::warn("udp_datagram_invalid",
            {{"from", from_.address().to_string() + ":" + std::to_string(from_.port())},
             {"reason", reason}, {"detail", detail}});
}

void UdpServer::handle(std::span<const uint8_t> bytes) {
  metrics_.inc("udp_datagrams_total");
  auto dg = semtech::parseDatagram(bytes);
  if (!dg) {
    invalid(dg.error().field, dg.error().toString());
    return;
  }
  switch (dg->identifier) {
    case semtech::Identifier::PushData: {
      auto ack = semtech::makeAck(dg->version, dg->token, semtech::Identifier::PushAck);
      sendTo(from_, ack);
      gateways_.onPush(*dg->gatewayEui, from_, dg->version);
      auto pd = parser_.parse(dg->json);
      if (!pd) {
        invalid(pd.error().field == "PUSH_DATA" ? "json" : pd.error().field,
                "gateway " + dg->gatewayEui->toString() + ": " + pd.error().toString());
        return;
      }
      if (pd->hasStat) gateways_.onStat(*dg->gatewayEui, std::move(pd->statJson));
      for (auto& rx : pd->rxpk) {
        if (!rx) {
          invalid("rxpk", "gateway " + dg->gatewayEui->toString() + ": " + rx.error().toString());
          continue;
        }
        onRx_(*dg->gatewayEui, std::move(*rx));
      }
      if (after_) after_();
      break;
    }
    case semtech::Identifier::PullData: {
      auto ack = semtech::makeAck(dg->version, dg->token, semtech::Identifier::PullAck);
      sendTo(from_, ack);
      gateways_.onPull(*dg->gatewayEui, from_, dg->version);
      metrics_.inc("udp_pull_data_total");
      break;
    }
    case semtech::Identifier::TxAck: {
      auto ack = semtech::parseTxAck(dg->json);
      if (!ack) {
        invalid("tx_ack", ack.error().toString());
        return;
      }
      metrics_.inc("tx_acks_total{error=\"" + ack->error + "\"}");
      if (onTxAck_) onTxAck_(*dg->gatewayEui, dg->token, ack->error);
      break;
    }
    default:
      // PUSH_ACK, PULL_ACK and PULL_RESP only ever travel from us to gateways.
      invalid("identifier", std::string("unexpected ") + semtech::toString(dg->identifier) + " from a gateway");
  }
}

}  // namespace bridge
