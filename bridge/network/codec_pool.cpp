#include "bridge/network/codec_pool.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <thread>
#include <vector>

#include "bridge/core/thread_name.hpp"

namespace bridge {

namespace asio = boost::asio;

struct CodecPool::Impl {
  struct Worker {
    asio::io_context ioc;
    asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(ioc);
    std::thread thread;
  };
  std::vector<std::unique_ptr<Worker>> workers;
};

CodecPool::CodecPool(size_t n) : impl_(std::make_unique<Impl>()) {
  for (size_t i = 0; i < std::max<size_t>(n, 1); ++i) {
    auto w = std::make_unique<Impl::Worker>();
    w->thread = std::thread([ioc = &w->ioc] {
      nameThisThread("lb-codec");
      ioc->run();
    });
    impl_->workers.push_back(std::move(w));
  }
}

CodecPool::~CodecPool() {
  for (auto& w : impl_->workers) w->guard.reset();
  for (auto& w : impl_->workers)
    if (w->thread.joinable()) w->thread.join();
}

void CodecPool::run(const std::string& key, std::function<void()> task) {
  auto& w = impl_->workers[std::hash<std::string>{}(key) % impl_->workers.size()];
  asio::post(w->ioc, std::move(task));
}

void CodecPool::drain() {
  for (auto& w : impl_->workers) {
    std::promise<void> done;
    asio::post(w->ioc, [&] { done.set_value(); });
    done.get_future().wait();
  }
}

}  // namespace bridge
