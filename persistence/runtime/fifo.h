// Copyright 2026 The eventpersist Authors.
//
// fifo.h: Fifo<T>, a first-in first-out queue on one vector.
//
// Every actor holds a few queues (its mailbox, a persistent actor's pending
// handlers and stashed commands) that are empty most of the time. A
// std::deque allocates ~600 bytes as soon as it is constructed; a Fifo
// allocates nothing until the first push, and reuses its vector while it is
// in use. Consumed slots are reclaimed when the queue empties, or when they
// make up more than half of the vector, so a queue that never empties stays
// bounded by twice its contents.
//
// Thread-safety: none; the owner locks.
//
// Example:
//
//   Fifo<std::function<void()>> mailbox;
//   mailbox.push_back([] { ... });
//   std::function<void()> next = std::move(mailbox.front());
//   mailbox.pop_front();
#ifndef PERSISTENCE_RUNTIME_FIFO_H_
#define PERSISTENCE_RUNTIME_FIFO_H_

#include <cstddef>
#include <utility>
#include <vector>

namespace persistence {

template <typename T>
class Fifo {
 public:
  bool empty() const { return head_ == items_.size(); }
  size_t size() const { return items_.size() - head_; }
  // slots is what the vector holds, consumed slots included (for tests).
  size_t slots() const { return items_.size(); }

  T& front() { return items_[head_]; }
  void push_back(T&& value) { items_.push_back(std::move(value)); }
  void push_back(const T& value) { items_.push_back(value); }

  void pop_front() {
    items_[head_] = T();  // release what the slot holds now
    ++head_;
    if (head_ == items_.size()) {
      items_.clear();
      head_ = 0;
    } else if (head_ > 32 && head_ * 2 > items_.size()) {
      items_.erase(items_.begin(), items_.begin() + head_);
      head_ = 0;
    }
  }

  void clear() {
    items_.clear();
    head_ = 0;
  }

  // swap exchanges the contents (cheap), as std::deque::swap.
  void swap(Fifo& other) {
    items_.swap(other.items_);
    std::swap(head_, other.head_);
  }

 private:
  std::vector<T> items_;
  size_t head_ = 0;
};

}  // namespace persistence

#endif  // PERSISTENCE_RUNTIME_FIFO_H_
