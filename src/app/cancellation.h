#pragma once
// A cancellation token: whoever owns the run's lifetime (the CLI's signal handling, a test,
// a server) calls cancel(); the use case stops what it is doing and writes a partial result.
// Thread-safe; cancel() may be called from any thread, any number of times.

#include <atomic>
#include <functional>
#include <mutex>
#include <utility>

namespace llmbench::app {

class CancellationToken {
 public:
  // The callback runs under the token's lock, so a Registration being destroyed waits for
  // it: what it stops is never stopped after it is gone.
  void cancel() {
    std::lock_guard lock(mutex_);
    if (cancelled_.exchange(true)) return;
    if (callback_) callback_();
  }
  [[nodiscard]] bool cancelled() const { return cancelled_.load(); }

  // Runs `callback` on cancel() (at once when already cancelled) until the returned guard is
  // destroyed. One callback at a time: the use case registers what is running now.
  class Registration {
   public:
    explicit Registration(CancellationToken& token) : token_(token) {}
    ~Registration() {
      std::lock_guard lock(token_.mutex_);
      token_.callback_ = nullptr;
    }
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;

   private:
    CancellationToken& token_;
  };
  [[nodiscard]] Registration on_cancel(std::function<void()> callback) {
    std::lock_guard lock(mutex_);
    callback_ = std::move(callback);
    if (cancelled_.load() && callback_) callback_();
    return Registration(*this);
  }

 private:
  std::atomic<bool> cancelled_{false};
  std::mutex mutex_;
  std::function<void()> callback_;
};

}  // namespace llmbench::app
