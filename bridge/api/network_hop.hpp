#pragma once
// How an API coroutine reaches state the network thread owns (the session registry, Class A,
// the interface service): it posts `task` there and suspends; the network thread runs it and
// posts the coroutine's continuation back to the API thread. No thread waits for another: the
// API thread serves other connections meanwhile, the network thread only ever runs short tasks.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <stdexcept>

namespace bridge {

// Posts a task onto the network thread; never blocks.
using NetworkPost = std::function<void(std::function<void()>)>;

// Thrown when a request cannot be served now: the answer is 503.
struct ApiUnavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The store's commit on the network thread: runs its argument there once all written is durable.
using NetworkCommit = std::function<void(std::function<void()>)>;

// Runs `task` on the network thread; what it throws is rethrown here. With `commit`, resumes
// only after what the task wrote is durable (the API answers a change once it is). A task still
// queued after `patience` (the bridge is stopping, or its loop is not running) is abandoned:
// ApiUnavailable. One already running is always waited for (it may use the caller's locals).
boost::asio::awaitable<void> onNetwork(const NetworkPost& post, std::function<void()> task,
                                       std::chrono::milliseconds patience,
                                       NetworkCommit commit = nullptr);

}  // namespace bridge
