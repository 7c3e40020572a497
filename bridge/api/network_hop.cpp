#include "bridge/api/network_hop.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <mutex>

namespace bridge {

namespace asio = boost::asio;

namespace {

// Shared by the suspended coroutine and the task on the network thread. Nothing of the API's
// io_context lives here: the task may outlive it (destroyed unrun with the network's queue).
struct Call {
  std::mutex m;
  enum { Pending, Running, Done, Abandoned } state = Pending;
  std::exception_ptr error;
};

}  // namespace

asio::awaitable<void> onNetwork(const NetworkPost& post, std::function<void()> task,
                                std::chrono::milliseconds patience, NetworkCommit commit) {
  auto api = co_await asio::this_coro::executor;
  auto call = std::make_shared<Call>();
  // The timer belongs to this frame (API thread); the network side only wakes it, by posting to
  // the API thread, and only while it still exists.
  auto wake = std::make_shared<asio::steady_timer>(api);
  std::weak_ptr<asio::steady_timer> weakWake = wake;
  post([call, api, weakWake, task = std::move(task), commit = std::move(commit)] {
    {
      std::lock_guard lock(call->m);
      if (call->state == Call::Abandoned) return;
      call->state = Call::Running;
    }
    std::exception_ptr error;
    try {
      task();
    } catch (...) {
      error = std::current_exception();
    }
    auto finish = [call, api, weakWake, error] {
      {
        std::lock_guard lock(call->m);
        call->error = error;
        call->state = Call::Done;
      }
      asio::post(api, [weakWake] {
        if (auto w = weakWake.lock()) w->cancel();
      });
    };
    if (commit && !error)
      commit(finish);  // the task's locals are no longer used: only the answer waits
    else
      finish();
  });
  wake->expires_after(patience);
  for (;;) {
    boost::system::error_code ec;
    co_await wake->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    std::unique_lock lock(call->m);
    if (call->state == Call::Done) break;
    if (call->state == Call::Pending) {
      call->state = Call::Abandoned;
      throw ApiUnavailable("the network thread did not take the request (is the bridge stopping?)");
    }
    // Running: it finishes soon and wakes us.
    lock.unlock();
    wake->expires_after(std::chrono::seconds(1));
  }
  if (call->error) std::rethrow_exception(call->error);
}

}  // namespace bridge
