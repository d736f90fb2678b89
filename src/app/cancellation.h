#pragma once
// A cancellation token: whoever owns the run's lifetime (the CLI's signal handling, a test,
// a server) calls cancel(); the use case stops what it is doing and writes a partial result.
// Thread-safe; cancel() may be called from any thread, any number of times.

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace llmbench::app {

class CancellationToken {
 public:
  // The callbacks run under the token's lock, so a Registration being destroyed waits for
  // them: what one stops is never stopped after it is gone.
  void cancel() {
    std::lock_guard lock(mutex_);
    if (cancelled_.exchange(true)) return;
    for (auto& [id, callback] : callbacks_) callback();
  }
  [[nodiscard]] bool cancelled() const { return cancelled_.load(); }

  // Runs `callback` on cancel() (at once when already cancelled) until the returned guard is
  // destroyed. Registrations nest: the preparation of a run keeps its counting connection
  // registered while each probe run registers its own runner.
  class Registration {
   public:
    Registration(CancellationToken& token, std::uint64_t id) : token_(token), id_(id) {}
    ~Registration() {
      std::lock_guard lock(token_.mutex_);
      std::erase_if(token_.callbacks_, [this](const auto& entry) { return entry.first == id_; });
    }
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;

   private:
    CancellationToken& token_;
    std::uint64_t id_;
  };
  [[nodiscard]] Registration on_cancel(std::function<void()> callback) {
    std::lock_guard lock(mutex_);
    const std::uint64_t id = next_id_++;
    if (cancelled_.load()) callback();
    callbacks_.emplace_back(id, std::move(callback));
    return Registration(*this, id);
  }

 private:
  std::atomic<bool> cancelled_{false};
  std::mutex mutex_;
  std::uint64_t next_id_ = 0;
  std::vector<std::pair<std::uint64_t, std::function<void()>>> callbacks_;
};

}  // namespace llmbench::app
