// The timers of one event loop: three deadline-ordered lists instead of a
// heap. Every connection has the same timeouts, so accept order is
// handshake-deadline order, the least recently active connection is first on
// the idle list (touch() moves an active one to the back), and lingering
// connections are in the order they started lingering.
//
// Intrusive and allocation-light: an item carries a TimerHook<Item> named
// `timer`, which says which list it is on and where, so moving it is O(1).
// The lists hold raw pointers: an item must leave its list (set(item,
// TimerKind::none)) before it is destroyed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <list>

#include "common/net.hpp"

namespace ussl::apps {

enum class TimerKind : std::uint8_t { none, handshake, idle, linger };

template <class Item>
struct TimerHook {
  TimerKind list = TimerKind::none;
  typename std::list<Item*>::iterator pos;
};

template <class Item>
class TimerLists {
 public:
  // Puts the item at the back of `list` (taking it off the one it was on);
  // TimerKind::none only takes it off.
  void set(Item& item, TimerKind list) {
    if (item.timer.list != TimerKind::none) of(item.timer.list).erase(item.timer.pos);
    item.timer.list = list;
    if (list != TimerKind::none) item.timer.pos = of(list).insert(of(list).end(), &item);
  }

  // The item moved data: on the idle list it goes to the back (its deadline
  // is now the latest); on the other lists nothing changes.
  void touch(Item& item) {
    if (item.timer.list != TimerKind::idle) return;
    auto& idle = of(TimerKind::idle);
    idle.splice(idle.end(), idle, item.timer.pos);
  }

  bool empty() const {
    for (const auto& list : lists_) {
      if (!list.empty()) return false;
    }
    return true;
  }

  // The first item of `list` (the earliest deadline), or nullptr.
  Item* front(TimerKind list) const {
    const auto& l = of(list);
    return l.empty() ? nullptr : l.front();
  }

  // The earliest deadline of all lists and `wake`: deadline(item, list)
  // gives an item's deadline on its list.
  template <class DeadlineFn>
  Deadline next(Deadline wake, DeadlineFn deadline) const {
    for (const TimerKind list : kLists) {
      const Item* item = front(list);
      if (item == nullptr) continue;
      const Clock::time_point t = deadline(*item, list);
      if (!wake || t < *wake) wake = t;
    }
    return wake;
  }

  // Calls fire(item) for the items of `list` whose deadline is not after
  // `now`, earliest first. fire must end the item's timer on this list (move
  // it to the back, to another list, or off); an item still first and
  // still expired after its fire is taken off the lists rather than fired
  // again. At most `limit` items are fired. fire may release an item
  // (set it to TimerKind::none) but must not destroy it.
  template <class DeadlineFn, class FireFn>
  void expire(TimerKind list, Clock::time_point now, std::size_t limit, DeadlineFn deadline, FireFn fire) {
    auto& timers = of(list);
    for (std::size_t guard = limit; guard > 0 && !timers.empty(); --guard) {
      Item& item = *timers.front();
      if (deadline(item, list) > now) break;
      fire(item);
      if (!timers.empty() && timers.front() == &item && deadline(item, list) <= now) set(item, TimerKind::none);
    }
  }

  // Forgets every item (their hooks are left as they are: for a loop that
  // drops all its connections at once).
  void clear() {
    for (auto& list : lists_) list.clear();
  }

  // In the order expire() is run and next() looks at them.
  static constexpr std::array kLists = {TimerKind::handshake, TimerKind::idle, TimerKind::linger};

 private:
  static std::size_t index(TimerKind list) { return static_cast<std::size_t>(list) - 1; }
  std::list<Item*>& of(TimerKind list) { return lists_[index(list)]; }
  const std::list<Item*>& of(TimerKind list) const { return lists_[index(list)]; }

  std::array<std::list<Item*>, 3> lists_;
};

}  // namespace ussl::apps
